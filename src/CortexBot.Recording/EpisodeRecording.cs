using System.Buffers;
using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;
using CortexBot.Recording.Mcap;

namespace CortexBot.Recording;

/// <summary>One step of a plan as the episode sees it at a moment.</summary>
public sealed record PlanStepStatus(int Index, string Skill, string Status, double? StartedS = null, double? DurationS = null, string? Detail = null);

/// <summary>Where CortexBot's channels go: an MCAP file, or the live telemetry stream.</summary>
public interface IChannelWriter
{
    /// <param name="topic">The channel.</param>
    /// <param name="schemaName">The JSON Schema's name (Foxglove's <c>foxglove.*</c> where one fits).</param>
    /// <param name="schema">The JSON Schema of the message.</param>
    /// <param name="timeNs">Unix time, ns.</param>
    /// <param name="json">The message, UTF-8 JSON.</param>
    void Write(string topic, string schemaName, string schema, ulong timeNs, ReadOnlySpan<byte> json);
}

/// <summary>Channels into an MCAP file: a schema and a channel are registered with their first message.</summary>
public sealed class McapChannelWriter(McapWriter writer) : IChannelWriter
{
    private readonly Dictionary<string, ushort> _channels = [];
    private readonly Dictionary<string, ushort> _schemas = [];

    public void Write(string topic, string schemaName, string schema, ulong timeNs, ReadOnlySpan<byte> json)
    {
        if (!_channels.TryGetValue(topic, out var channel))
        {
            if (!_schemas.TryGetValue(schemaName, out var schemaId))
                _schemas[schemaName] = schemaId = writer.AddSchema(schemaName, "jsonschema", Encoding.UTF8.GetBytes(schema));
            _channels[topic] = channel = writer.AddChannel(schemaId, topic, "json");
        }
        writer.Write(channel, timeNs, timeNs, json);
    }
}

/// <summary>An episode recorded into an MCAP file (see <see cref="EpisodeChannels"/> for the channels).</summary>
public sealed class EpisodeRecording : EpisodeChannels, IDisposable
{
    private readonly McapWriter _writer;

    public EpisodeRecording(Stream output, ulong startUnixNs, McapWriterOptions? options = null) : this(new McapWriter(output, options), startUnixNs) { }

    private EpisodeRecording(McapWriter writer, ulong startUnixNs) : base(new McapChannelWriter(writer), startUnixNs) => _writer = writer;

    public ulong MessageCount => _writer.MessageCount;

    public void Dispose()
    {
        DisposeJson();
        _writer.Dispose();
    }
}

/// <summary>
/// CortexBot's channels, in JSON with JSON Schema so Foxglove decodes every channel of a recording and a browser every
/// message of the live stream:
/// Foxglove's own schemas where one fits (joint states and commands as <c>foxglove.JointStates</c>, objects as
/// <c>foxglove.SceneUpdate</c> cubes, anomalies as <c>foxglove.Log</c>, camera frames as <c>foxglove.RawImage</c>) and
/// CortexBot's for the plan, the safety gate's clamps and the episode itself. A channel is created with its first message,
/// so every channel in a file has messages. Times are robot seconds from the episode's start, stamped from
/// <paramref name="startUnixNs"/>. Not for the control thread: call it from a recorder thread or after the episode.
/// Not thread-safe.
/// </summary>
public class EpisodeChannels(IChannelWriter output, ulong startUnixNs)
{
    public const string JointStatesTopic = "/joint_states";
    public const string CommandsTopic = "/commands";
    public const string ClampsTopic = "/safety/clamps";
    public const string PlanTopic = "/plan";
    public const string AnomaliesTopic = "/anomalies";
    public const string ObjectsTopic = "/objects";
    public const string CameraTopic = "/camera/image";
    public const string EpisodeTopic = "/episode";

    private readonly ArrayBufferWriter<byte> _buffer = new(4096);
    private readonly Utf8JsonWriter _json = new(Stream.Null);

    /// <summary>The start of the episode's clock, Unix ns.</summary>
    public ulong StartUnixNs { get; } = startUnixNs;

    public void JointStates(double t, IReadOnlyList<string> names, ReadOnlySpan<double> position, ReadOnlySpan<double> velocity, double gripperOpening) =>
        Joints(JointStatesTopic, t, names, position, velocity, gripperOpening);

    /// <summary>The command the safety gate let through to the arm.</summary>
    public void Commands(double t, IReadOnlyList<string> names, ReadOnlySpan<double> position, double gripperOpening) =>
        Joints(CommandsTopic, t, names, position, [], gripperOpening);

