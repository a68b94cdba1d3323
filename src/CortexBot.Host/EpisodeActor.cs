using Akka.Actor;
using System.Collections.Immutable;
using Akka.Event;
using CortexBot.Core.Safety;
using CortexBot.Core.Messages;

namespace CortexBot.Host;

/// <summary>The organs an episode talks to, and the robot node that keeps track of it (null: nobody does, e.g. a test's organs).</summary>
public sealed record Organs(IActorRef Cortex, IActorRef Cerebellum, IActorRef Hippocampus, IActorRef Brainstem, IActorRef? Robot = null);

public sealed record EpisodeTimeouts(TimeSpan Reset, TimeSpan Recall, TimeSpan Plan, TimeSpan Skill, TimeSpan Store)
{
    /// <summary>How many times the cortex may replan after an anomaly within one episode.</summary>
    public int MaxReplans { get; init; } = 2;

    /// <summary>
    /// Whether an episode consults the hippocampus (similar episodes for the cortex, semantic facts for how the
    /// cerebellum grips). Off, every episode starts from nothing it remembers; episodes are still stored.
    /// </summary>
    public bool UseMemory { get; init; } = true;

    /// <summary>
    /// How long the robot side (the cerebellum) may take to tell the robot clock or start and return the episode's trace;
    /// past it the episode is stored as failed, saying which answer did not come. Generous: a cold skill compile or a
    /// loaded machine delays the cerebellum's mailbox by hundreds of milliseconds.
    /// </summary>
    public TimeSpan Robot { get; init; } = TimeSpan.FromSeconds(5);

    public static EpisodeTimeouts Default { get; } = new(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(90), TimeSpan.FromSeconds(10));
}

