namespace CortexBot.Core.Messages;

public enum SkillOutcome { Succeeded, Failed, Aborted }

/// <summary>Skill names that organs other than the one running the skill must agree on.</summary>
public static class SkillNames
{
    /// <summary>The learned pick-and-place (the shipped flow-matching policy), served by the cerebellum, planned by the cortex.</summary>
    public const string LearnedPickPlace = "learned_pick_place";
}

/// <summary>Ask the cerebellum to run one skill, with <paramref name="Tuning"/> adjusting an analytic skill's defaults
/// (null: the defaults); it answers with <see cref="SkillResult"/>.</summary>
public sealed record ExecuteSkill(Guid TaskId, int StepIndex, SkillInvocation Skill, SkillTuning? Tuning = null);

public sealed record SkillResult(Guid TaskId, int StepIndex, SkillInvocation Skill, SkillOutcome Outcome, string? Detail, TimeSpan Duration, Anomaly? Anomaly)
{
    public bool Succeeded => Outcome == SkillOutcome.Succeeded;
}

/// <summary>Abort whatever skill runs and hold position.</summary>
public sealed record AbortSkill(string Reason);

/// <summary>Hold still for a while so objects come to rest (advances physics in fast mode too).</summary>
public sealed record Settle(double Seconds);
public sealed record Settled;
