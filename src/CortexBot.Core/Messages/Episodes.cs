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
}

public sealed record StoreEpisode(EpisodeRecord Episode);
public sealed record EpisodeStored(Guid TaskId, long Id);
public sealed record EpisodeStoreFailed(Guid TaskId, string Reason);
public sealed record RecallRecent(string Instruction, int Limit);
public sealed record Recalled(ImmutableArray<EpisodeSummary> Episodes);

/// <summary>The answer to <see cref="RunEpisode"/>.</summary>
public sealed record EpisodeOutcome(EpisodeRecord Episode, int AnomalyCount, long StoredId, string? StoreError);

/// <summary>The task cannot be attempted (refused instruction, bad scene); nothing moved.</summary>
public sealed record EpisodeRejected(string Instruction, int Seed, string Reason);