/// <summary>
/// Walks one episode through the organs: reset the world (or move home, or take it as it is), recall, plan, execute each skill, let things settle, judge
/// success from the physics state, remember. One short-lived actor per episode; every wait has a timeout, so a silent or
/// restarted organ ends the episode cleanly instead of hanging it. What happened is kept in an <see cref="EpisodeJournal"/>.
/// </summary>
/// <remarks>
/// Robot time (step starts and durations, the episode's duration) and the motion trace are the control loop's, which
/// lives with the cerebellum (on the robot node once the organs are split): the episode asks for them by message
/// (<see cref="BeginEpisodeTrace"/>, <see cref="GetRobotClock"/> at each step boundary, <see cref="EndEpisodeTrace"/>).
/// A robot side that does not answer within <see cref="EpisodeTimeouts.Robot"/> ends the episode, stored as failed.
/// </remarks>
public sealed partial class EpisodeActor : ReceiveActor, IWithTimers
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly EpisodeJournal _journal;
    private readonly IActorRef _replyTo;
    private readonly Organs _organs;
    private readonly EpisodeTimeouts _timeouts;
    private readonly WorldStart _start;
    private long _startTick;
    private bool _traceStarted;
    private bool _robotSilent;
    private bool _storing;
    /// <summary>Robot seconds since the episode's start at the latest clock reading.</summary>
    private double _robotSeconds;
    /// <summary>The robot tick the step in force was requested at.</summary>
    private long _stepStartTick;
    /// <summary>The mid-plan screen and reviewer (null: the scene is not re-screened while the plan runs).</summary>
    private readonly SafetyReviewFlow? _safety;
    /// <summary>The scene the plan in force was planned (and screened) from: what the mid-plan screen compares with.</summary>
    private SceneSnapshot? _screenedScene;
    /// <summary>Mid-plan flags already judged in this episode: not asked about again before every step.</summary>
    private readonly HashSet<string> _judgedFlags = [];
    /// <summary>Reviews made mid-plan in this episode (the hippocampus has them too, but the recalled facts predate them).</summary>
    private readonly List<SafetyFact> _midPlanFacts = [];
    /// <summary>The tool speed cap a mid-plan <c>modify</c> left on the rest of the episode (null: none).</summary>
    private double? _keptCap;

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

    /// <param name="safety">With it, before each step the scene as perceived now is re-screened (<see cref="MidPlanScreen"/>)
    /// and a new flag slows the arm and waits for the reviewer; null: no mid-plan screen.</param>
    /// <param name="policy">The learned policy the cerebellum serves, if any: remembered when a learned skill ran.</param>
    /// <param name="start">How the episode starts: the world reset, the arm moved home first, or the scene as it is.</param>
    public EpisodeActor(RunEpisode request, IActorRef replyTo, Organs organs, EpisodeTimeouts timeouts, string controllerVersion,
        PolicyIdentity? policy = null, WorldStart start = WorldStart.Sim, SafetyReviewFlow? safety = null)
    {
        _safety = safety;
        _journal = new EpisodeJournal(request, controllerVersion, policy);
        _replyTo = replyTo;
        _organs = organs;
        _timeouts = timeouts;
        _start = start;
        switch (start)
        {
            case WorldStart.Home: Homing(); break;
            case WorldStart.None: Observing(); break;
            // Gazebo's reset answers before the perception of the reset world arrives: wait for it as from the scene as it is
            case WorldStart.Gazebo: Resetting(then: Observing); break;
            default: Resetting(); break;
        }
    }

    public static Props Props(RunEpisode request, IActorRef replyTo, Organs organs, EpisodeTimeouts timeouts, string controllerVersion,
        PolicyIdentity? policy = null, WorldStart start = WorldStart.Sim, SafetyReviewFlow? safety = null) =>
        Akka.Actor.Props.Create(() => new EpisodeActor(request, replyTo, organs, timeouts, controllerVersion, policy, start, safety));

    private RunEpisode Request => _journal.Request;
    private Guid TaskId => _journal.TaskId;

    private void Arm(TimeSpan after) => Timers.StartSingleTimer("phase", PhaseTimeout.Instance, after);

    /// <summary>Tells live views and recorders how the episode stands (the event stream; nobody answers).</summary>
    private void Publish(string status, bool executing, AnomalyEvent? anomaly = null) =>
        Context.System.EventStream.Publish(_journal.Progress(status, _robotSeconds, _startTick, executing, anomaly));

    /// <summary>
    /// Reads the robot clock, then continues with it. The cerebellum answers in mailbox order, so a reading asked for
    /// before a command is taken before that command runs. Each caller's <paramref name="then"/> moves on to the next
    /// phase; <paramref name="beforeGivingUp"/> records what it can when no answer comes.
    /// </summary>
    private void AtRobotTime(string when, Action<RobotClock> then, Action? beforeGivingUp = null)
    {
        _organs.Cerebellum.Tell(GetRobotClock.Instance);
        Arm(_timeouts.Robot);
        Become(() =>
        {
            Receive<RobotClock>(c =>
            {
                _robotSeconds = c.SecondsSince(_startTick);
                then(c);
            });
            Receive<PhaseTimeout>(_ =>
            {
                beforeGivingUp?.Invoke();
                RobotSilent($"the cerebellum did not tell the robot time {when} within {_timeouts.Robot.TotalSeconds:0.###} s");
            });
        });
    }

    /// <summary>The robot side stopped answering: nothing more is asked of it, and the episode is stored as failed with why.</summary>
    private void RobotSilent(string reason)
    {
        _robotSilent = true;
        _log.Warning("{0}; storing the episode as failed", reason);
        if (_journal.Failure is null) _journal.Fail(reason);
        else _journal.AddToFailure($"; {reason}");
        Remember(false);
    }

    /// <param name="then">After the reset: observe the world (its perception starts afresh) instead of starting at once.</param>
    private void Resetting(Action? then = null)
    {
        _organs.Brainstem.Tell(new ResetWorld(Request.Seed));
        Arm(_timeouts.Reset);
        if (then is null) Receive<WorldReady>(Started);
        else Receive<WorldReady>(_ => Become(then));
        Receive<WorldResetFailed>(f => Reject($"could not reset the world: {f.Reason}"));
        Receive<PhaseTimeout>(_ => Reject("the brainstem did not reset the world in time"));
    }

    private void Started(WorldReady w)
    {
        Timers.Cancel("observe");
        _journal.Started(w, InstructionGoal.FromInstruction(Request.Instruction, w.Scene));
        Become(StartingTrace);
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
        string what = _start == WorldStart.Gazebo ? "cannot start after Gazebo's world reset" : "cannot start from the scene as it is";
        Receive<PhaseTimeout>(_ => Reject($"{what}: {why ?? "the brainstem did not answer"} (waited {_timeouts.Reset.TotalSeconds:0.#} s)"));
    }

    private void StartingTrace()
    {
        // Robot time 0 of the trace is robot time 0 of the steps: the tick the cerebellum began the trace at.
        _organs.Cerebellum.Tell(new BeginEpisodeTrace(TaskId));
        Arm(_timeouts.Robot);
        Receive<EpisodeTraceStarted>(t => t.TaskId == TaskId, t =>
        {
            _startTick = t.StartTick;
            _traceStarted = true;
            _robotSeconds = 0;
            _organs.Robot?.Tell(new EpisodeUnderway(TaskId, Request.Instruction, Request.Seed, -1));
            Publish("planned", executing: false);
            Become(_timeouts.UseMemory ? Recalling : Planning);
        });
        Receive<PhaseTimeout>(_ => RobotSilent($"the cerebellum did not start the episode's trace within {_timeouts.Robot.TotalSeconds:0.###} s"));
    }

    private void Recalling()
    {
        _organs.Hippocampus.Tell(new RecallSimilar(Request.Instruction, 3));
        _organs.Hippocampus.Tell(new RecallFacts(null));
        // Plans for goals of the same structure: the cortex's fast path (a task with no goal has none to look for).
        var structure = _journal.GoalStructureKey;
        if (structure is not null) _organs.Hippocampus.Tell(new RecallPlanFor(structure, RememberedPlansAsked));
        // Remembered safety reviews: a flagged plan whose case was reviewed before is not escalated again.
        _organs.Hippocampus.Tell(new RecallSafetyFacts());
        Arm(_timeouts.Recall);
        bool episodes = false, facts = false, plans = structure is null, reviews = false;
        void Next() { if (episodes && facts && plans && reviews) Become(Planning); }
        Receive<Recalled>(r => { _journal.Recalled(r.Episodes); episodes = true; Next(); });
        Receive<FactsRecalled>(f => { _journal.Recalled(f.Facts); facts = true; Next(); });
        Receive<PlansRecalled>(p => { _journal.Recalled(p.Plans); plans = true; Next(); });
        Receive<SafetyFactsRecalled>(f => { _journal.Recalled(f.Facts); reviews = true; Next(); });
        // Memory is advisory: plan with what has arrived rather than wait.
        Receive<PhaseTimeout>(_ => Become(Planning));
    }

    /// <summary>How many remembered plans the cortex is offered (most recent first; the first that fits this scene is taken).</summary>
    public const int RememberedPlansAsked = 3;

    private void Planning()
    {
        _screenedScene = _journal.StartScene;
        _organs.Cortex.Tell(_journal.FirstPlanRequestFrom(_journal.StartScene!));
        Arm(_timeouts.Plan);
        Receive<PlanReady>(p => p.TaskId == TaskId, p => AtRobotTime("when the plan came", c =>
        {
            Adopt(p, replanned: false);
            SendStep(c);
        }));
        Receive<PlanRefused>(p => p.TaskId == TaskId, p => { RememberReview(p.Safety); _journal.PlanRefused(p); Reject(p.Reason); });
        Receive<PhaseTimeout>(_ =>
        {
            _organs.Cortex.Tell(new CancelPlanning(TaskId));
            _journal.Fail($"the cortex gave no plan within {_timeouts.Plan.TotalSeconds:0} s");
            Become(Judging);
        });
    }

    private void PlanFrom(SceneSnapshot scene)
    {
        _screenedScene = scene;
        _organs.Cortex.Tell(_journal.PlanRequestFrom(scene));
        Arm(_timeouts.Plan);
    }

    private void Adopt(PlanReady p, bool replanned)
    {
        RememberReview(p.Safety);
        _journal.Adopt(p, replanned);
        _log.Info("plan for '{0}': {1}", Request.Instruction, string.Join(", ", p.Plan.Describe()));
        Publish("planned", executing: false);
    }

    /// <summary>
    /// A safety review the cortex just made is remembered by the hippocampus at once, not with the episode: a refused
    /// episode is never stored, and its review is what most needs remembering.
    /// </summary>
    private void RememberReview(Core.Safety.SafetyVerdict? safety)
    {
        if (safety is { Escalated: true, Review: { } fact }) _organs.Hippocampus.Tell(new RememberSafetyFact(fact));
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
        // a local repair that came too late is not the whole plan asked for here
        Receive<PlanReady>(p => p.TaskId == TaskId && p.Planner != Cortex.CortexActor.RepairPlannerName, p => AtRobotTime("when the new plan came", c =>
        {
            Adopt(p, replanned: true);
            SendStep(c);
        }));
        Receive<PlanRefused>(p => p.TaskId == TaskId, p =>
        {
            RememberReview(p.Safety);
            if (p.Safety is not null) _journal.PlanRefused(p);   // the safety screen's verdict is reported with the episode
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

    /// <summary>
    /// A local repair first: the cortex plans only the failed subgoal's relation from the scene as it now is; the rest of
    /// the plan stays. When that is refused or late, a whole new plan (<see cref="Replanning"/>).
    /// </summary>
    private void Repairing()
    {
        _organs.Brainstem.Tell(new GetScene());
        Arm(_timeouts.Reset);
        Receive<SceneSnapshot>(scene =>
        {
            _screenedScene = scene;
            _organs.Cortex.Tell(_journal.RepairRequestFrom(scene));
            Arm(_timeouts.Plan);
        });
        Receive<PlanReady>(p => p.TaskId == TaskId, p => AtRobotTime("when the repair came", c =>
        {
            _journal.AdoptRepair(p);
            _log.Info("repaired locally: {0}; then the rest of the plan", string.Join(", ", p.Plan.Describe()));
            Publish("planned", executing: false);
            SendStep(c);
        }));
        Receive<PlanRefused>(p => p.TaskId == TaskId, p =>
        {
            _journal.RepairRefused(p.Reason);
            Become(Replanning);
        });
        Receive<PhaseTimeout>(_ =>
        {
            _journal.RepairRefused("no repair in time");
            Become(Replanning);
        });
    }

    private void Executing()
    {
        Receive<SkillResult>(_journal.IsCurrent, r => AtRobotTime("at the end of a step", c => StepEnded(r, c),
            beforeGivingUp: () => _journal.StepFinished(r, _robotSeconds, _timeouts.MaxReplans)));
        Receive<PhaseTimeout>(_ =>
        {
            _organs.Cerebellum.Tell(new AbortSkill("skill timed out"));
            AtRobotTime("after a skill timed out", c =>
            {
                _journal.StepTimedOut(c.SecondsSince(_startTick), _timeouts.Skill);
                Become(Settling);
            }, beforeGivingUp: () => _journal.StepTimedOut(_robotSeconds, _timeouts.Skill));
        });
    }

    /// <summary>The step in force ended; <paramref name="clock"/> was read after its result came, and the next step (if any) starts then.</summary>
    private void StepEnded(SkillResult r, RobotClock clock)
    {
        // A step that ran a program ended when the robot says it did, however long the result took to get here; a step
        // that ran none (refused) ends now.
        long end = clock.LastSkillEndTick > _stepStartTick ? Math.Min(clock.LastSkillEndTick, clock.Tick) : clock.Tick;
        var verdict = _journal.StepFinished(r, (end - _startTick) * clock.PeriodS, _timeouts.MaxReplans);
        Publish("running", executing: false, r.Anomaly is null ? null : _journal.LatestAnomaly);
        switch (verdict)
        {
            case StepVerdict.CheckSubgoal:
                Become(CheckingSubgoal);
                break;
            default:
                Continue(verdict, clock, r.Anomaly?.ToString());
                break;
        }
    }

    /// <summary>Goes on as <paramref name="verdict"/> says after a step or a subgoal check (<paramref name="why"/> for the log).</summary>
    private void Continue(StepVerdict verdict, RobotClock clock, string? why)
    {
        switch (verdict)
        {
            case StepVerdict.Retry or StepVerdict.NextStep:
                SendStep(clock);
                break;
            case StepVerdict.Replan:
                _log.Warning("replanning ({0}/{1}) after {2}", _journal.Replans, _timeouts.MaxReplans, why);
                Become(Replanning);
                break;
            case StepVerdict.RepairSubgoal:
                _log.Warning("repairing subgoal {0} ({1}/{2}) after {3}", _journal.FailedSubgoal, _journal.Replans, _timeouts.MaxReplans, why);
                Become(Repairing);
                break;
            default:
                Become(Settling);
                break;
        }
    }

    /// <summary>How long (robot seconds) an object just set down is left to come to rest before its subgoal is checked.</summary>
    public const double SubgoalSettleSeconds = 0.3;

    /// <summary>
    /// The skills of a subgoal succeeded; whether its relation holds is read from the scene, after the object just set
    /// down has come to rest, and so is every earlier subgoal's (one scene). A relation that does not hold is repaired
    /// like a failed step.
    /// </summary>
    private void CheckingSubgoal()
    {
        _organs.Cerebellum.Tell(new Settle(SubgoalSettleSeconds));
        Arm(_timeouts.Skill);
        Receive<Settled>(_ =>
        {
            _organs.Brainstem.Tell(new GetScene());
            Arm(_timeouts.Reset);
        });
        Receive<SceneSnapshot>(scene => AtRobotTime("when a subgoal was checked", c =>
        {
            var verdict = _journal.SubgoalChecked(scene, c.SecondsSince(_startTick), _timeouts.MaxReplans);
            if (verdict is (StepVerdict.RepairSubgoal or StepVerdict.Replan or StepVerdict.Settle) && _journal.Failure is { } failure)
                _log.Warning("subgoal check: {0}", failure);
            Continue(verdict, c, _journal.Failure);
        }));
        Receive<PhaseTimeout>(_ =>
        {
            _journal.SubgoalNotChecked("no settle or scene came in time");
            Become(Settling);
        });
    }

    /// <summary>Sends the step in force, requested at the robot time of <paramref name="clock"/>, and waits for its result.</summary>
    private void SendStepNow(RobotClock clock)
    {
        _stepStartTick = clock.Tick;
        var command = _journal.BeginStep(clock.SecondsSince(_startTick), out var advice);
        if (_keptCap is { } kept) command = command with { MaxToolSpeed = Math.Min(command.MaxToolSpeed ?? double.PositiveInfinity, kept) };
        if (advice is not null) _log.Info("{0}", advice);
        // the robot node keeps the step in force, to report it should this brain vanish (sent first: mailbox order)
        _organs.Robot?.Tell(new EpisodeUnderway(TaskId, Request.Instruction, Request.Seed, command.StepIndex));
        // stamped as it leaves: the control loop times it to the first tick that writes its motion (the run's command latency)
        _organs.Cerebellum.Tell(command with { SentUnixNs = Core.WallClock.UnixNs });
        Publish("running", executing: true);
        Arm(_timeouts.Skill);
        Become(Executing);
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
        if (_robotSilent || !_traceStarted)
        {
            Store(success, _robotSeconds, null);
            return;
        }
        // The robot's time at the end and the trace come together from the cerebellum.
        _organs.Cerebellum.Tell(new EndEpisodeTrace(TaskId, _startTick));
        Arm(_timeouts.Robot);
        Become(() =>
        {
            Receive<EpisodeTraceEnded>(e => e.TaskId == TaskId, e =>
            {
                _robotSeconds = e.RobotSeconds;
                Store(success, e.RobotSeconds, e.Trace);
            });
            Receive<PhaseTimeout>(_ => RobotSilent($"the cerebellum did not return the episode's trace within {_timeouts.Robot.TotalSeconds:0.###} s"));
        });
    }

    private void Store(bool success, double robotSeconds, EpisodeTrace? trace)
    {
        Timers.CancelAll();
        _storing = true;
        var record = _journal.ToRecord(success, robotSeconds, trace);
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
        Context.System.EventStream.Publish(_journal.Progress("failed", _robotSeconds, _startTick, executing: false)
            with { Success = false, Failure = reason });
        Finish(new EpisodeRejected(Request.Instruction, Request.Seed, reason));
    }

    private void Finish(object outcome)
    {
        Timers.CancelAll();
        _organs.Robot?.Tell(new EpisodeClosed(TaskId));
        _replyTo.Tell(outcome);
        Context.Stop(Self);
    }

    protected override void Unhandled(object message)
    {
        // The robot node is lost (the nervous system saw it unreachable): whatever this phase waited for will not come.
        if (message is RobotLost lost)
        {
            if (_journal.StartScene is null) Reject(lost.Reason); // nothing moved yet
            else if (!_robotSilent && !_storing) RobotSilent(lost.Reason);
            return;
        }
        // Late answers from an earlier phase (e.g. a plan after its timeout) are expected; ignore them quietly.
        if (message is PhaseTimeout or ObserveAgain or WorldResetFailed or SkillResult or PlanReady or PlanRefused or Recalled or FactsRecalled or PlansRecalled or SafetyFactsRecalled or SafetyFactRemembered or Settled or SceneSnapshot
            or RobotClock or EpisodeTraceStarted or EpisodeTraceEnded or MidPlanReviewDone) return;
        base.Unhandled(message);
    }
}
