using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using CortexBot.Cerebellum.Learning;
using CortexBot.Cerebellum.Learning.Runtime;
using Parquet.Serialization;

namespace CortexBot.Cerebellum.Training.Demos;

/// <summary>One recorded frame, one Parquet row (LeRobot dataset column names).</summary>
public sealed class DemoFrame
{
    [JsonPropertyName("observation.state")] public float[] ObservationState { get; set; } = [];
    [JsonPropertyName("action")] public float[] Action { get; set; } = [];
    [JsonPropertyName("timestamp")] public float Timestamp { get; set; }
    [JsonPropertyName("frame_index")] public long FrameIndex { get; set; }
    [JsonPropertyName("episode_index")] public long EpisodeIndex { get; set; }
    [JsonPropertyName("index")] public long Index { get; set; }
    [JsonPropertyName("task_index")] public long TaskIndex { get; set; }
}

/// <summary>One line of meta/episodes.jsonl.</summary>
public sealed record DemoEpisodeInfo(
    [property: JsonPropertyName("episode_index")] int EpisodeIndex,
    [property: JsonPropertyName("tasks")] string[] Tasks,
    [property: JsonPropertyName("length")] int Length,
    [property: JsonPropertyName("seed")] int Seed,
    [property: JsonPropertyName("success")] bool Success,
    [property: JsonPropertyName("target")] string Target,
    [property: JsonPropertyName("failure")] string? Failure,
    [property: JsonPropertyName("duration_s")] double DurationS);

/// <summary>An episode loaded for training: observations [T, O] and actions [T, A], row-major.</summary>
public sealed record DemoEpisode(DemoEpisodeInfo Info, float[] Observations, float[] Actions)
{
    public int Length => Info.Length;
}

/// <summary>What meta/info.json says about the recording.</summary>
public sealed record DemoInfo(int Fps, double ControlRateHz, int Decimation, string Scene, int TotalEpisodes, int TotalFrames,
    int SuccessfulEpisodes, string[] ObservationNames, string[] ActionNames, int BaseSeed);

