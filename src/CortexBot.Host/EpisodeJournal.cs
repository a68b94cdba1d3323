using System.Collections.Immutable;
using CortexBot.Cerebellum.Skills;
using CortexBot.Core.Goals;
using CortexBot.Core.Messages;

namespace CortexBot.Host;

/// <summary>What the episode does after a skill's result.</summary>
public enum StepVerdict
{
    /// <summary>Send the plan's next step.</summary>
    NextStep,
    /// <summary>An organ restarted under the step (aborted): send the same step once more.</summary>
    Retry,
    /// <summary>An anomaly worth replanning, within the episode's bound: ask the cortex again from the current scene.</summary>
    Replan,
    /// <summary>
    /// As <see cref="Replan"/>, but first only the failed subgoal: ask the cortex for the skills that bring about its
    /// relation from the current scene (<see cref="EpisodeJournal.RepairRequestFrom"/>), keeping the rest of the plan.
    /// </summary>
    RepairSubgoal,
    /// <summary>
    /// The step ended a subgoal with a relation: let the object settle, look at the scene and check that relation and
    /// every earlier one (<see cref="EpisodeJournal.SubgoalChecked"/>), not only that the skills said they succeeded.
    /// </summary>
    CheckSubgoal,
    /// <summary>The plan is done or failed for good: let the arm settle, then judge.</summary>
    Settle,
}

/// <summary>
/// The bookkeeping of one episode, kept apart from the actor that walks it through the organs: the start, what was
/// recalled, the plans and their latencies, each step with its tuning, anomalies and outcome, the failure, and the
/// record the hippocampus stores. Plain and single-threaded (the <see cref="EpisodeActor"/> owns it); robot time is
/// passed in, so it is tested without actors or a control loop.
/// </summary>
public sealed class EpisodeJournal(RunEpisode request, string controllerVersion, PolicyIdentity? policy = null)
{
    private readonly DateTimeOffset _startedAt = DateTimeOffset.UtcNow;
    private readonly List<StepRecord> _steps = [];
    private readonly List<string> _anomalies = [];
    private readonly List<AnomalyEvent> _anomalyEvents = [];
    private readonly List<TuningAttempt> _attempts = [];
    private readonly Dictionary<string, SkillTuning> _grip = [];
    private readonly List<double> _planLatencies = [];
    private readonly List<string> _plans = [];
    private readonly List<Core.Safety.SafetyVerdict> _verdicts = [];
    private Core.Safety.SafetyVerdict? _safety;
    private SkillTuning _stepTuning = SkillTuning.Default;
    private double _stepStartedS;
    private double _planLatencyMs;
    private bool _retried, _learnedSkillRan, _stepFailed;
    private TaskGoal? _goal;
    private ImmutableArray<string>? _unmet;
    private SceneSnapshot? _endScene;
    private ImmutableArray<Core.Skills.Subgoal> _subgoals = [];
    private readonly HashSet<Relation> _repaired = [];
    private Core.Skills.Subgoal? _failedSubgoal;
    /// <summary>The subgoal whose skills just finished, while its check is under way.</summary>
    private Core.Skills.Subgoal? _checking;
    /// <summary>The relations whose subgoals' skills have run, in that order: each check looks at all of them again.</summary>
    private readonly List<Relation> _done = [];
    private readonly ExecutionTreeBuilder _tree = new(request.Instruction);

    public RunEpisode Request { get; } = request;
    public Guid TaskId { get; } = Guid.NewGuid();

