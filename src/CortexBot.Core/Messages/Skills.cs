namespace CortexBot.Core.Messages;

public enum SkillOutcome { Succeeded, Failed, Aborted }

/// <summary>
/// The names of the skills that code must name: the planners emit them, the cerebellum compiles them, the host judges goals
/// and tunes skills by them. What skills exist, with their arguments, is the catalogue's (agents/skills.json) to say; every
/// name here is in it (tested).
/// </summary>
public static class SkillNames
{
    public const string OpenGripper = "open_gripper";
    public const string CloseGripper = "close_gripper";
    public const string MoveHome = "move_home";
    /// <summary>(target): the gripper, pointing down, above an object or container.</summary>
    public const string MoveAbove = "move_above";
    /// <summary>(object): approach from above, grasp, lift.</summary>
    public const string Pick = "pick";
    /// <summary>(object, container): carry the held object into the container and set it down at a free spot there.</summary>
    public const string Place = "place";
    /// <summary>(object, base): put the held object on top of base, aligned.</summary>
    public const string Stack = "stack";
    /// <summary>(object, container): the learned pick-and-place (the shipped flow-matching policy), served by the cerebellum, planned by the cortex.</summary>
    public const string LearnedPickPlace = "learned_pick_place";
}

/// <summary>Ask the cerebellum to run one skill, with <paramref name="Tuning"/> adjusting an analytic skill's defaults
/// (null: the defaults); it answers with <see cref="SkillResult"/>.</summary>
public sealed record ExecuteSkill(Guid TaskId, int StepIndex, SkillInvocation Skill, SkillTuning? Tuning = null)
{
    /// <summary>
    /// A tool speed cap (m/s) for this skill below the safety envelope's, from the safety screen's <c>modify</c> verdict
    /// (e.g. while a fragile object is handled): the cerebellum times the skill for it and the safety gate enforces it.
    /// Null: no cap.
    /// </summary>
    public double? MaxToolSpeed { get; init; }

    /// <summary>
    /// When the sender sent it (wall clock, Unix nanoseconds; 0: not stamped): the control loop times stamped commands
    /// from here to the first tick that writes their motion (<see cref="ControlCounters.CommandLatencyP50Us"/>). Across
    /// machines the figure holds only as far as their clocks agree.
    /// </summary>
    public long SentUnixNs { get; init; }
}

public sealed record SkillResult(Guid TaskId, int StepIndex, SkillInvocation Skill, SkillOutcome Outcome, string? Detail, TimeSpan Duration, Anomaly? Anomaly)
{
    public bool Succeeded => Outcome == SkillOutcome.Succeeded;
}

/// <summary>Abort whatever skill runs and hold position.</summary>
public sealed record AbortSkill(string Reason);

/// <summary>Hold still for a while so objects come to rest (advances physics in fast mode too).</summary>
public sealed record Settle(double Seconds);
public sealed record Settled;
