using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using CortexBot.Cerebellum.Learning;
using CortexBot.Cerebellum.Learning.Runtime;
using Parquet.Serialization;
using CortexBot.Core.Json;

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
    int EpisodeIndex,
    string[] Tasks,
    int Length,
    int Seed,
    bool Success,
    string Target,
    string? Failure,
    double DurationS);

/// <summary>An episode loaded for training: observations [T, O] and actions [T, A], row-major.</summary>
public sealed record DemoEpisode(DemoEpisodeInfo Info, float[] Observations, float[] Actions)
{
    public int Length => Info.Length;
}

/// <summary>What meta/info.json says about the recording.</summary>
public sealed record DemoInfo(int Fps, double ControlRateHz, int Decimation, string Scene, int TotalEpisodes, int TotalFrames,
    int SuccessfulEpisodes, string[] ObservationNames, string[] ActionNames, int BaseSeed)
{
    /// <summary>The camera videos' frame size, when the dataset has videos.</summary>
    public (int Width, int Height)? Video { get; init; }
}

/// <summary>Per-channel statistics of an episode's video frames, normalised to [0, 1] as LeRobot keeps image stats.</summary>
public sealed class ImageStats
{
    private readonly double[] _min = [1, 1, 1], _max = [0, 0, 0], _sum = new double[3], _sumSq = new double[3];
    private long _pixels;
    public int Frames { get; private set; }

    public void Add(Core.Ports.CameraFrame frame)
    {
        var rgb = frame.Rgb;
        for (int i = 0; i < rgb.Length; i += 3)
            for (int c = 0; c < 3; c++)
            {
                double v = rgb[i + c] / 255.0;
                if (v < _min[c]) _min[c] = v;
                if (v > _max[c]) _max[c] = v;
                _sum[c] += v;
                _sumSq[c] += v * v;
            }
        _pixels += rgb.Length / 3;
        Frames++;
    }

    /// <summary>LeRobot's shape for image stats: [channel][1][1].</summary>
    public JsonObject ToJson()
    {
        JsonArray Per(Func<int, double> f) => new([.. Enumerable.Range(0, 3).Select(c => (JsonNode)new JsonArray(new JsonArray(Math.Round(f(c), 6))))]);
        double Mean(int c) => _pixels == 0 ? 0 : _sum[c] / _pixels;
        return new JsonObject
        {
            ["min"] = Per(c => _min[c]), ["max"] = Per(c => _max[c]), ["mean"] = Per(Mean),
            ["std"] = Per(c => _pixels == 0 ? 0 : Math.Sqrt(Math.Max(0, _sumSq[c] / _pixels - Mean(c) * Mean(c)))),
            ["count"] = new JsonArray(Frames),
        };
    }
}

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
    public const string VideoPathTemplate = "videos/chunk-{episode_chunk:03d}/{video_key}/episode_{episode_index:06d}.mp4";
    /// <summary>The scene camera's video feature.</summary>
    public const string VideoKey = "observation.images.cam";

    public static string VideoPath(string root, int episode) => Path.Combine(root, "videos", "chunk-000", VideoKey, $"episode_{episode:D6}.mp4");

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
        if (info.Video is var (w, h))
            features[VideoKey] = new JsonObject
            {
                ["dtype"] = "video",
                ["shape"] = new JsonArray(h, w, 3),
                ["names"] = new JsonArray("height", "width", "channels"),
                ["info"] = new JsonObject
                {
                    ["video.height"] = h, ["video.width"] = w, ["video.codec"] = "h264", ["video.pix_fmt"] = "yuv420p",
                    ["video.is_depth_map"] = false, ["video.fps"] = info.Fps, ["video.channels"] = 3, ["has_audio"] = false,
                },
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
            ["video_path"] = info.Video is null ? null : VideoPathTemplate,
            ["total_videos"] = info.Video is null ? 0 : info.TotalEpisodes,
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
        File.WriteAllText(Path.Combine(meta, "info.json"), json.ToJsonString(CortexBotJson.Indented));
        File.WriteAllLines(Path.Combine(meta, "episodes.jsonl"), episodes.Select(e => JsonSerializer.Serialize(e, CortexBotJson.Options)));
        File.WriteAllLines(Path.Combine(meta, "tasks.jsonl"), tasks.Select((t, i) => new JsonObject { ["task_index"] = i, ["task"] = t }.ToJsonString()));
    }

    /// <summary>One line of meta/episodes_stats.jsonl: min, max, mean, std and count of every feature over the episode.</summary>
    public static JsonObject EpisodeStats(int episode, IReadOnlyList<float[]> obs, IReadOnlyList<float[]> act, long firstIndex, int taskIndex, int fps, ImageStats? image)
    {
        int n = obs.Count;
        var stats = new JsonObject
        {
            ["observation.state"] = Stats(obs),
            ["action"] = Stats(act),
            ["timestamp"] = Stats([.. Enumerable.Range(0, n).Select(i => new[] { (float)i / fps })]),
            ["frame_index"] = Stats([.. Enumerable.Range(0, n).Select(i => new[] { (float)i })]),
            ["episode_index"] = Stats([.. Enumerable.Range(0, n).Select(_ => new[] { (float)episode })]),
            ["index"] = Stats([.. Enumerable.Range(0, n).Select(i => new[] { (float)(firstIndex + i) })]),
            ["task_index"] = Stats([.. Enumerable.Range(0, n).Select(_ => new[] { (float)taskIndex })]),
        };
        if (image is not null) stats[VideoKey] = image.ToJson();
        return new JsonObject { ["episode_index"] = episode, ["stats"] = stats };
    }

    public static void WriteEpisodeStats(string root, IEnumerable<JsonObject> lines) =>
        File.WriteAllLines(Path.Combine(root, "meta", "episodes_stats.jsonl"), lines.Select(l => l.ToJsonString()));

    private static JsonObject Stats(IReadOnlyList<float[]> rows)
    {
        int width = rows.Count == 0 ? 0 : rows[0].Length;
        var min = new double[width]; var max = new double[width]; var sum = new double[width]; var sq = new double[width];
        Array.Fill(min, double.PositiveInfinity); Array.Fill(max, double.NegativeInfinity);
        foreach (var r in rows)
            for (int j = 0; j < width; j++) { double v = r[j]; min[j] = Math.Min(min[j], v); max[j] = Math.Max(max[j], v); sum[j] += v; sq[j] += v * v; }
        int n = Math.Max(1, rows.Count);
        JsonArray A(Func<int, double> f) => new([.. Enumerable.Range(0, width).Select(j => (JsonNode)JsonValue.Create(Math.Round(f(j), 6)))]);
        return new JsonObject
        {
            ["min"] = A(j => rows.Count == 0 ? 0 : min[j]), ["max"] = A(j => rows.Count == 0 ? 0 : max[j]), ["mean"] = A(j => sum[j] / n),
            ["std"] = A(j => Math.Sqrt(Math.Max(0, sq[j] / n - (sum[j] / n) * (sum[j] / n)))), ["count"] = new JsonArray(rows.Count),
        };
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
            try { episodes.Add(JsonSerializer.Deserialize<DemoEpisodeInfo>(line, CortexBotJson.Options) ?? throw new JsonException("null")); }
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