    public SceneSnapshot? StartScene { get; private set; }
    public ImmutableArray<AppliedPerturbation> Perturbations { get; private set; } = [];
    public ImmutableArray<EpisodeSummary> Memories { get; private set; } = [];
    public ImmutableArray<SemanticFact> Facts { get; private set; } = [];
    public Plan? Plan { get; private set; }
    public string Planner { get; private set; } = "?";
    /// <summary>Index of the current step in <see cref="Plan"/>.</summary>
    public int Step { get; private set; }
    /// <summary>The index of the next step record (every attempt counts, across plans); results carry it back.</summary>
    public int StepCounter { get; private set; }
    public int Replans { get; private set; }
    public Anomaly? LastAnomaly { get; private set; }
    public string? Failure { get; private set; }
    public int AnomalyCount => _anomalies.Count;
    /// <summary>The step in force (valid while executing).</summary>
    public SkillInvocation CurrentSkill => Plan!.Steps[Step];
    /// <summary>The relations the instruction asks for (null when none): what <see cref="Judge"/> checks.</summary>
    public TaskGoal? Goal => _goal;

    /// <summary>The world is reset: the scene the episode starts from and the goal read from the instruction.</summary>
    public void Started(WorldReady ready, TaskGoal? goal)
    {
        StartScene = ready.Scene;
        Perturbations = ready.Perturbations;
        _goal = goal;
    }

    public void Recalled(ImmutableArray<EpisodeSummary> episodes) => Memories = episodes;
    public void Recalled(ImmutableArray<SemanticFact> facts) => Facts = facts;
    public void Recalled(ImmutableArray<RememberedPlan> plans) => RememberedPlans = plans;
    public void Recalled(ImmutableArray<Core.Safety.SafetyFact> reviews) => SafetyFacts = reviews;

    /// <summary>Safety reviews the hippocampus remembers, passed to the cortex with every plan request (empty without memory).</summary>
    public ImmutableArray<Core.Safety.SafetyFact> SafetyFacts { get; private set; } = [];

    /// <summary>Plans remembered for goals of this goal's structure, for the cortex's fast path (empty without memory).</summary>
    public ImmutableArray<RememberedPlan> RememberedPlans { get; private set; } = [];

    /// <summary>The structure of the goal (<see cref="GoalStructure"/>), null when there is no goal: what remembered plans are recalled by.</summary>
    public string? GoalStructureKey => _goal is { Relations.IsEmpty: false } g ? GoalStructure.Of(g) : null;

    /// <summary>Plans that came from memory (the fast path) and from the planner (the slow path: first plans and replans; local repairs are neither).</summary>
    public int FastPlans { get; private set; }
    public int SlowPlans { get; private set; }

    /// <summary>What the cortex is asked: the instruction, from <paramref name="scene"/>, with memories and the anomaly that made it replan.</summary>
    public PlanRequest PlanRequestFrom(SceneSnapshot scene) =>
        new(TaskId, Request.Instruction, scene, Memories, LastAnomaly) { Facts = Facts, Goal = _goal, SafetyFacts = SafetyFacts };

    /// <summary>The episode's first plan request: with the remembered plans, so the cortex may take the fast path (replans never do).</summary>
    public PlanRequest FirstPlanRequestFrom(SceneSnapshot scene) =>
        PlanRequestFrom(scene) with { RememberedPlans = RememberedPlans };

    /// <summary>A plan (first or replanned) replaces the one in force; a replan clears the failure that led to it.</summary>
    public void Adopt(PlanReady ready, bool replanned = false)
    {
        _subgoals = ready.Subgoals.IsDefault ? [] : ready.Subgoals;
        _tree.Adopt(ready.Plan, _subgoals);
        Plan = ready.Plan;
        Step = 0;
        _stepFailed = false;
        Planner = ready.Planner;
        if (ready.FastPath) FastPlans++;
        else SlowPlans++;
        _planLatencyMs += ready.Latency.TotalMilliseconds;
        _planLatencies.Add(Math.Round(ready.Latency.TotalMilliseconds, 3));
        _plans.AddRange(ready.Plan.Describe());
        _safety = ready.Safety;
        if (ready.Safety is { } v) _verdicts.Add(v);
        if (replanned) Failure = null;
    }

    public void PlanRefused(PlanRefused refused)
    {
        Planner = refused.Planner;
        if (refused.Safety is { } v) _verdicts.Add(v);
    }

