using System.Collections.Immutable;

namespace CortexBot.Core.Messages;

/// <summary>Run one task episode end to end (reset scene from seed, plan, execute, judge, remember).</summary>
public sealed record RunEpisode(string Instruction, int Seed);

/// <summary>One executed skill step.</summary>
/// <param name="Parameters">
/// The skill parameters the cerebellum ran the step with, as <c>name=value</c> pairs separated by <c>;</c> (e.g.
/// <c>hold_speed=0.5</c>); null when it ran with the skill's defaults.
/// </param>
public sealed record StepRecord(int Index, string Skill, SkillOutcome Outcome, string? Detail, double StartedAtS, double DurationS,
    string? Parameters = null);

/// <summary>Everything remembered about one episode.</summary>
public sealed record EpisodeRecord(
    Guid TaskId,
    string Instruction,
    int Seed,
    DateTimeOffset StartedAt,
    double DurationS,
    bool Success,
    string? FailureReason,
    string Planner,
    ImmutableArray<string> Plan,
    ImmutableArray<StepRecord> Steps,
    ImmutableArray<string> Anomalies,
    double PlanLatencyMs,
    string ControllerVersion)
{
    /// <summary>Store-assigned identity, 0 until stored.</summary>
    public long Id { get; init; }

    /// <summary>Where the objects were when the episode began (empty when not recorded, e.g. episodes stored before schema 3).</summary>
    public ImmutableArray<ObjectPlacement> SceneAtStart { get; init; } = [];

    /// <summary>Where the objects were when the outcome was judged (empty when not recorded).</summary>
    public ImmutableArray<ObjectPlacement> SceneAtEnd { get; init; } = [];

    /// <summary>
    /// The anomalies with their evidence and robot time. <see cref="Anomalies"/> keeps the same anomalies as plain text
    /// for older readers; episodes stored before schema 3 have only that.
    /// </summary>
    public ImmutableArray<AnomalyEvent> AnomalyEvents { get; init; } = [];

    /// <summary>The learned policy a step of this episode ran, null when only analytic skills ran (or not recorded).</summary>
    public PolicyIdentity? Policy { get; init; }

    /// <summary>
    /// Joint positions and gripper opening sampled at a fixed robot-time rate from the episode's start, for replay. Only
    /// loaded by the stores' single-episode reads and exports (lists and recall leave it null to stay light).
    /// </summary>
    public EpisodeTrace? Trace { get; init; }

    /// <summary>
    /// Object physics the run changed from the scene file (e.g. <c>--perturb red_cube:slippery</c>), as the simulator had
    /// them when the episode began; empty when nothing was changed, on a real robot, or for episodes stored before
    /// SQLite schema 5 / PostgreSQL schema 4. Replay re-applies them.
    /// </summary>
    public ImmutableArray<AppliedPerturbation> Perturbations { get; init; } = [];

    /// <summary>
    /// The relations the instruction asked for, as text (e.g. <c>in(red_cube, bin)</c>, see Core.Goals.Relation); empty when
    /// it asked for none (e.g. "go home") or the episode was stored before SQLite schema 6 / PostgreSQL schema 5.
    /// </summary>
    public ImmutableArray<string> Goal { get; init; } = [];

    /// <summary>The relations of <see cref="Goal"/> that did not hold when the outcome was judged (all of them when it was not judged).</summary>
    public ImmutableArray<string> Unmet { get; init; } = [];

    /// <summary>
    /// The episode did not end: its brain vanished mid-way and the robot node stopped the segment in force and held the
    /// arm (<see cref="Success"/> is false, <see cref="FailureReason"/> says what happened and at which step). Stored by
    /// the next brain the robot node told about it.
    /// </summary>
    public bool Interrupted { get; init; }

    /// <summary>
    /// How the episode ran as a tree (task, subgoals, skills) with each node's status and robot times; null when no plan
    /// was made or the episode was stored before SQLite schema 8 / PostgreSQL schema 7.
    /// </summary>
    public ExecutionTree? Tree { get; init; }
}

/// <summary>The statuses of <see cref="ExecutionTree"/> nodes.</summary>
public static class NodeStatus
{
    public const string Pending = "pending";
    public const string Running = "running";
    public const string Succeeded = "succeeded";
    public const string Failed = "failed";
    /// <summary>A subgoal that failed (a skill or its check) and then held after a local repair or a new plan.</summary>
    public const string Repaired = "repaired";
    /// <summary>Planned but never run: the episode ended first, or a repair or a new plan replaced it.</summary>
    public const string Skipped = "skipped";
}

/// <summary>
/// The execution tree of one episode: the task (the root: status and robot times), its subgoals in the order they were
/// first planned, each with the skills run or planned for it. Times are robot seconds since the episode's start.
/// </summary>
public sealed record ExecutionTree(string Task, string Status, double StartS, double? EndS, ImmutableArray<SubgoalNode> Subgoals)
{
    // by value, nodes included (what a store round trip must keep)
    public bool Equals(ExecutionTree? other) => other is not null && Task == other.Task && Status == other.Status && StartS.Equals(other.StartS)
        && EndS.Equals(other.EndS) && Subgoals.AsSpan().SequenceEqual(other.Subgoals.AsSpan());
    public override int GetHashCode() => HashCode.Combine(Task, Status, Subgoals.Length);
}

