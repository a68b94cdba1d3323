using System.Collections.Immutable;
using CortexBot.Core.Messages;
using CortexBot.Core.Skills;

namespace CortexBot.Core.Ports;

public sealed record PlanningContext(string Instruction, SceneSnapshot Scene, SkillCatalogue Catalogue, ImmutableArray<EpisodeSummary> Memories, Anomaly? Anomaly);

/// <summary>Either a plan or a clear reason why none can be made.</summary>
public sealed record PlanResult(Plan? Plan, string? Refusal)
{
    public static PlanResult Of(Plan plan) => new(plan, null);
    public static PlanResult Refuse(string reason) => new(null, reason);
}

/// <summary>The cortex's planning port: rule-based by default, a local VLM later.</summary>
public interface IPlanner
{
    string Name { get; }
    Task<PlanResult> PlanAsync(PlanningContext context, CancellationToken cancellationToken);
}