    /// <summary>The safety screen's verdicts on every plan of the episode, in order (refusals of replans included).</summary>
    public IReadOnlyList<Core.Safety.SafetyVerdict> SafetyVerdicts => _verdicts;

    private readonly List<Core.Safety.SafetyVerdict> _midPlan = [];

    /// <summary>A verdict on what the scene raised while the plan ran (a mid-plan review); a refusal fails the episode with its reason.</summary>
    public void MidPlanReviewed(Core.Safety.SafetyVerdict verdict)
    {
        _midPlan.Add(verdict);
        if (verdict.Refused) Failure = $"safety (mid-plan review): {verdict}";
    }

    /// <summary>The mid-plan review verdicts of the episode, in order.</summary>
    public IReadOnlyList<Core.Safety.SafetyVerdict> MidPlanVerdicts => _midPlan;

    /// <summary>Local repairs adopted (each replaced the rest of one failed subgoal).</summary>
    public int Repairs { get; private set; }

    /// <summary>The subgoal whose step failed, while its repair is asked for.</summary>
    public Core.Skills.Subgoal? FailedSubgoal => _failedSubgoal;

    /// <summary>What the cortex is asked for a local repair: only the failed subgoal's relation, from <paramref name="scene"/>.</summary>
    public PlanRequest RepairRequestFrom(SceneSnapshot scene) =>
        PlanRequestFrom(scene) with { Subgoal = _failedSubgoal!.Relation };

    /// <summary>
    /// The repair replaces what was left of the failed subgoal; the later subgoals follow unchanged. The repair's steps
    /// join the record's plan (the rest was there already), and its latency counts as a plan's.
    /// </summary>
    public void AdoptRepair(PlanReady repair)
    {
        var failed = _failedSubgoal ?? throw new InvalidOperationException("no subgoal failed");
        _tree.Repair(repair.Plan, failed);
        var rest = Plan!.Steps[(failed.Last + 1)..];
        int n = repair.Plan.Steps.Length;
        Plan = new Plan([.. repair.Plan.Steps, .. rest]);
        _subgoals = [new Core.Skills.Subgoal(failed.Relation, 0, n - 1),
            .. _subgoals.Where(g => g.First > failed.Last).Select(g => g with { First = g.First - failed.Last - 1 + n, Last = g.Last - failed.Last - 1 + n })];
        Step = 0;
        _stepFailed = false;
        _failedSubgoal = null;
        Repairs++;
        _planLatencyMs += repair.Latency.TotalMilliseconds;
        _planLatencies.Add(Math.Round(repair.Latency.TotalMilliseconds, 3));
        _plans.AddRange(repair.Plan.Describe());
        Failure = null;
    }

    /// <summary>The repair was refused: the episode asks for a whole new plan instead (counted as the same replan).</summary>
    public void RepairRefused(string reason)
    {
        _failedSubgoal = null;
        Failure += $"; local repair refused: {reason}";
    }

    /// <summary>Sets the failure (a later reason replaces an earlier one).</summary>
    public void Fail(string reason) => Failure = reason;

    /// <summary>Adds to the failure in force (e.g. why replanning after it did not help).</summary>
    public void AddToFailure(string more) => Failure += more;

    /// <summary>The command for the current step, tuned as memory and this episode advise; <paramref name="advice"/> says why when not default.</summary>
    public ExecuteSkill BeginStep(double robotSeconds, out string? advice)
    {
        _stepStartedS = Math.Round(robotSeconds, 3);
        _stepFailed = false;
        var skill = CurrentSkill;
        _tree.Began(Step, StepCounter, _stepStartedS);
        (_stepTuning, advice) = TuningFor(skill);
        // a modify verdict's speed cap for this step of the plan in force
        return new ExecuteSkill(TaskId, StepCounter, skill, _stepTuning.IsDefault ? null : _stepTuning) { MaxToolSpeed = _safety?.SpeedCapFor(Step) };
    }

