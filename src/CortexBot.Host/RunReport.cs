using System.Text.Json.Serialization;
using CortexBot.Core.Messages;

namespace CortexBot.Host;

// The run contract printed by `cortexbot run --json`; other tools rely on these names.
public sealed record RunReport(
    string Task,
    IReadOnlyList<EpisodeReport> Episodes,
    double SuccessRate,
    ControlReport Control,
    CortexReport Cortex,
    HippocampusReport Hippocampus)
{
    /// <summary>The learned policy the cerebellum served, and the device that ran it; null when none was loaded.</summary>
    public PolicyReport? Policy { get; init; }

    /// <summary>How the episodes started and where the scene came from (chosen by options or by discovery).</summary>
    public WorldReport? World { get; init; }

    /// <summary>Where the robot part ran and its garbage collections over the run (flat: the robot node allocated nothing worth collecting).</summary>
    public RobotNodeReport? RobotNode { get; init; }

    /// <summary>The safety screen over the run: the most severe verdict of any plan, and how many plans it screened.</summary>
    public RunSafetyReport? Safety { get; init; }
}

/// <summary>
/// The safety screen's verdict in reports: <c>verdict</c> allow, modify or refuse (the most severe of the plans
/// summarised), <c>reasons</c> each naming its policy rule, <c>escalated</c> whether the slow reasoning model was asked
/// (<c>--safety-model</c>, only about flagged plans), <c>review_ms</c> its time, <c>recalled</c> whether a remembered review
/// answered instead.
/// </summary>
public record SafetyReport(string Verdict, IReadOnlyList<string> Reasons, bool Escalated, double ReviewMs)
{
    /// <summary>What the fast screen could not judge (refused "needs review" unless --allow-unreviewed).</summary>
    public IReadOnlyList<string> Flags { get; init; } = [];
    /// <summary>A modify verdict's changes (per-step tool speed caps), or null.</summary>
    public string? Modification { get; init; }
    /// <summary>The fast screen's time over these plans (microseconds, summed).</summary>
    [JsonPropertyName("screen_us")] public double ScreenUs { get; init; }
    /// <summary>A remembered review of the same case answered a flagged plan (no escalation).</summary>
    public bool Recalled { get; init; }
    /// <summary>The slow reviewer's verdicts behind these plans, as it gave them (before the fast screen's re-check).</summary>
    public IReadOnlyList<string> Reviews { get; init; } = [];
    /// <summary>Reviews of what the scene raised while a plan ran (a new object in a keep-out zone, ...): how many.</summary>
    [JsonPropertyName("midplan_reviews")] public int MidplanReviews { get; init; }
    /// <summary>Their verdicts, one line each ("refuse: review: ...").</summary>
    [JsonPropertyName("midplan_verdicts")] public IReadOnlyList<string> MidplanVerdicts { get; init; } = [];

    /// <summary>As <see cref="From(IReadOnlyList{Core.Safety.SafetyVerdict})"/>, with the mid-plan reviews (null when there are neither).</summary>
    public static SafetyReport? From(IReadOnlyList<Core.Safety.SafetyVerdict> verdicts, IReadOnlyList<Core.Safety.SafetyVerdict> midPlan) =>
        midPlan.Count == 0 ? From(verdicts)
        : (From(verdicts) ?? new SafetyReport("allow", [], false, 0)) with { MidplanReviews = midPlan.Count, MidplanVerdicts = [.. midPlan.Select(v => v.ToString())] };

    /// <summary>Summarises verdicts: the most severe decision, every distinct reason and flag; null when there are none.</summary>
    public static SafetyReport? From(IReadOnlyList<Core.Safety.SafetyVerdict> verdicts)
    {
        if (verdicts.Count == 0) return null;
        var worst = verdicts.MaxBy(v => v.Decision)!;
        return new SafetyReport(worst.Verdict, [.. verdicts.SelectMany(v => v.Reasons).Distinct()], verdicts.Any(v => v.Escalated),
            Math.Round(verdicts.Sum(v => v.ReviewMs), 3))
        {
            Flags = [.. verdicts.SelectMany(v => v.Flags).Distinct()],
            Modification = verdicts.LastOrDefault(v => v.Modification is not null)?.Modification?.ToString(),
            ScreenUs = Math.Round(verdicts.Sum(v => v.ScreenUs), 2),
            Recalled = verdicts.Any(v => v.Recalled),
            Reviews = [.. verdicts.Where(v => v.Review is not null).Select(v => $"{v.Review!.Reviewer}: {v.Review.Verdict}").Distinct()],
        };
    }
}

/// <summary>As <see cref="SafetyReport"/> over a whole run, with the counts of plans screened and escalated.</summary>
public sealed record RunSafetyReport(string Verdict, IReadOnlyList<string> Reasons, bool Escalated, double ReviewMs, int ScreenedPlans, int EscalatedPlans,
    string Policy) : SafetyReport(Verdict, Reasons, Escalated, ReviewMs)
{
    public int RefusedPlans { get; init; }
    public int ModifiedPlans { get; init; }
    /// <summary>Flagged plans a remembered review answered (not escalated again).</summary>
    public int RecalledPlans { get; init; }
}

