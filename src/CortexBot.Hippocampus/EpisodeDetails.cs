using System.Collections.Immutable;
using System.Text.Json;
using CortexBot.Core.Messages;

namespace CortexBot.Hippocampus;

/// <summary>
/// How the stores keep the structured parts of an episode (schema 3 in SQLite, 2 in PostgreSQL; perturbations from 5 and 4) in text columns: scenes
/// and anomaly events as snake_case JSON arrays, NULL when there are none, so episodes stored before read back empty.
/// </summary>
public static class EpisodeDetails
{
    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        RespectNullableAnnotations = true,
        RespectRequiredConstructorParameters = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static string? SceneJson(ImmutableArray<ObjectPlacement> scene) =>
        scene.IsDefaultOrEmpty ? null : JsonSerializer.Serialize(scene.ToArray(), Json);

    public static ImmutableArray<ObjectPlacement> ParseScene(string? json) =>
        json is null ? [] : Checked(JsonSerializer.Deserialize<ObjectPlacement[]>(json, Json), "scene");

    public static string? AnomaliesJson(ImmutableArray<AnomalyEvent> events) =>
        events.IsDefaultOrEmpty ? null : JsonSerializer.Serialize(events.ToArray(), Json);

    public static ImmutableArray<AnomalyEvent> ParseAnomalies(string? json) =>
        json is null ? [] : Checked(JsonSerializer.Deserialize<AnomalyEvent[]>(json, Json), "anomaly events");

    public static string? PerturbationsJson(ImmutableArray<AppliedPerturbation> perturbations) =>
        perturbations.IsDefaultOrEmpty ? null : JsonSerializer.Serialize(perturbations.ToArray(), Json);

    public static ImmutableArray<AppliedPerturbation> ParsePerturbations(string? json)
    {
        if (json is null) return [];
        var items = Checked(JsonSerializer.Deserialize<AppliedPerturbation[]>(json, Json), "perturbations");
        foreach (var p in items)
            if (PerturbationProblem(p) is { } problem)
                throw new JsonException($"a stored perturbation {problem}");
        return items;
    }

    /// <summary>What is wrong with a perturbation read from outside (a file, a column), or null when it is sound.</summary>
    public static string? PerturbationProblem(AppliedPerturbation p) =>
        string.IsNullOrWhiteSpace(p.Object) ? "has no object"
        : !(double.IsFinite(p.Mass) && p.Mass > 0) ? FormattableString.Invariant($"of {p.Object} has mass {p.Mass}, not a positive number of kg")
        : !(double.IsFinite(p.Friction) && p.Friction > 0) ? FormattableString.Invariant($"of {p.Object} has friction {p.Friction}, not a positive number")
        : null;

    private sealed record GoalColumn(string[] Relations, string[] Unmet, string? Structure = null);

    /// <summary>
    /// The goal and its unmet relations as one JSON object (<c>{"relations": [...], "unmet": [...], "structure": "..."}</c>),
    /// NULL without a goal. The structure (<see cref="Core.Goals.GoalStructure"/>) is what remembered plans are found by
    /// (<see cref="StructureSql"/>); kept in this column so finding them needs no schema change.
    /// </summary>
    public static string? GoalJson(ImmutableArray<string> goal, ImmutableArray<string> unmet) =>
        goal.IsDefaultOrEmpty ? null : JsonSerializer.Serialize(new GoalColumn([.. goal], unmet.IsDefault ? [] : [.. unmet],
            Core.Goals.GoalStructure.Of(goal)), Json);

    /// <summary>The SQL expression of a row's goal structure: SQLite's JSON functions, or PostgreSQL's jsonb operator.</summary>
    public static string StructureSql(bool postgres) =>
        postgres ? "(goal_json::jsonb ->> 'structure')" : "json_extract(goal_json, '$.structure')";

    public static (ImmutableArray<string> Goal, ImmutableArray<string> Unmet) ParseGoal(string? json)
    {
        if (json is null) return ([], []);
        var column = JsonSerializer.Deserialize<GoalColumn>(json, Json) ?? throw new JsonException("the stored goal is null");
        if (column.Relations.Any(r => r is null) || column.Unmet.Any(r => r is null)) throw new JsonException("the stored goal holds null");
        return ([.. column.Relations], [.. column.Unmet]);
    }

    /// <summary>The execution tree as snake_case JSON, NULL without one.</summary>
    public static string? TreeJson(ExecutionTree? tree) => tree is null ? null : JsonSerializer.Serialize(tree, Json);

    public static ExecutionTree? ParseTree(string? json)
    {
        if (json is null) return null;
        var tree = JsonSerializer.Deserialize<ExecutionTree>(json, Json) ?? throw new JsonException("the stored tree is null");
        return TreeProblem(tree) is { } problem ? throw new JsonException($"the stored tree {problem}") : tree;
    }

    /// <summary>What is wrong with a tree read from outside (a file, a column), or null when it is sound.</summary>
    public static string? TreeProblem(ExecutionTree tree) =>
        tree.Task is null || tree.Status is null ? "has no task or status"
        : tree.Subgoals.IsDefault || tree.Subgoals.Any(g => g is null || g.Status is null || g.Skills.IsDefault) ? "has a subgoal without its status or skills"
        : tree.Subgoals.Any(g => g.Skills.Any(k => k is null || k.Skill is null || k.Status is null)) ? "has a skill without its name or status"
        : null;

    public static PolicyIdentity? Policy(string? file, string? id) => file is null && id is null ? null : new PolicyIdentity(file ?? "", id ?? "");

    /// <summary>The trace blob of a column; a blob this code cannot read is reported with the episode it belongs to.</summary>
    public static EpisodeTrace? ParseTrace(byte[]? blob, long episodeId, string location)
    {
        if (blob is null)
            return null;
        try
        {
            return EpisodeTrace.Decode(blob);
        }
        catch (InvalidDataException ex)
        {
            throw new EpisodeStoreException($"Episode {episodeId} in {location} has an unreadable trace: {ex.Message}", ex);
        }
    }

    private static ImmutableArray<T> Checked<T>(T[]? items, string what) where T : class
    {
        if (items is null || items.Any(i => i is null))
            throw new JsonException($"the stored {what} holds null");
        return [.. items];
    }
}