    /// <summary>
    /// How the cerebellum should grip: a pick gets what memory (facts) and this episode advise; a place carries on with
    /// the grip its object was picked with, and is remembered under it, so facts credit the grip with the whole carry.
    /// </summary>
    private (SkillTuning Tuning, string? Advice) TuningFor(SkillInvocation skill)
    {
        if (skill.Args.Length == 0) return (SkillTuning.Default, null);
        if (skill.Skill == SkillNames.Pick)
        {
            var advice = SkillTuningAdvisor.Advise(skill, Facts, _attempts);
            _grip[skill.Args[0]] = advice.Tuning;
            return (advice.Tuning, advice.Tuning.IsDefault ? null : $"{skill} with {advice.Tuning}: {advice.Reason}");
        }
        return (skill.Skill == SkillNames.Place && _grip.TryGetValue(skill.Args[0], out var grip) ? grip : SkillTuning.Default, null);
    }

    /// <summary>Whether <paramref name="result"/> answers the step in force (late answers from earlier steps do not).</summary>
    public bool IsCurrent(SkillResult result) => result.TaskId == TaskId && result.StepIndex == StepCounter;

    /// <summary>Records the step's result and says what comes next.</summary>
    public StepVerdict StepFinished(SkillResult r, double robotSeconds, int maxReplans)
    {
        // The anomaly's kind leads the detail, so the semantic facts can tell a slip from a miss.
        string? detail = r.Anomaly is { } an && r.Detail is { } d && !d.StartsWith(an.Kind, StringComparison.Ordinal) ? $"{an.Kind}: {d}" : r.Detail;
        _steps.Add(new StepRecord(StepCounter, r.Skill.ToString(), r.Outcome, detail, _stepStartedS, Math.Round(robotSeconds - _stepStartedS, 3))
            { Parameters = _stepTuning.IsDefault ? null : _stepTuning.ToString() });
        _attempts.Add(new TuningAttempt(r.Skill, _stepTuning, r.Outcome, r.Anomaly?.Kind));
        if (r.Skill.Skill == SkillNames.LearnedPickPlace) _learnedSkillRan = true;
        if (r.Anomaly is not null)
        {
            _anomalies.Add(r.Anomaly.ToString());
            _anomalyEvents.Add(new AnomalyEvent(r.Anomaly.Kind, Math.Round(_stepStartedS + r.Duration.TotalSeconds, 3), r.Anomaly.Detail, StepCounter));
        }
        _tree.Ended(Step, r.Succeeded, Math.Round(robotSeconds, 3));
        StepCounter++;
        _stepFailed = !r.Succeeded;
        if (r.Outcome == SkillOutcome.Aborted && !_retried)
        {
            // An organ restarted under this step; the arm held. Try the step once more (once per episode).
            _retried = true;
            return StepVerdict.Retry;
        }
        if (!r.Succeeded)
        {
            Failure = $"{r.Skill} failed: {r.Detail}";
            if (WorthReplanning(r.Anomaly) && Replans < maxReplans)
            {
                Replans++;
                LastAnomaly = r.Anomaly;
                // first only the failed subtree, once per relation; then the whole plan
                if (_subgoals.FirstOrDefault(g => g.Contains(Step)) is { Relation: { } relation } failed && _repaired.Add(relation))
                {
                    _failedSubgoal = failed;
                    return StepVerdict.RepairSubgoal;
                }
                return StepVerdict.Replan;
            }
            return StepVerdict.Settle;
        }
        Step++;
        // the last step of a subgoal with a relation: check it from the scene before going on
        if (_subgoals.FirstOrDefault(g => g.Last == Step - 1) is { Relation: not null } ended)
        {
            _checking = ended;
            return StepVerdict.CheckSubgoal;
        }
        return Step >= Plan!.Steps.Length ? StepVerdict.Settle : StepVerdict.NextStep;
    }

    /// <summary>The subgoal being checked (valid after <see cref="StepVerdict.CheckSubgoal"/>).</summary>
    public Core.Skills.Subgoal? CheckingSubgoal => _checking;

