using System.Collections.Immutable;
using CortexBot.Core.Goals;
using CortexBot.Core.Messages;
using CortexBot.Core.Skills;

namespace CortexBot.Core.Ports;

/// <summary>What a planner plans from; <paramref name="Image"/> is a camera frame of the scene when one was taken (multimodal planners).</summary>
public sealed record PlanningContext(string Instruction, SceneSnapshot Scene, SkillCatalogue Catalogue, ImmutableArray<EpisodeSummary> Memories, Anomaly? Anomaly,
    CameraFrame? Image = null)
{
    /// <summary>The hippocampus's semantic facts (how skills fared per object and tuning); empty when memory is off.</summary>
    public ImmutableArray<SemanticFact> Facts { get; init; } = [];

    /// <summary>The relations the task must leave holding, when the instruction reader could tell; planners tell models.</summary>
    public TaskGoal? Goal { get; init; }
}

/// <summary>Either a plan or a clear reason why none can be made.</summary>
public sealed record PlanResult(Plan? Plan, string? Refusal)
{
    /// <summary>With a plan from the instruction reader: the relations the instruction asks for (null when it asks for none,
    /// e.g. "go home").</summary>
    public TaskGoal? Goal { get; init; }

    public static PlanResult Of(Plan plan) => new(plan, null);
    public static PlanResult Refuse(string reason) => new(null, reason);
}

/// <summary>The cortex's planning port: rule-based by default, or a local language model (the llama planner, with images when given an mmproj).</summary>
public interface IPlanner
{
    string Name { get; }
    Task<PlanResult> PlanAsync(PlanningContext context, CancellationToken cancellationToken);
}
