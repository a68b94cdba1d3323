using System.Collections.Immutable;

namespace CortexBot.Core.Messages;

/// <summary>One call of a catalogued skill, e.g. <c>place(red_cube, bin)</c>.</summary>
public sealed record SkillInvocation(string Skill, ImmutableArray<string> Args)
{
    public static SkillInvocation Of(string skill, params string[] args) => new(skill, [.. args]);
    public override string ToString() => $"{Skill}({string.Join(", ", Args)})";

    // ImmutableArray compares by reference; invocations compare by value.
    public bool Equals(SkillInvocation? other) => other is not null && Skill == other.Skill && Args.AsSpan().SequenceEqual(other.Args.AsSpan());
    public override int GetHashCode() => HashCode.Combine(Skill, Args.Length, Args.IsDefaultOrEmpty ? null : Args[0]);
}

public sealed record Plan(ImmutableArray<SkillInvocation> Steps)
{
    public ImmutableArray<string> Describe() => [.. Steps.Select(s => s.ToString())];
}

/// <summary>A compact memory of a past episode, given to the planner.</summary>
public sealed record EpisodeSummary(long Id, string Instruction, bool Success, string Plan, string? FailureReason);

public sealed record PlanRequest(Guid TaskId, string Instruction, SceneSnapshot Scene, ImmutableArray<EpisodeSummary> Memories, Anomaly? Anomaly)
{
    /// <summary>Semantic facts recalled for this task (see <see cref="SemanticFact"/>); empty when none.</summary>
    public ImmutableArray<SemanticFact> Facts { get; init; } = [];

    /// <summary>The relations the episode judges success by (read from the instruction), null when none; the cortex passes it to the planner.</summary>
    public Goals.TaskGoal? Goal { get; init; }

    /// <summary>
    /// A local repair: plan only this relation of the goal (a subgoal whose skills failed) from <see cref="PlanRequest.Scene"/>,
    /// from the catalogue's effects, without the planner; refused when it cannot be done that way.
    /// </summary>
    public Goals.Relation? Subgoal { get; init; }

    /// <summary>
    /// Plans remembered for goals of the same structure (most recent first): the cortex grounds and checks them before it
    /// calls the planner (the fast path). Empty on replans and repairs, and when memory is off.
    /// </summary>
    public ImmutableArray<RememberedPlan> RememberedPlans { get; init; } = [];

    /// <summary>Safety reviews the hippocampus remembers: a flagged plan whose case is among them is not escalated again.</summary>
    public ImmutableArray<Safety.SafetyFact> SafetyFacts { get; init; } = [];
}
public sealed record PlanReady(Guid TaskId, Plan Plan, string Planner, TimeSpan Latency)
{
    /// <summary>The plan's steps grouped by the relation each group brings about (see Skills.PlanTree); empty when not grouped.</summary>
    public ImmutableArray<Skills.Subgoal> Subgoals { get; init; } = [];

    /// <summary>The remembered episode whose plan this is, grounded in the current scene (the fast path); null when the planner made it.</summary>
    public long? FromEpisode { get; init; }

    public bool FastPath => FromEpisode is not null;

    /// <summary>The safety screen's verdict on the plan (allow or modify; null where no screen ran).</summary>
    public Safety.SafetyVerdict? Safety { get; init; }
}
public sealed record PlanRefused(Guid TaskId, string Reason, string Planner, TimeSpan Latency)
{
    /// <summary>Set when the safety screen refused the plan (the reason then names the rule).</summary>
    public Safety.SafetyVerdict? Safety { get; init; }
}

public sealed record CancelPlanning(Guid TaskId);
