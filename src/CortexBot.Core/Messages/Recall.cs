using System.Collections.Immutable;

namespace CortexBot.Core.Messages;

/// <summary>
/// Narrows a recall. Every set field must hold: <see cref="Task"/> is a case-insensitive substring of the instruction,
/// <see cref="Object"/> an object named in the plan (e.g. <c>red_cube</c>), <see cref="Success"/> the outcome,
/// <see cref="Since"/>/<see cref="Until"/> bound the episode's start time (since inclusive, until exclusive).
/// </summary>
public sealed record RecallFilter(string? Task = null, string? Object = null, bool? Success = null,
    DateTimeOffset? Since = null, DateTimeOffset? Until = null)
{
    public static RecallFilter None { get; } = new();

    public bool IsEmpty => Task is null && Object is null && Success is null && Since is null && Until is null;
}

/// <summary>
/// Ask the hippocampus for the plans of the <paramref name="Limit"/> most recent successful episodes whose goal has the
/// structure <paramref name="GoalStructure"/> (see <see cref="Goals.GoalStructure"/>) and that ran their first plan
/// through without an anomaly (so the stored plan is one plan, not a plan and its replans); answered with <see cref="PlansRecalled"/>.
/// </summary>
public sealed record RecallPlanFor(string GoalStructure, int Limit);

/// <summary>A plan that once brought about <paramref name="Goal"/>, from episode <paramref name="EpisodeId"/>.</summary>
public sealed record RememberedPlan(long EpisodeId, Goals.TaskGoal Goal, Plan Plan);

/// <summary>The answer to <see cref="RecallPlanFor"/>, most recent first; empty when none fits.</summary>
public sealed record PlansRecalled(ImmutableArray<RememberedPlan> Plans);

/// <summary>Ask the hippocampus for the <paramref name="Limit"/> stored episodes most similar to <paramref name="Text"/>
/// that pass <paramref name="Filter"/> (null: all); answered with <see cref="Recalled"/> (most similar first, ties to the
/// most recent).</summary>
public sealed record RecallSimilar(string Text, int Limit, RecallFilter? Filter = null);

/// <summary>
/// One consolidated (semantic) fact: how a skill has fared with an object over all remembered episodes.
/// Times are episode start times.
/// </summary>
public sealed record SemanticFact(
    string Object,
    string Skill,
    int Successes,
    int Failures,
    int Aborts,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    DateTimeOffset? LastSuccess,
    DateTimeOffset? LastFailure,
    ImmutableArray<string> RecentFailureReasons,
    long LastEpisodeId)
{
    /// <summary>The skill's tuning these counts are for (<see cref="SkillTuning"/>'s text form; empty: the defaults).</summary>
    public string Tuning { get; init; } = "";

    public int Attempts => Successes + Failures + Aborts;
    public double SuccessRate => Attempts == 0 ? 0 : (double)Successes / Attempts;
}

/// <summary>Ask the hippocampus for the semantic facts (all, or those about one object); answered with <see cref="FactsRecalled"/>.</summary>
public sealed record RecallFacts(string? Object);

public sealed record FactsRecalled(ImmutableArray<SemanticFact> Facts);
