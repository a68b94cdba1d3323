using System.Collections.Immutable;
using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using CortexBot.Cerebellum.Control;
using CortexBot.Cerebellum.Skills;
using CortexBot.Core.Messages;
using CortexBot.Core.Skills;

namespace CortexBot.Host;

/// <summary>The organs an episode talks to.</summary>
public sealed record Organs(IActorRef Cortex, IActorRef Cerebellum, IActorRef Hippocampus, IActorRef Brainstem);

public sealed record EpisodeTimeouts(TimeSpan Reset, TimeSpan Recall, TimeSpan Plan, TimeSpan Skill, TimeSpan Store)
{
    /// <summary>How many times the cortex may replan after an anomaly within one episode.</summary>
    public int MaxReplans { get; init; } = 2;

    /// <summary>
    /// Whether an episode consults the hippocampus (similar episodes for the cortex, semantic facts for how the
    /// cerebellum grips). Off, every episode starts from nothing it remembers; episodes are still stored.
    /// </summary>
    public bool UseMemory { get; init; } = true;

    public static EpisodeTimeouts Default { get; } = new(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(90), TimeSpan.FromSeconds(10));
}

/// <summary>
/// Walks one episode through the organs: reset the world, recall, plan, execute each skill, let things settle, judge
/// success from the physics state, remember. One short-lived actor per episode; every wait has a timeout, so a silent or
/// restarted organ ends the episode cleanly instead of hanging it.
/// </summary>
public sealed class EpisodeActor : ReceiveActor, IWithTimers
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly RunEpisode _request;
    private readonly IActorRef _replyTo;
    private readonly Organs _organs;
    private readonly ControlLoop _loop;
    private readonly EpisodeTimeouts _timeouts;
    private readonly string _controllerVersion;
    private readonly SkillCatalogue? _catalogue;
    private readonly PolicyIdentity? _policy;
    private readonly List<AnomalyEvent> _anomalyEvents = [];
    private SceneSnapshot? _endScene;
    private bool _learnedSkillRan;
    private readonly Guid _taskId = Guid.NewGuid();
    private readonly Stopwatch _wall = Stopwatch.StartNew();
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;
    private readonly List<StepRecord> _steps = [];
    private readonly List<string> _anomalies = [];
    private ImmutableArray<EpisodeSummary> _memories = [];
    private ImmutableArray<SemanticFact> _facts = [];
    private readonly List<TuningAttempt> _attempts = [];
    private readonly Dictionary<string, SkillTuning> _grip = [];
    private SkillTuning _stepTuning = SkillTuning.Default;
    private SceneSnapshot? _startScene;
    private ImmutableArray<AppliedPerturbation> _perturbations = [];
    private TaskGoal? _goal;
    private Plan? _plan;
    private string _planner = "?";
    private double _planLatencyMs;
    private readonly List<double> _planLatencies = [];
    private long _startTick;
    private int _step;
    private int _stepCounter;
    private int _replans;
    private Anomaly? _lastAnomaly;
    private readonly List<string> _plans = [];
    private bool _retried;
    private string? _failure;
    private double _stepStartedS;

    private sealed record PhaseTimeout(string Phase);

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="policy">The learned policy the cerebellum serves, if any: remembered when a learned skill ran.</param>
    public EpisodeActor(RunEpisode request, IActorRef replyTo, Organs organs, ControlLoop loop, EpisodeTimeouts timeouts, string controllerVersion, SkillCatalogue? catalogue,
        PolicyIdentity? policy = null)
    {
        _catalogue = catalogue;
        _policy = policy;
        _request = request;
        _replyTo = replyTo;
        _organs = organs;
        _loop = loop;
        _timeouts = timeouts;
        _controllerVersion = controllerVersion;
        Resetting();
    }

    public static Props Props(RunEpisode request, IActorRef replyTo, Organs organs, ControlLoop loop, EpisodeTimeouts timeouts, string controllerVersion, SkillCatalogue? catalogue,
        PolicyIdentity? policy = null) =>
        Akka.Actor.Props.Create(() => new EpisodeActor(request, replyTo, organs, loop, timeouts, controllerVersion, catalogue, policy));

    private double RobotSeconds => (_loop.TotalTicks - _startTick) * _loop.Options.Period;

    private void Arm(string phase, TimeSpan after) => Timers.StartSingleTimer("phase", new PhaseTimeout(phase), after);

    private void Resetting()
    {
        _organs.Brainstem.Tell(new ResetWorld(_request.Seed));
        Arm("reset", _timeouts.Reset);
        Receive<WorldReady>(w =>
        {
            _startScene = w.Scene;
            _perturbations = w.Perturbations;
            _goal = _catalogue is null ? null : TaskGoal.FromInstruction(_request.Instruction, w.Scene, _catalogue);
            _startTick = _loop.TotalTicks;
            // Robot time 0 of the trace is robot time 0 of the steps.
            _loop.Trace?.Begin(_startTick);
            Become(_timeouts.UseMemory ? Recalling : Planning);
        });
        Receive<WorldResetFailed>(f => Reject($"could not reset the world: {f.Reason}"));
        Receive<PhaseTimeout>(_ => Reject("the brainstem did not reset the world in time"));
    }

    private void Recalling()
    {
        _organs.Hippocampus.Tell(new RecallSimilar(_request.Instruction, 3));
        _organs.Hippocampus.Tell(new RecallFacts(null));
        Arm("recall", _timeouts.Recall);
        bool episodes = false, facts = false;
        Receive<Recalled>(r => { _memories = r.Episodes; episodes = true; if (facts) Become(Planning); });
        Receive<FactsRecalled>(f => { _facts = f.Facts; facts = true; if (episodes) Become(Planning); });
        // Memory is advisory: plan with what has arrived rather than wait.
        Receive<PhaseTimeout>(_ => Become(Planning));
    }

    private void Planning()
    {
        PlanFrom(_startScene!);
        Receive<PlanReady>(p => p.TaskId == _taskId, p =>
        {
            Adopt(p);
            Become(Executing);
        });
        Receive<PlanRefused>(p => p.TaskId == _taskId, p => { _planner = p.Planner; Reject(p.Reason); });
        Receive<PhaseTimeout>(_ =>
        {
            _organs.Cortex.Tell(new CancelPlanning(_taskId));
            _failure = $"the cortex gave no plan within {_timeouts.Plan.TotalSeconds:0} s";
            Become(Judging);
        });
    }

    private void PlanFrom(SceneSnapshot scene)
    {
        _organs.Cortex.Tell(new PlanRequest(_taskId, _request.Instruction, scene, _memories, _lastAnomaly) { Facts = _facts });
        Arm("plan", _timeouts.Plan);
    }

    private void Adopt(PlanReady p)
    {
        _plan = p.Plan;
        _step = 0;
        _planner = p.Planner;
        _planLatencyMs += p.Latency.TotalMilliseconds;
        _planLatencies.Add(Math.Round(p.Latency.TotalMilliseconds, 3));
        _plans.AddRange(p.Plan.Describe());
        _log.Info("plan for '{0}': {1}", _request.Instruction, string.Join(", ", p.Plan.Describe()));
    }

    /// <summary>
    /// After an anomaly the cortex replans from the scene as it now is, with the anomaly in its prompt (FrankenBot: the
    /// slow planner is called again only when the fast controller reports trouble). Bounded per episode.
    /// </summary>
    private void Replanning()
    {
        _organs.Brainstem.Tell(new GetScene());
        Arm("judge", _timeouts.Reset);
        Receive<SceneSnapshot>(scene => PlanFrom(scene));
        Receive<PlanReady>(p => p.TaskId == _taskId, p =>
        {
            Adopt(p);
            _failure = null;
            Become(Executing);
        });
        Receive<PlanRefused>(p => p.TaskId == _taskId, p =>
        {
            _failure += $"; replanning refused: {p.Reason}";
            Become(Settling);
        });
        Receive<PhaseTimeout>(_ =>
        {
            _organs.Cortex.Tell(new CancelPlanning(_taskId));
            _failure += "; no new plan in time";
            Become(Settling);
        });
    }

    private static bool WorthReplanning(Anomaly? a) =>
        a is not null && a.Kind is AnomalyKinds.GraspMissed or AnomalyKinds.ObjectDropped or AnomalyKinds.TrackingError
            or AnomalyKinds.TargetMoved or AnomalyKinds.NoProgress;

    private void Executing()
    {
        SendStep();
        Receive<SkillResult>(r => r.TaskId == _taskId && r.StepIndex == _stepCounter, r =>
        {
            // The anomaly's kind leads the detail, so the semantic facts can tell a slip from a miss.
            string? detail = r.Anomaly is { } an && r.Detail is { } d && !d.StartsWith(an.Kind, StringComparison.Ordinal) ? $"{an.Kind}: {d}" : r.Detail;
            _steps.Add(new StepRecord(_stepCounter, r.Skill.ToString(), r.Outcome, detail, _stepStartedS, Math.Round(RobotSeconds - _stepStartedS, 3))
                { Parameters = _stepTuning.IsDefault ? null : _stepTuning.ToString() });
            _attempts.Add(new TuningAttempt(r.Skill, _stepTuning, r.Outcome, r.Anomaly?.Kind));
            if (r.Skill.Skill == Cerebellum.Learning.Runtime.LearnedSkillFactory.SkillName) _learnedSkillRan = true;
            if (r.Anomaly is not null)
            {
                _anomalies.Add(r.Anomaly.ToString());
                _anomalyEvents.Add(new AnomalyEvent(r.Anomaly.Kind, Math.Round(_stepStartedS + r.Duration.TotalSeconds, 3), r.Anomaly.Detail, _stepCounter));
            }
            _stepCounter++;
            if (r.Outcome == SkillOutcome.Aborted && !_retried)
            {
                // An organ restarted under this step; the arm held. Try the step once more.
                _retried = true;
                SendStep();
                return;
            }
            if (!r.Succeeded)
            {
                _failure = $"{r.Skill} failed: {r.Detail}";
                if (WorthReplanning(r.Anomaly) && _replans < _timeouts.MaxReplans)
                {
                    _replans++;
                    _lastAnomaly = r.Anomaly;
                    _log.Warning("replanning ({0}/{1}) after {2}", _replans, _timeouts.MaxReplans, r.Anomaly);
                    Become(Replanning);
                    return;
                }
                Become(Settling);
                return;
            }
            _step++;
            if (_step >= _plan!.Steps.Length) Become(Settling);
            else SendStep();
        });
        Receive<PhaseTimeout>(_ =>
        {
            _organs.Cerebellum.Tell(new AbortSkill("skill timed out"));
            _failure = $"{_plan!.Steps[_step]} did not finish within {_timeouts.Skill.TotalSeconds:0} s";
            _steps.Add(new StepRecord(_stepCounter, _plan.Steps[_step].ToString(), SkillOutcome.Aborted, "timeout", _stepStartedS, Math.Round(RobotSeconds - _stepStartedS, 3)));
            Become(Settling);
        });
    }

    private void SendStep()
    {
        _stepStartedS = Math.Round(RobotSeconds, 3);
        var skill = _plan!.Steps[_step];
        _stepTuning = TuningFor(skill);
        _organs.Cerebellum.Tell(new ExecuteSkill(_taskId, _stepCounter, skill, _stepTuning.IsDefault ? null : _stepTuning));
        Arm("skill", _timeouts.Skill);
    }

    /// <summary>
    /// How the cerebellum should grip: a pick gets what memory (facts) and this episode advise; a place carries on with
    /// the grip its object was picked with, and is remembered under it, so facts credit the grip with the whole carry.
    /// </summary>
    private SkillTuning TuningFor(SkillInvocation skill)
    {
        if (skill.Args.Length == 0) return SkillTuning.Default;
        if (skill.Skill == "pick")
        {
            var advice = SkillTuningAdvisor.Advise(skill, _facts, _attempts);
            if (!advice.Tuning.IsDefault) _log.Info("{0} with {1}: {2}", skill, advice.Tuning, advice.Reason);
            _grip[skill.Args[0]] = advice.Tuning;
            return advice.Tuning;
        }
        return skill.Skill == "place" && _grip.TryGetValue(skill.Args[0], out var grip) ? grip : SkillTuning.Default;
    }

    private void Settling()
    {
        _organs.Cerebellum.Tell(new Settle(0.6));
        Arm("settle", _timeouts.Skill);
        Receive<Settled>(_ => Become(Judging));
        Receive<PhaseTimeout>(_ => Become(Judging));
    }

    private void Judging()
    {
        _organs.Brainstem.Tell(new GetScene());
        Arm("judge", _timeouts.Reset);
        Receive<SceneSnapshot>(scene => { _endScene = scene; Remember(Judge(scene)); });
        Receive<PhaseTimeout>(_ => { _failure ??= "no scene to judge the outcome"; Remember(false); });
    }

    /// <summary>
    /// Success is read from the physics against the goal of the instruction (not of the plan). When the instruction
    /// reader finds no physical goal (e.g. "open the gripper"), every step having succeeded is the criterion.
    /// </summary>
    private bool Judge(SceneSnapshot scene)
    {
        if (_plan is null) return false;
        if (_goal is null) return _failure is null;
        var reason = _goal.Check(_startScene!, scene);
        if (reason is not null) _failure ??= reason;
        return reason is null && _failure is null;
    }

    private void Remember(bool success)
    {
        Timers.CancelAll();
        var record = new EpisodeRecord(_taskId, _request.Instruction, _request.Seed, _startedAt, Math.Round(RobotSeconds, 3), success,
            success ? null : _failure, _planner, [.. _plans], [.. _steps], [.. _anomalies], Math.Round(_planLatencyMs, 3), _controllerVersion)
        {
            SceneAtStart = ObjectPlacement.Of(_startScene),
            SceneAtEnd = ObjectPlacement.Of(_endScene),
            AnomalyEvents = [.. _anomalyEvents],
            Policy = _learnedSkillRan ? _policy : null,
            Perturbations = _perturbations,
            // Copied off the control thread's preallocated buffer; the tick is never touched.
            Trace = _loop.Trace?.Read(_startTick, _loop.TotalTicks),
        };
        _organs.Hippocampus.Tell(new StoreEpisode(record));
        Arm("store", _timeouts.Store);
        Become(() =>
        {
            Receive<EpisodeStored>(s => s.TaskId == _taskId, s => Finish(Outcome(record with { Id = s.Id }, s.Id, null)));
            Receive<EpisodeStoreFailed>(f => f.TaskId == _taskId, f => Finish(Outcome(record, 0, f.Reason)));
            Receive<PhaseTimeout>(_ => Finish(Outcome(record, 0, "the hippocampus did not confirm the write in time")));
        });
    }

    private EpisodeOutcome Outcome(EpisodeRecord record, long storedId, string? storeError) =>
        new(record, _anomalies.Count, storedId, storeError) { PlanLatenciesMs = [.. _planLatencies] };

    private void Reject(string reason)
    {
        Timers.CancelAll();
        Finish(new EpisodeRejected(_request.Instruction, _request.Seed, reason));
    }

    private void Finish(object outcome)
    {
        Timers.CancelAll();
        _replyTo.Tell(outcome);
        Context.Stop(Self);
    }

    protected override void Unhandled(object message)
    {
        // Late answers from an earlier phase (e.g. a plan after its timeout) are expected; ignore them quietly.
        if (message is PhaseTimeout or SkillResult or PlanReady or PlanRefused or Recalled or FactsRecalled or Settled or SceneSnapshot) return;
        base.Unhandled(message);
    }
}