    private void Joints(string topic, double t, IReadOnlyList<string> names, ReadOnlySpan<double> position, ReadOnlySpan<double> velocity, double gripper)
    {
        var w = Begin();
        w.WriteStartObject();
        Stamp(w, t);
        w.WriteStartArray("joints");
        for (int i = 0; i < names.Count; i++)
        {
            w.WriteStartObject();
            w.WriteString("name", names[i]);
            w.WriteNumber("position", position[i]);
            if (velocity.Length > i) w.WriteNumber("velocity", velocity[i]);
            w.WriteEndObject();
        }
        w.WriteStartObject();
        w.WriteString("name", "gripper_opening");
        w.WriteNumber("position", gripper);
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        End(topic, "foxglove.JointStates", JointStatesSchema, t);
    }

    /// <summary>The safety gate's clamp counter: clamped commands so far and since the previous sample.</summary>
    public void Clamps(double t, long total, long sinceLast, long rejected)
    {
        var w = Begin();
        w.WriteStartObject();
        Stamp(w, t);
        w.WriteNumber("clamped_total", total);
        w.WriteNumber("clamped_since_last", sinceLast);
        w.WriteNumber("rejected_total", rejected);
        w.WriteEndObject();
        End(ClampsTopic, "cortexbot.SafetyClamps", ClampsSchema, t);
    }