/// <summary>
/// The demonstration format: a LeRobot-style dataset folder (format v2.1 layout).
/// <c>meta/info.json</c> (fps, features with shapes and names, counts, path templates), <c>meta/episodes.jsonl</c>
/// (one line per episode: seed, success, target, failure, length), <c>meta/tasks.jsonl</c>, and
/// <c>data/chunk-000/episode_NNNNNN.parquet</c> with the columns <c>observation.state</c> (list&lt;float&gt;),
/// <c>action</c> (list&lt;float&gt;), <c>timestamp</c>, <c>frame_index</c>, <c>episode_index</c>, <c>index</c>, <c>task_index</c>.
/// Failed episodes are stored and marked <c>"success": false</c>; training reads only the successful ones.
/// </summary>
public static class DemoDataset
{
    public const string CodebaseVersion = "v2.1";
    public const string DataPathTemplate = "data/chunk-{episode_chunk:03d}/episode_{episode_index:06d}.parquet";
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };
    private static readonly JsonSerializerOptions JsonIndented = new() { WriteIndented = true };

    public static string EpisodePath(string root, int episode) => Path.Combine(root, "data", "chunk-000", $"episode_{episode:D6}.parquet");

    public static async Task WriteEpisodeAsync(string root, DemoEpisodeInfo info, IReadOnlyList<float[]> obs, IReadOnlyList<float[]> act, long firstIndex, int taskIndex, int fps)
    {
        var frames = new List<DemoFrame>(obs.Count);
        for (int i = 0; i < obs.Count; i++)
            frames.Add(new DemoFrame
            {
                ObservationState = obs[i], Action = act[i], Timestamp = (float)i / fps, FrameIndex = i,
                EpisodeIndex = info.EpisodeIndex, Index = firstIndex + i, TaskIndex = taskIndex,
            });
        var path = EpisodePath(root, info.EpisodeIndex);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        await ParquetSerializer.SerializeAsync(frames, path);
    }

    public static void WriteMeta(string root, DemoInfo info, IReadOnlyList<DemoEpisodeInfo> episodes, IReadOnlyList<string> tasks)
    {
        var meta = Path.Combine(root, "meta");
        Directory.CreateDirectory(meta);
        var features = new JsonObject
        {
            ["observation.state"] = Feature("float32", info.ObservationNames.Length, info.ObservationNames),
            ["action"] = Feature("float32", info.ActionNames.Length, info.ActionNames),
            ["timestamp"] = Feature("float32", 1, null),
            ["frame_index"] = Feature("int64", 1, null),
            ["episode_index"] = Feature("int64", 1, null),
            ["index"] = Feature("int64", 1, null),
            ["task_index"] = Feature("int64", 1, null),
        };
        var json = new JsonObject
        {
            ["codebase_version"] = CodebaseVersion,
            ["robot_type"] = "cortexbot_6dof_gripper",
            ["total_episodes"] = info.TotalEpisodes,
            ["total_frames"] = info.TotalFrames,
            ["total_tasks"] = tasks.Count,
            ["total_chunks"] = 1,
            ["chunks_size"] = 1000,
            ["fps"] = info.Fps,
            ["splits"] = new JsonObject { ["train"] = $"0:{info.TotalEpisodes}" },
            ["data_path"] = DataPathTemplate,
            ["features"] = features,
            ["cortexbot"] = new JsonObject
            {
                ["control_rate_hz"] = info.ControlRateHz,
                ["decimation"] = info.Decimation,
                ["scene"] = info.Scene,
                ["base_seed"] = info.BaseSeed,
                ["successful_episodes"] = info.SuccessfulEpisodes,
                ["expert"] = "analytic pick + place (SkillCompiler)",
            },
        };
        File.WriteAllText(Path.Combine(meta, "info.json"), json.ToJsonString(JsonIndented));
        File.WriteAllLines(Path.Combine(meta, "episodes.jsonl"), episodes.Select(e => JsonSerializer.Serialize(e, Json)));
        File.WriteAllLines(Path.Combine(meta, "tasks.jsonl"), tasks.Select((t, i) => new JsonObject { ["task_index"] = i, ["task"] = t }.ToJsonString()));
    }

    private static JsonObject Feature(string dtype, int size, string[]? names)
    {
        var f = new JsonObject { ["dtype"] = dtype, ["shape"] = new JsonArray(size) };
        if (names is not null) f["names"] = new JsonArray(names.Select(n => (JsonNode)JsonValue.Create(n)!).ToArray());
        return f;
    }

    /// <summary>Reads the info and episode list; checks that the layout matches <see cref="PolicyLayout"/>.</summary>
    /// <exception cref="Core.ConfigurationException">The folder is not a dataset or its layout differs, named precisely.</exception>
    public static (DemoInfo Info, List<DemoEpisodeInfo> Episodes) ReadMeta(string root)
    {
        var infoPath = Path.Combine(root, "meta", "info.json");
        if (!File.Exists(infoPath)) throw new Core.ConfigurationException($"{root} is not a demonstration dataset: {infoPath} is missing");
        JsonNode node;
        try { node = JsonNode.Parse(File.ReadAllText(infoPath)) ?? throw new JsonException("empty"); }
        catch (JsonException e) { throw new Core.ConfigurationException($"{infoPath} is not valid JSON: {e.Message}"); }
        string[] Names(string feature) =>
            node["features"]?[feature]?["names"]?.AsArray().Select(n => n!.GetValue<string>()).ToArray()
            ?? throw new Core.ConfigurationException($"{infoPath}: feature '{feature}' with names is missing");
        var obsNames = Names("observation.state");
        var actNames = Names("action");
        CheckLayout(infoPath, "observation.state", obsNames, PolicyLayout.ObservationNames);
        CheckLayout(infoPath, "action", actNames, PolicyLayout.ActionNames);
        var cb = node["cortexbot"];
        var info = new DemoInfo(
            node["fps"]?.GetValue<int>() ?? throw new Core.ConfigurationException($"{infoPath}: fps is missing"),
            cb?["control_rate_hz"]?.GetValue<double>() ?? 0, cb?["decimation"]?.GetValue<int>() ?? 0, cb?["scene"]?.GetValue<string>() ?? "",
            node["total_episodes"]?.GetValue<int>() ?? 0, node["total_frames"]?.GetValue<int>() ?? 0,
            cb?["successful_episodes"]?.GetValue<int>() ?? 0, obsNames, actNames, cb?["base_seed"]?.GetValue<int>() ?? 0);
        var epPath = Path.Combine(root, "meta", "episodes.jsonl");
        if (!File.Exists(epPath)) throw new Core.ConfigurationException($"{root}: {epPath} is missing");
        var episodes = new List<DemoEpisodeInfo>();
        foreach (var line in File.ReadLines(epPath).Where(l => l.Length > 0))
        {
            try { episodes.Add(JsonSerializer.Deserialize<DemoEpisodeInfo>(line, Json) ?? throw new JsonException("null")); }
            catch (JsonException e) { throw new Core.ConfigurationException($"{epPath}: bad line '{line}': {e.Message}"); }
        }
        return (info, episodes);
    }

    private static void CheckLayout(string path, string feature, string[] actual, string[] expected)
    {
        if (actual.SequenceEqual(expected)) return;
        int i = 0;
        while (i < Math.Min(actual.Length, expected.Length) && actual[i] == expected[i]) i++;
        throw new Core.ConfigurationException(
            $"{path}: '{feature}' has the wrong layout ({actual.Length} entries, expected {expected.Length}; first difference at index {i}: " +
            $"'{(i < actual.Length ? actual[i] : "<none>")}' where '{(i < expected.Length ? expected[i] : "<none>")}' is expected)");
    }

    /// <summary>Loads the successful episodes (failed ones are marked in the dataset and skipped here).</summary>
    public static async Task<(DemoInfo Info, List<DemoEpisode> Episodes)> LoadSuccessfulAsync(string root)
    {
        var (info, metas) = ReadMeta(root);
        var result = new List<DemoEpisode>();
        foreach (var m in metas.Where(m => m.Success))
        {
            var path = EpisodePath(root, m.EpisodeIndex);
            if (!File.Exists(path)) throw new Core.ConfigurationException($"{root}: episode {m.EpisodeIndex} is listed but {path} is missing");
            IList<DemoFrame> frames;
            try { frames = (await ParquetSerializer.DeserializeAsync<DemoFrame>(path)).Data; }
            catch (Exception e) when (e is not Core.ConfigurationException) { throw new Core.ConfigurationException($"{path} is not a readable demonstration file: {e.Message}"); }
            int o = PolicyLayout.ObservationSize, a = PolicyLayout.ActionSize;
            var obs = new float[frames.Count * o];
            var act = new float[frames.Count * a];
            for (int i = 0; i < frames.Count; i++)
            {
                var f = frames[i];
                if (f.ObservationState.Length != o || f.Action.Length != a)
                    throw new Core.ConfigurationException($"{path}: frame {i} has {f.ObservationState.Length} observation and {f.Action.Length} action values; the layout needs {o} and {a}");
                f.ObservationState.CopyTo(obs, i * o);
                f.Action.CopyTo(act, i * a);
            }
            result.Add(new DemoEpisode(m with { Length = frames.Count }, obs, act));
        }
        return (info, result);
    }
}