/// <summary>The robot node a run drove.</summary>
/// <param name="Address">Its actor system's address.</param>
/// <param name="Child">Started by this run as a child process (the default isolation) and ended with it.</param>
/// <param name="Separate">In another process (false: <c>--in-process</c>, the counts are this process's).</param>
/// <param name="GcBefore">Its GC counts at the run's start.</param>
/// <param name="GcAfter">Its GC counts at the run's end.</param>
public sealed record RobotNodeReport(string Address, int Pid, bool Child, bool Separate, GcCounts GcBefore, GcCounts GcAfter)
{
    /// <summary>The task id of an episode a previous brain left mid-way, stored by this run as interrupted.</summary>
    public Guid? InterruptedEpisodeStored { get; init; }
}

/// <summary>Garbage collections of each generation so far (GC.CollectionCount).</summary>
public sealed record GcCounts(int Gen0, int Gen1, int Gen2);

/// <param name="Reset">sim (the simulator reset the world), home (the arm moved home first) or none (the scene as it was).</param>
/// <param name="Perception">sim (the simulator's scene) or detections (a perception node's, through the perception file).</param>
/// <param name="Reason">Why: "as given", or what discovery found.</param>
/// <param name="PerceptionFile">With detections: the perception file in force.</param>
public sealed record WorldReport(string Reset, string Perception, string Reason, string? PerceptionFile)
{
    /// <summary>With detections: what the perceived scene made of the frames over the run (refused, ignored, jumps, vanishings).</summary>
    public PerceptionCounters? Detections { get; init; }
}

/// <param name="Device">The ONNX Runtime execution provider that ran the policy: "cpu" or "cuda".</param>
/// <param name="RequestedDevice">What --onnx-device asked for.</param>
/// <param name="Fallback">Why the requested device did not run it, or null.</param>
public sealed record PolicyReport(
    string Path,
    string Device,
    string RequestedDevice,
    string? Fallback);

public sealed record EpisodeReport(
    int Seed,
    bool Success,
    double DurationS,
    IReadOnlyList<string> Plan,
    int Anomalies,
    string? Failure,
    long EpisodeId,
    double WallS)
{
    /// <summary>The relations the task asked for, e.g. <c>in(red_cube, bin)</c>; empty when it asked for none (e.g. "go home").</summary>
    public IReadOnlyList<string> Goal { get; init; } = [];

    /// <summary>The relations of <see cref="Goal"/> that did not hold at the end; empty on success.</summary>
    public IReadOnlyList<string> Unmet { get; init; } = [];

    /// <summary>The safety screen's verdicts on the episode's plans, summarised; null where no screen ran.</summary>
    public SafetyReport? Safety { get; init; }

    /// <summary>The execution tree (task, subgoals, skills with status and robot times); absent when no plan was made.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public ExecutionTree? Tree { get; init; }
}

public sealed record ControlReport(
    double TargetHz,
    double AchievedHz,
    [property: JsonPropertyName("tick_jitter_p50_us")] long JitterP50Us,
    [property: JsonPropertyName("tick_jitter_p99_us")] long JitterP99Us,
    [property: JsonPropertyName("tick_jitter_max_us")] long JitterMaxUs,
    long LateTicks,
    long Ticks,
    string Pacing,
    bool RealtimePriority,
    long ClampedCommands)
{
    /// <summary>Commands the safety gate held because the tool or a fingertip would have left the safety envelope.</summary>
    public long EnvelopeHolds { get; init; }
    /// <summary>Commands whose step the gate scaled down to keep the tool under the speed limit.</summary>
    public long SpeedScaledCommands { get; init; }
    /// <summary>Commands the safety gate held because the tool or a fingertip would have entered a keep-out zone of the safety policy.</summary>
    public long ZoneHolds { get; init; }
    /// <summary>The tool speed limit in force (m/s); null without an envelope.</summary>
    [JsonPropertyName("max_tool_speed_m_s")] public double? MaxToolSpeed { get; init; }
    /// <summary>The fastest commanded tool speed the gate let through (m/s).</summary>
    [JsonPropertyName("peak_tool_speed_m_s")] public double PeakToolSpeed { get; init; }
    /// <summary>Motions sent whole to a trajectory controller (one trajectory message or goal each; 0 when commands stream per tick).</summary>
    public long Trajectories { get; init; }
    /// <summary>Trajectories the safety gate refused whole (a limit or the envelope violated).</summary>
    public long TrajectoriesRefused { get; init; }
    /// <summary>99th percentile of the largest joint error (last command vs measurement) per tick of the skills' motions (rad).</summary>
    [JsonPropertyName("tracking_error_p99_rad")] public double TrackingErrorP99 { get; init; }
    /// <summary>Skill commands timed from the brain's send to the first control tick that wrote their motion (one per step sent).</summary>
    public long CommandsTimed { get; init; }
    /// <summary>That command latency's median (microseconds): messaging, the skill's compilation and the wait for the next tick.</summary>
    public long CommandLatencyP50Us { get; init; }
    /// <summary>That command latency's 99th percentile (microseconds).</summary>
    public long CommandLatencyP99Us { get; init; }
}

/// <param name="Plans">Plans the cortex produced over the run: one per episode that got one, plus every replan after an anomaly.</param>
/// <param name="PlanLatencyMsP50">The median latency of those plans.</param>
public sealed record CortexReport(
    string Planner,
    int Plans,
    double PlanLatencyMsP50)
{
    /// <summary>Plans that were remembered plans grounded in the scene (the fast path: no planner call).</summary>
    public int FastPlans { get; init; }

    /// <summary>Plans the planner made (the slow path): first plans memory had none for, and every replan after an anomaly.</summary>
    public int SlowPlans { get; init; }
}

public sealed record HippocampusReport(
    int EpisodesStored,
    string Path);
