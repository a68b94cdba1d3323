using System.Collections.Immutable;
using System.Text.Json;
using CortexBot.Core.Messages;

namespace CortexBot.Hippocampus;

/// <summary>
/// How the stores keep the structured parts of an episode (schema 3 in SQLite, 2 in PostgreSQL) in text columns: scenes
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