    /// <summary>
    /// The subgoal whose skills just succeeded is checked from <paramref name="scene"/>, and so is every subgoal done
    /// before it (a later placement may have knocked an earlier object out). A relation that does not hold is a failure
    /// of its subgoal: repaired locally (once per relation), then a whole new plan, within <paramref name="maxReplans"/>;
    /// past the bound the episode settles failed, the failure naming the relation and why.
    /// </summary>
    public StepVerdict SubgoalChecked(SceneSnapshot scene, double robotSeconds, int maxReplans)
    {
        ArgumentNullException.ThrowIfNull(scene);
        var ended = _checking ?? throw new InvalidOperationException("no subgoal is being checked");
        _checking = null;
        var relation = ended.Relation!;
        _done.Remove(relation);
        _done.Add(relation);
        // the subgoal just ended first, then the earlier ones in the order they were done
        (Relation Relation, string Reason)? broken = null;
        foreach (var r in _done.AsEnumerable().Reverse().Take(1).Concat(_done.Take(_done.Count - 1)))
        {
            var reason = r.Check(StartScene ?? scene, scene);
            _tree.Checked(r, reason, Math.Round(robotSeconds, 3), ended: r.Equals(relation));
            if (reason is not null && broken is null) broken = (r, reason);
        }
        if (broken is not { } b) return Step >= Plan!.Steps.Length ? StepVerdict.Settle : StepVerdict.NextStep;

        Failure = b.Relation.Equals(relation)
            ? $"{relation} does not hold after its skills succeeded: {b.Reason}"
            : $"{b.Relation} no longer holds after {relation}: {b.Reason}";
        _stepFailed = false;
        if (Replans >= maxReplans) return StepVerdict.Settle;
        Replans++;
        if (_repaired.Add(b.Relation))
        {
            // the repair's steps come before the rest of the plan (which goes on after the subgoal just ended)
            _failedSubgoal = new Core.Skills.Subgoal(b.Relation, ended.First, ended.Last);
            return StepVerdict.RepairSubgoal;
        }
        return StepVerdict.Replan;
    }

    /// <summary>No scene came to check the subgoal by: the episode fails (nothing is known to hold).</summary>
    public void SubgoalNotChecked(string reason)
    {
        var ended = _checking;
        _checking = null;
        Failure = ended is null ? reason : $"{ended.Relation} not checked: {reason}";
    }

    /// <summary>The step in force did not answer within <paramref name="limit"/>: recorded as aborted.</summary>
    public void StepTimedOut(double robotSeconds, TimeSpan limit)
    {
        Failure = $"{CurrentSkill} did not finish within {limit.TotalSeconds:0} s";
        _steps.Add(new StepRecord(StepCounter, CurrentSkill.ToString(), SkillOutcome.Aborted, "timeout", _stepStartedS, Math.Round(robotSeconds - _stepStartedS, 3)));
        _tree.Ended(Step, false, Math.Round(robotSeconds, 3));
    }

    /// <summary>
    /// Worth asking the cortex again from the scene as it now is. An object that vanished or jumped (perception) is
    /// replanned from the scene without it or at its confirmed place; stale perception is not (a plan from a scene nobody
    /// sees is no better): the arm holds and the episode reports it.
    /// </summary>
    private static bool WorthReplanning(Anomaly? a) =>
        a is not null && a.Kind is AnomalyKinds.GraspMissed or AnomalyKinds.ObjectDropped or AnomalyKinds.TrackingError
            or AnomalyKinds.TargetMoved or AnomalyKinds.NoProgress or AnomalyKinds.ObjectVanished or AnomalyKinds.ObjectJumped
            // the trajectory controller gave up the motion (it holds the arm): replan from where the arm now is
            or AnomalyKinds.PathTolerance or AnomalyKinds.GoalTolerance or AnomalyKinds.ControllerAborted;