/// <summary>
/// One subgoal: the relation its skills bring about (null for steps that bring about none, e.g. a trailing move_home).
/// <see cref="Check"/> is the last check from the scene: "holds" or why not; null when never checked.
/// <see cref="Repairs"/> counts the local repairs and new plans that gave it skills again.
/// </summary>
public sealed record SubgoalNode(string? Relation, string Status, double? StartS, double? EndS, string? Check, int Repairs, ImmutableArray<SkillNode> Skills)
{
    public bool Equals(SubgoalNode? other) => other is not null && Relation == other.Relation && Status == other.Status && StartS.Equals(other.StartS)
        && EndS.Equals(other.EndS) && Check == other.Check && Repairs == other.Repairs && Skills.AsSpan().SequenceEqual(other.Skills.AsSpan());
    public override int GetHashCode() => HashCode.Combine(Relation, Status, Skills.Length);
}

/// <summary>One skill of a subgoal; <see cref="Step"/> is the index of its step record (null when it never ran).</summary>
public sealed record SkillNode(string Skill, string Status, double? StartS, double? EndS, int? Step = null);

/// <summary>One object's physics as a perturbation left them in the simulator: mass in kg, sliding friction coefficient.</summary>
public sealed record AppliedPerturbation(string Object, double Mass, double Friction)
{
    public override string ToString() => FormattableString.Invariant($"{Object}: mass {Mass} kg, friction {Friction}");
}

/// <summary>An object's place in a scene: world position in metres and yaw (rotation about z) in radians.</summary>
public sealed record ObjectPlacement(string Name, string Kind, double X, double Y, double Z, double Yaw)
{
    public static ImmutableArray<ObjectPlacement> Of(SceneSnapshot? scene) => scene is null
        ? []
        : [.. scene.Objects.Select(o => new ObjectPlacement(o.Name, o.Kind, Math.Round(o.Pose.Position.X, 5), Math.Round(o.Pose.Position.Y, 5),
            Math.Round(o.Pose.Position.Z, 5), Math.Round(o.Pose.Orientation.Yaw, 5)))];
}

/// <summary>One anomaly: its kind (see <see cref="AnomalyKinds"/>), the robot time it was reported (seconds from the episode's start), the step it ended and the evidence.</summary>
public sealed record AnomalyEvent(string Kind, double RobotTimeS, string Detail, int? Step = null);

/// <summary>Which learned policy ran: its file name and a content id (<c>sha256:</c> and the first 16 hex digits of the .onnx file's SHA-256).</summary>
public sealed record PolicyIdentity(string File, string Id);

public sealed record StoreEpisode(EpisodeRecord Episode);
public sealed record EpisodeStored(Guid TaskId, long Id);
public sealed record EpisodeStoreFailed(Guid TaskId, string Reason);
public sealed record Recalled(ImmutableArray<EpisodeSummary> Episodes);

/// <summary>The answer to <see cref="RunEpisode"/>.</summary>
public sealed record EpisodeOutcome(EpisodeRecord Episode, int AnomalyCount, long StoredId, string? StoreError)
{
    /// <summary>
    /// The latency of each plan the cortex produced for the episode, in order: the first and every replan after an
    /// anomaly (<see cref="EpisodeRecord.PlanLatencyMs"/> is their sum).
    /// </summary>
    public ImmutableArray<double> PlanLatenciesMs { get; init; } = [];

    /// <summary>Plans of this episode that came from memory (the cortex's fast path: no planner call).</summary>
    public int FastPlans { get; init; }

    /// <summary>Plans of this episode the planner made (the slow path: the first plan when memory had none that fit, and every replan).</summary>
    public int SlowPlans { get; init; }
    /// <summary>The safety screen's verdict on each plan of the episode, in order; empty where no screen ran.</summary>
    public ImmutableArray<Safety.SafetyVerdict> SafetyVerdicts { get; init; } = [];
    /// <summary>The verdicts on what the scene raised while the plan ran (<see cref="Safety.MidPlanScreen"/>), in order.</summary>
    public ImmutableArray<Safety.SafetyVerdict> MidPlanVerdicts { get; init; } = [];
}

/// <summary>The task cannot be attempted (refused instruction, bad scene); nothing moved.</summary>
public sealed record EpisodeRejected(string Instruction, int Seed, string Reason);

/// <summary>
/// How an episode is going, published on the actor system's event stream at each change (started, planned, each step,
/// the outcome) for live views and recordings; nothing waits on it.
/// </summary>
/// <param name="Status">planned, running, succeeded or failed (the plan tree's root).</param>
/// <param name="StartTick">The control tick the episode's robot time counts from.</param>
public sealed record EpisodeProgress(Guid TaskId, string Instruction, int Seed, string Status, double RobotTimeS, long StartTick,
    string Planner, ImmutableArray<StepProgress> Steps)
{
    public bool? Success { get; init; }
    public string? Failure { get; init; }
    /// <summary>The anomaly that just happened, if this update reports one.</summary>
    public AnomalyEvent? Anomaly { get; init; }
    public long EpisodeId { get; init; }
    public bool Finished => Success is not null;
}

/// <summary>One node of the plan tree: a skill step and its status (pending, running, succeeded, failed).</summary>
public sealed record StepProgress(int Index, string Skill, string Status, double? StartedS = null, double? DurationS = null, string? Detail = null);