    /// <summary>The plan as a tree (task, then its steps) with each node's status at <paramref name="t"/>.</summary>
    public void Plan(double t, string task, string status, IReadOnlyList<PlanStepStatus> steps)
    {
        var w = Begin();
        w.WriteStartObject();
        Stamp(w, t);
        w.WriteString("task", task);
        w.WriteString("status", status);
        w.WriteStartArray("steps");
        foreach (var s in steps)
        {
            w.WriteStartObject();
            w.WriteNumber("index", s.Index);
            w.WriteString("skill", s.Skill);
            w.WriteString("status", s.Status);
            if (s.StartedS is { } started) w.WriteNumber("started_s", Math.Round(started, 4));
            if (s.DurationS is { } duration) w.WriteNumber("duration_s", Math.Round(duration, 4));
            if (s.Detail is not null) w.WriteString("detail", s.Detail);
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        End(PlanTopic, "cortexbot.PlanStatus", PlanSchema, t);
    }

    public void Anomaly(AnomalyEvent anomaly)
    {
        var w = Begin();
        w.WriteStartObject();
        Stamp(w, anomaly.RobotTimeS);
        w.WriteNumber("level", 3); // WARNING: the episode goes on (replans) or fails cleanly
        w.WriteString("message", $"{anomaly.Kind}: {anomaly.Detail}");
        w.WriteString("name", anomaly.Step is { } step ? $"cerebellum/step {step}" : "cerebellum");
        w.WriteString("file", "");
        w.WriteNumber("line", 0);
        w.WriteEndObject();
        End(AnomaliesTopic, "foxglove.Log", LogSchema, anomaly.RobotTimeS);
    }

    /// <summary>The objects as cubes in the world frame (containers too: their bounding box).</summary>
    public void Objects(double t, IEnumerable<SceneObject> objects)
    {
        var w = Begin();
        w.WriteStartObject();
        w.WriteStartArray("deletions");
        w.WriteEndArray();
        w.WriteStartArray("entities");
        foreach (var o in objects)
        {
            if (!o.Pose.Position.IsFinite) continue;
            w.WriteStartObject();
            Stamp(w, t);
            w.WriteString("frame_id", "world");
            w.WriteString("id", o.Name);
            w.WriteStartObject("lifetime"); w.WriteNumber("sec", 0); w.WriteNumber("nsec", 0); w.WriteEndObject();
            w.WriteBoolean("frame_locked", false);
            w.WriteStartArray("metadata");
            w.WriteStartObject(); w.WriteString("key", "kind"); w.WriteString("value", o.Kind); w.WriteEndObject();
            w.WriteEndArray();
            foreach (var empty in (string[])["arrows", "spheres", "cylinders", "lines", "triangles", "texts", "models"]) { w.WriteStartArray(empty); w.WriteEndArray(); }
            w.WriteStartArray("cubes");
            w.WriteStartObject();
            WritePose(w, o.Pose);
            w.WriteStartObject("size");
            w.WriteNumber("x", 2 * o.HalfSize.X); w.WriteNumber("y", 2 * o.HalfSize.Y); w.WriteNumber("z", 2 * o.HalfSize.Z);
            w.WriteEndObject();
            var (r, g, b) = Rgb(o.Color);
            w.WriteStartObject("color");
            w.WriteNumber("r", r); w.WriteNumber("g", g); w.WriteNumber("b", b); w.WriteNumber("a", o.IsContainer ? 0.35 : 1.0);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }
        w.WriteEndArray();
        w.WriteEndObject();
        End(ObjectsTopic, "foxglove.SceneUpdate", SceneUpdateSchema, t);
    }

    /// <summary>A camera frame, tightly packed RGB rows, top row first.</summary>
    public void Camera(double t, int width, int height, ReadOnlySpan<byte> rgb, string frameId = "camera")
    {
        if (rgb.Length != width * height * 3) throw new ArgumentException($"an rgb8 frame of {width}x{height} has {width * height * 3} bytes, got {rgb.Length}");
        var w = Begin();
        w.WriteStartObject();
        Stamp(w, t);
        w.WriteString("frame_id", frameId);
        w.WriteNumber("width", width);
        w.WriteNumber("height", height);
        w.WriteString("encoding", "rgb8");
        w.WriteNumber("step", width * 3);
        w.WriteBase64String("data", rgb);
        w.WriteEndObject();
        End(CameraTopic, "foxglove.RawImage", RawImageSchema, t);
    }

    /// <summary>The episode: what was asked, and (when known) how it ended.</summary>
    public void Episode(double t, string instruction, int seed, string planner, bool? success, string? failure, long? episodeId = null)
    {
        var w = Begin();
        w.WriteStartObject();
        Stamp(w, t);
        w.WriteString("instruction", instruction);
        w.WriteNumber("seed", seed);
        w.WriteString("planner", planner);
        w.WriteString("outcome", success switch { true => "succeeded", false => "failed", null => "running" });
        if (failure is not null) w.WriteString("failure", failure);
        if (episodeId is { } id) w.WriteNumber("episode_id", id);
        w.WriteEndObject();
        End(EpisodeTopic, "cortexbot.Episode", EpisodeSchema, t);
    }

    protected void DisposeJson() => _json.Dispose();

    private Utf8JsonWriter Begin()
    {
        _buffer.Clear();
        _json.Reset(_buffer);
        return _json;
    }

    private void End(string topic, string schemaName, string schema, double t)
    {
        _json.Flush();
        output.Write(topic, schemaName, schema, TimeOf(t), _buffer.WrittenSpan);
    }

    private ulong TimeOf(double t) => StartUnixNs + (ulong)Math.Max(0, Math.Round(t * 1e9));

    private void Stamp(Utf8JsonWriter w, double t)
    {
        ulong ns = TimeOf(t);
        w.WriteStartObject("timestamp");
        w.WriteNumber("sec", ns / 1_000_000_000);
        w.WriteNumber("nsec", ns % 1_000_000_000);
        w.WriteEndObject();
    }

    private static void WritePose(Utf8JsonWriter w, Pose pose)
    {
        w.WriteStartObject("pose");
        w.WriteStartObject("position");
        w.WriteNumber("x", pose.Position.X); w.WriteNumber("y", pose.Position.Y); w.WriteNumber("z", pose.Position.Z);
        w.WriteEndObject();
        w.WriteStartObject("orientation");
        w.WriteNumber("x", pose.Orientation.X); w.WriteNumber("y", pose.Orientation.Y); w.WriteNumber("z", pose.Orientation.Z); w.WriteNumber("w", pose.Orientation.W);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static (double r, double g, double b) Rgb(string? colour) => colour?.ToLowerInvariant() switch
    {
        "red" => (0.85, 0.15, 0.15),
        "green" => (0.15, 0.7, 0.2),
        "blue" => (0.15, 0.3, 0.85),
        "yellow" => (0.9, 0.8, 0.1),
        _ => (0.6, 0.6, 0.6),
    };

    // JSON Schemas of the messages written above: Foxglove's names and fields for foxglove.*, ours for cortexbot.*.
    private const string TimeSchema = """{"type":"object","properties":{"sec":{"type":"integer","minimum":0},"nsec":{"type":"integer","minimum":0,"maximum":999999999}}}""";
    private const string JointStatesSchema = """{"title":"foxglove.JointStates","type":"object","properties":{"timestamp":""" + TimeSchema + ""","joints":{"type":"array","items":{"type":"object","properties":{"name":{"type":"string"},"position":{"type":"number"},"velocity":{"type":"number"},"acceleration":{"type":"number"},"effort":{"type":"number"}},"required":["name"]}}},"required":["timestamp","joints"]}""";
    private const string LogSchema = """{"title":"foxglove.Log","type":"object","properties":{"timestamp":""" + TimeSchema + ""","level":{"type":"integer","minimum":0,"maximum":5},"message":{"type":"string"},"name":{"type":"string"},"file":{"type":"string"},"line":{"type":"integer","minimum":0}},"required":["timestamp","level","message","name","file","line"]}""";
    private const string RawImageSchema = """{"title":"foxglove.RawImage","type":"object","properties":{"timestamp":""" + TimeSchema + ""","frame_id":{"type":"string"},"width":{"type":"integer","minimum":0},"height":{"type":"integer","minimum":0},"encoding":{"type":"string"},"step":{"type":"integer","minimum":0},"data":{"type":"string","contentEncoding":"base64"}},"required":["timestamp","frame_id","width","height","encoding","step","data"]}""";
    private const string Vec3Schema = """{"type":"object","properties":{"x":{"type":"number"},"y":{"type":"number"},"z":{"type":"number"}}}""";
    private const string SceneUpdateSchema = """{"title":"foxglove.SceneUpdate","type":"object","properties":{"deletions":{"type":"array","items":{"type":"object"}},"entities":{"type":"array","items":{"type":"object","properties":{"timestamp":""" + TimeSchema + ""","frame_id":{"type":"string"},"id":{"type":"string"},"lifetime":""" + TimeSchema + ""","frame_locked":{"type":"boolean"},"metadata":{"type":"array","items":{"type":"object","properties":{"key":{"type":"string"},"value":{"type":"string"}}}},"cubes":{"type":"array","items":{"type":"object","properties":{"pose":{"type":"object","properties":{"position":""" + Vec3Schema + ""","orientation":{"type":"object","properties":{"x":{"type":"number"},"y":{"type":"number"},"z":{"type":"number"},"w":{"type":"number"}}}}},"size":""" + Vec3Schema + ""","color":{"type":"object","properties":{"r":{"type":"number"},"g":{"type":"number"},"b":{"type":"number"},"a":{"type":"number"}}}}}},"arrows":{"type":"array"},"spheres":{"type":"array"},"cylinders":{"type":"array"},"lines":{"type":"array"},"triangles":{"type":"array"},"texts":{"type":"array"},"models":{"type":"array"}}}}},"required":["deletions","entities"]}""";
    private const string ClampsSchema = """{"title":"cortexbot.SafetyClamps","description":"Commands the safety gate clamped to a limit (running total and since the previous sample) and replaced as non-finite","type":"object","properties":{"timestamp":""" + TimeSchema + ""","clamped_total":{"type":"integer"},"clamped_since_last":{"type":"integer"},"rejected_total":{"type":"integer"}},"required":["timestamp","clamped_total","clamped_since_last","rejected_total"]}""";
    private const string PlanSchema = """{"title":"cortexbot.PlanStatus","description":"The plan as a tree: the task and its skill steps, each with its status","type":"object","properties":{"timestamp":""" + TimeSchema + ""","task":{"type":"string"},"status":{"type":"string","enum":["planned","running","succeeded","failed"]},"steps":{"type":"array","items":{"type":"object","properties":{"index":{"type":"integer"},"skill":{"type":"string"},"status":{"type":"string","enum":["pending","running","succeeded","failed","skipped"]},"started_s":{"type":"number"},"duration_s":{"type":"number"},"detail":{"type":"string"}},"required":["index","skill","status"]}}},"required":["timestamp","task","status","steps"]}""";
    private const string EpisodeSchema = """{"title":"cortexbot.Episode","type":"object","properties":{"timestamp":""" + TimeSchema + ""","instruction":{"type":"string"},"seed":{"type":"integer"},"planner":{"type":"string"},"outcome":{"type":"string","enum":["running","succeeded","failed"]},"failure":{"type":"string"},"episode_id":{"type":"integer"}},"required":["timestamp","instruction","seed","planner","outcome"]}""";

    /// <summary>Every channel's schema, for tests and tools: topic to (schema name, JSON Schema).</summary>
    public static ImmutableDictionary<string, (string Name, string Schema)> Schemas { get; } = new Dictionary<string, (string, string)>
    {
        [JointStatesTopic] = ("foxglove.JointStates", JointStatesSchema),
        [CommandsTopic] = ("foxglove.JointStates", JointStatesSchema),
        [ClampsTopic] = ("cortexbot.SafetyClamps", ClampsSchema),
        [PlanTopic] = ("cortexbot.PlanStatus", PlanSchema),
        [AnomaliesTopic] = ("foxglove.Log", LogSchema),
        [ObjectsTopic] = ("foxglove.SceneUpdate", SceneUpdateSchema),
        [CameraTopic] = ("foxglove.RawImage", RawImageSchema),
        [EpisodeTopic] = ("cortexbot.Episode", EpisodeSchema),
    }.ToImmutableDictionary();
}