    /// <summary>
    /// Success is read from the physics against the goal of the instruction (not of the plan). When the instruction
    /// reader finds no physical goal (e.g. "open the gripper"), every step having succeeded is the criterion.
    /// </summary>
    public bool Judge(SceneSnapshot endScene)
    {
        _endScene = endScene;
        if (Plan is null) return false;
        if (_goal is null) return Failure is null;
        var unmet = _goal.Unmet(StartScene!, endScene);
        _unmet = [.. unmet.Select(u => u.Relation.ToString())];
        var reason = unmet.IsEmpty ? null : string.Join("; ", unmet.Select(u => u.Reason));
        if (reason is not null) Failure ??= reason;
        return reason is null && Failure is null;
    }

    /// <summary>No scene came to judge by: the episode failed (keeping an earlier reason).</summary>
    public void NotJudged(string reason) => Failure ??= reason;

    /// <summary>The episode as the hippocampus stores it; <paramref name="trace"/> is the control loop's, copied off its buffer.</summary>
    public EpisodeRecord ToRecord(bool success, double robotSeconds, EpisodeTrace? trace) =>
        new(TaskId, Request.Instruction, Request.Seed, _startedAt, Math.Round(robotSeconds, 3), success,
            success ? null : Failure, Planner, [.. _plans], [.. _steps], [.. _anomalies], Math.Round(_planLatencyMs, 3), controllerVersion)
        {
            SceneAtStart = ObjectPlacement.Of(StartScene),
            SceneAtEnd = ObjectPlacement.Of(_endScene),
            AnomalyEvents = [.. _anomalyEvents],
            Policy = _learnedSkillRan ? policy : null,
            Perturbations = Perturbations,
            Trace = trace,
            Goal = _goal?.Describe() ?? [],
            // not judged (no scene at the end): nothing is known to hold
            Unmet = _unmet ?? _goal?.Describe() ?? [],
            Tree = Plan is null ? null : _tree.Build(success ? NodeStatus.Succeeded : NodeStatus.Failed, robotSeconds, ended: true),
        };

    /// <summary>
    /// The plan tree as it stands: steps done with their outcomes, the step in force running (when <paramref name="executing"/>),
    /// the rest of the plan pending.
    /// </summary>
    public EpisodeProgress Progress(string status, double robotSeconds, long startTick, bool executing, AnomalyEvent? anomaly = null)
    {
        var steps = _steps.Select(s => new StepProgress(s.Index, s.Skill, s.Outcome == SkillOutcome.Succeeded ? "succeeded" : "failed",
            s.StartedAtS, s.DurationS, s.Detail)).ToList();
        if (Plan is { } plan)
        {
            // The rest of the plan: after a failed step it starts past that step; once the episode ended it was skipped.
            bool ended = status is "succeeded" or "failed";
            int next = steps.Count;
            for (int i = Step + (_stepFailed && !executing ? 1 : 0); i < plan.Steps.Length; i++, next++)
            {
                bool running = executing && i == Step;
                steps.Add(new StepProgress(next, plan.Steps[i].ToString(), running ? "running" : ended ? "skipped" : "pending", running ? _stepStartedS : null));
            }
        }
        return new EpisodeProgress(TaskId, Request.Instruction, Request.Seed, status, Math.Round(robotSeconds, 3), startTick, Planner, [.. steps])
        {
            Anomaly = anomaly,
            Failure = Failure,
        };
    }

    /// <summary>The last anomaly recorded, if any.</summary>
    public AnomalyEvent? LatestAnomaly => _anomalyEvents.Count > 0 ? _anomalyEvents[^1] : null;

    public EpisodeOutcome Outcome(EpisodeRecord record, long storedId, string? storeError) =>
        new(record, AnomalyCount, storedId, storeError)
            { PlanLatenciesMs = [.. _planLatencies], SafetyVerdicts = [.. _verdicts], MidPlanVerdicts = [.. _midPlan], FastPlans = FastPlans, SlowPlans = SlowPlans };
}
