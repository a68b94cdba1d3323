using Akka.Actor;
using Akka.Event;
using CortexBot.Cerebellum.Control;
using CortexBot.Core.Messages;

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
/// Walks one episode through the organs: reset the world (or move home, or take it as it is), recall, plan, execute each skill, let things settle, judge
/// success from the physics state, remember. One short-lived actor per episode; every wait has a timeout, so a silent or
/// restarted organ ends the episode cleanly instead of hanging it. What happened is kept in an <see cref="EpisodeJournal"/>.
/// </summary>
public sealed class EpisodeActor : ReceiveActor, IWithTimers
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly EpisodeJournal _journal;
    private readonly IActorRef _replyTo;
    private readonly Organs _organs;
    private readonly ControlLoop _loop;
    private readonly EpisodeTimeouts _timeouts;
    private readonly WorldStart _start;
    private long _startTick;

    /// <summary>The step index of the move home before an episode (<see cref="WorldStart.Home"/>): never a plan step's.</summary>
    public const int HomingStep = -1;

    /// <summary>How often an episode starting from the world as it is asks again while perception cannot be trusted.</summary>
    public static readonly TimeSpan ObserveRetry = TimeSpan.FromMilliseconds(100);

    /// <summary>The one phase timer fired: each phase knows what its own timeout means.</summary>
    private sealed class PhaseTimeout
    {
        public static readonly PhaseTimeout Instance = new();
    }

    /// <summary>Ask the brainstem again whether the world can be observed.</summary>
    private sealed class ObserveAgain
    {
        public static readonly ObserveAgain Instance = new();
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="policy">The learned policy the cerebellum serves, if any: remembered when a learned skill ran.</param>
    /// <param name="start">How the episode starts: the world reset, the arm moved home first, or the scene as it is.</param>
    public EpisodeActor(RunEpisode request, IActorRef replyTo, Organs organs, ControlLoop loop, EpisodeTimeouts timeouts, string controllerVersion,
        PolicyIdentity? policy = null, WorldStart start = WorldStart.Sim)
    {
        _journal = new EpisodeJournal(request, controllerVersion, policy);
        _replyTo = replyTo;
        _organs = organs;
        _loop = loop;
        _timeouts = timeouts;
        _start = start;
        switch (start)
        {
            case WorldStart.Home: Homing(); break;
            case WorldStart.None: Observing(); break;
            default: Resetting(); break;
        }
    }

    public static Props Props(RunEpisode request, IActorRef replyTo, Organs organs, ControlLoop loop, EpisodeTimeouts timeouts, string controllerVersion,
        PolicyIdentity? policy = null, WorldStart start = WorldStart.Sim) =>
        Akka.Actor.Props.Create(() => new EpisodeActor(request, replyTo, organs, loop, timeouts, controllerVersion, policy, start));

    private RunEpisode Request => _journal.Request;
    private Guid TaskId => _journal.TaskId;
    private double RobotSeconds => (_loop.TotalTicks - _startTick) * _loop.Options.Period;

    private void Arm(TimeSpan after) => Timers.StartSingleTimer("phase", PhaseTimeout.Instance, after);

    /// <summary>Tells live views and recorders how the episode stands (the event stream; nobody answers).</summary>
    private void Publish(string status, bool executing, AnomalyEvent? anomaly = null) =>
        Context.System.EventStream.Publish(_journal.Progress(status, RobotSeconds, _startTick, executing, anomaly));

    private void Resetting()
    {
        _organs.Brainstem.Tell(new ResetWorld(Request.Seed));
        Arm(_timeouts.Reset);
        Receive<WorldReady>(Started);
        Receive<WorldResetFailed>(f => Reject($"could not reset the world: {f.Reason}"));
        Receive<PhaseTimeout>(_ => Reject("the brainstem did not reset the world in time"));
    }

    private void Started(WorldReady w)
    {
        Timers.Cancel("observe");
        _journal.Started(w, TaskGoal.FromInstruction(Request.Instruction, w.Scene));
        _startTick = _loop.TotalTicks;
        // Robot time 0 of the trace is robot time 0 of the steps.
        _loop.Trace?.Begin(_startTick);
        Publish("planned", executing: false);
        Become(_timeouts.UseMemory ? Recalling : Planning);
    }

    /// <summary>
    /// An arm that cannot be reset first goes home through the skill path (compiled by the cerebellum, executed by the
    /// control loop through the safety gate), then the episode starts from the scene as it is.
    /// </summary>
    private void Homing()
    {
        _organs.Cerebellum.Tell(new ExecuteSkill(TaskId, HomingStep, SkillInvocation.Of(SkillNames.MoveHome)));
        Arm(_timeouts.Skill);
        Receive<SkillResult>(r => r.TaskId == TaskId && r.StepIndex == HomingStep, r =>
        {
            if (r.Succeeded) Become(Observing);
            else Reject($"could not move the arm home before the episode: {r.Detail}");
        });
        Receive<PhaseTimeout>(_ =>
        {
            _organs.Cerebellum.Tell(new AbortSkill("moving home timed out"));
            Reject($"the arm did not reach home within {_timeouts.Skill.TotalSeconds:0} s");
        });
    }

    /// <summary>
    /// From the scene as it is: the brainstem answers with the perceived scene, or why perception cannot be trusted now
    /// (asked again every <see cref="ObserveRetry"/>, since detections may only just be starting); after the reset timeout
    /// the episode is refused with that reason, before anything moved.
    /// </summary>
    private void Observing()
    {
        string? why = null;
        _organs.Brainstem.Tell(new ObserveWorld(Request.Seed));
        Arm(_timeouts.Reset);
        Receive<WorldReady>(Started);
        Receive<WorldResetFailed>(f =>
        {
            why = f.Reason;
            Timers.StartSingleTimer("observe", ObserveAgain.Instance, ObserveRetry);
        });
        Receive<ObserveAgain>(_ => _organs.Brainstem.Tell(new ObserveWorld(Request.Seed)));
        Receive<PhaseTimeout>(_ => Reject($"cannot start from the scene as it is: {why ?? "the brainstem did not answer"} (waited {_timeouts.Reset.TotalSeconds:0.#} s)"));
    }

    private void Recalling()
    {
        _organs.Hippocampus.Tell(new RecallSimilar(Request.Instruction, 3));
        _organs.Hippocampus.Tell(new RecallFacts(null));
        Arm(_timeouts.Recall);
        bool episodes = false, facts = false;
        Receive<Recalled>(r => { _journal.Recalled(r.Episodes); episodes = true; if (facts) Become(Planning); });
        Receive<FactsRecalled>(f => { _journal.Recalled(f.Facts); facts = true; if (episodes) Become(Planning); });
        // Memory is advisory: plan with what has arrived rather than wait.
        Receive<PhaseTimeout>(_ => Become(Planning));
    }

    private void Planning()
    {
        PlanFrom(_journal.StartScene!);
        Receive<PlanReady>(p => p.TaskId == TaskId, p =>
        {
            Adopt(p, replanned: false);
            Become(Executing);
        });
        Receive<PlanRefused>(p => p.TaskId == TaskId, p => { _journal.PlanRefused(p); Reject(p.Reason); });
        Receive<PhaseTimeout>(_ =>
        {
            _organs.Cortex.Tell(new CancelPlanning(TaskId));
            _journal.Fail($"the cortex gave no plan within {_timeouts.Plan.TotalSeconds:0} s");
            Become(Judging);
        });
    }

    private void PlanFrom(SceneSnapshot scene)
    {
        _organs.Cortex.Tell(_journal.PlanRequestFrom(scene));
        Arm(_timeouts.Plan);
    }

    private void Adopt(PlanReady p, bool replanned)
    {
        _journal.Adopt(p, replanned);
        _log.Info("plan for '{0}': {1}", Request.Instruction, string.Join(", ", p.Plan.Describe()));
        Publish("planned", executing: false);
    }

    /// <summary>
    /// After an anomaly the cortex replans from the scene as it now is, with the anomaly in its prompt (FrankenBot: the
    /// slow planner is called again only when the fast controller reports trouble). Bounded per episode.
    /// </summary>
    private void Replanning()
    {
        _organs.Brainstem.Tell(new GetScene());
        Arm(_timeouts.Reset);
        Receive<SceneSnapshot>(scene => PlanFrom(scene));
        Receive<PlanReady>(p => p.TaskId == TaskId, p =>
        {
            Adopt(p, replanned: true);
            Become(Executing);
        });
        Receive<PlanRefused>(p => p.TaskId == TaskId, p =>
        {
            _journal.AddToFailure($"; replanning refused: {p.Reason}");
            Become(Settling);
        });
        Receive<PhaseTimeout>(_ =>
        {
            _organs.Cortex.Tell(new CancelPlanning(TaskId));
            _journal.AddToFailure("; no new plan in time");
            Become(Settling);
        });
    }

    private void Executing()
    {
        SendStep();
        Receive<SkillResult>(_journal.IsCurrent, r =>
        {
            var verdict = _journal.StepFinished(r, RobotSeconds, _timeouts.MaxReplans);
            Publish("running", executing: false, r.Anomaly is null ? null : _journal.LatestAnomaly);
            switch (verdict)
            {
                case StepVerdict.Retry or StepVerdict.NextStep:
                    SendStep();
                    break;
                case StepVerdict.Replan:
                    _log.Warning("replanning ({0}/{1}) after {2}", _journal.Replans, _timeouts.MaxReplans, r.Anomaly);
                    Become(Replanning);
                    break;
                default:
                    Become(Settling);
                    break;
            }
        });
        Receive<PhaseTimeout>(_ =>
        {
            _organs.Cerebellum.Tell(new AbortSkill("skill timed out"));
            _journal.StepTimedOut(RobotSeconds, _timeouts.Skill);
            Become(Settling);
        });
    }

    private void SendStep()
    {
        var command = _journal.BeginStep(RobotSeconds, out var advice);
        if (advice is not null) _log.Info("{0}", advice);
        _organs.Cerebellum.Tell(command);
        Publish("running", executing: true);
        Arm(_timeouts.Skill);
    }

    private void Settling()
    {
        _organs.Cerebellum.Tell(new Settle(0.6));
        Arm(_timeouts.Skill);
        Receive<Settled>(_ => Become(Judging));
        Receive<PhaseTimeout>(_ => Become(Judging));
    }

    private void Judging()
    {
        _organs.Brainstem.Tell(new GetScene());
        Arm(_timeouts.Reset);
        Receive<SceneSnapshot>(scene => Remember(_journal.Judge(scene)));
        Receive<PhaseTimeout>(_ => { _journal.NotJudged("no scene to judge the outcome"); Remember(false); });
    }

    private void Remember(bool success)
    {
        Timers.CancelAll();
        // The trace is copied off the control thread's preallocated buffer; the tick is never touched.
        var record = _journal.ToRecord(success, RobotSeconds, _loop.Trace?.Read(_startTick, _loop.TotalTicks));
        _organs.Hippocampus.Tell(new StoreEpisode(record));
        Arm(_timeouts.Store);
        Become(() =>
        {
            Receive<EpisodeStored>(s => s.TaskId == TaskId, s => { PublishOutcome(record, s.Id); Finish(_journal.Outcome(record with { Id = s.Id }, s.Id, null)); });
            Receive<EpisodeStoreFailed>(f => f.TaskId == TaskId, f => { PublishOutcome(record, 0); Finish(_journal.Outcome(record, 0, f.Reason)); });
            Receive<PhaseTimeout>(_ => { PublishOutcome(record, 0); Finish(_journal.Outcome(record, 0, "the hippocampus did not confirm the write in time")); });
        });
    }

    private void PublishOutcome(EpisodeRecord record, long id) =>
        Context.System.EventStream.Publish(_journal.Progress(record.Success ? "succeeded" : "failed", record.DurationS, _startTick, executing: false)
            with { Success = record.Success, Failure = record.FailureReason, EpisodeId = id, RobotTimeS = record.DurationS });

    private void Reject(string reason)
    {
        Timers.CancelAll();
        // Live views and recordings see the episode end too (refused before anything moved).
        Context.System.EventStream.Publish(_journal.Progress("failed", RobotSeconds, _startTick, executing: false)
            with { Success = false, Failure = reason });
        Finish(new EpisodeRejected(Request.Instruction, Request.Seed, reason));
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
        if (message is PhaseTimeout or ObserveAgain or WorldResetFailed or SkillResult or PlanReady or PlanRefused or Recalled or FactsRecalled or Settled or SceneSnapshot) return;
        base.Unhandled(message);
    }
}
