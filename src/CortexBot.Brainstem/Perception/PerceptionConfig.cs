using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using CortexBot.Core;
using CortexBot.Core.Geometry;
using CortexBot.Core.Json;
using CortexBot.Core.Messages;

namespace CortexBot.Brainstem.Perception;

/// <summary>
/// What a perception node's detections mean in this workcell, and what does not move (a JSON file, snake_case keys):
/// <list type="bullet">
/// <item><c>classes</c>: detection class id -> the movable object it is (name, kind, colour, and the size used when a
/// detection carries none). Detections of other class ids are ignored and counted.</item>
/// <item><c>table_height</c> and <c>fixtures</c>: the table top and the containers (name, kind, centre of the inner volume,
/// yaw, inner half size), always in the scene at their surveyed pose. A fixture's <c>class_id</c> names the detections of
/// it, which are then recognised and not used (the surveyed pose is authoritative).</item>
/// <item>Bounds: <c>stale_after_ms</c> (a frame stamped longer ago is refused; no fresher frame means the scene is stale),
/// <c>vanish_after_ms</c> (an object not in the frames for longer is gone), <c>jump_m</c>, and the noise filter's
/// <c>smoothing_frames</c> and <c>still_m</c> (see <see cref="PerceivedScene"/>).</item>
/// </list>
/// The default, <c>sim/perception.json</c>, describes sim/scene.xml (a test keeps them in agreement).
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record PerceptionConfig
{
    /// <summary>The file shipped for sim/scene.xml (beside it: both describe the same workcell).</summary>
    public static string DefaultPath => Path.Combine(RepoPaths.Sim, "perception.json");

    /// <summary>Height of the table top in the world frame (m).</summary>
    public double? TableHeight { get; init; }
    public double StaleAfterMs { get; init; } = 500;
    public double VanishAfterMs { get; init; } = 1000;
    public double JumpM { get; init; } = 0.05;
    /// <summary>How many recent sightings of a still object are averaged (1: none).</summary>
    public int SmoothingFrames { get; init; } = 8;
    /// <summary>A sighting within this distance of the averaged position is the object standing still (m).</summary>
    public double StillM { get; init; } = 0.015;
    public Dictionary<string, PerceivedClass> Classes { get; init; } = [];
    public List<Fixture> Fixtures { get; init; } = [];

    /// <summary>One movable object a class id stands for.</summary>
    [JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
    public sealed record PerceivedClass
    {
        public string? Name { get; init; }
        public string Kind { get; init; } = SceneKinds.Cube;
        public string? Color { get; init; }
        /// <summary>Full extents x, y, z (m), used when a detection's bounding box has no size.</summary>
        public double[]? Size { get; init; }
    }

    /// <summary>A container that does not move: the centre of its inner volume, its yaw and inner half extents.</summary>
    [JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
    public sealed record Fixture
    {
        public string? Name { get; init; }
        public string Kind { get; init; } = SceneKinds.Bin;
        public string? Color { get; init; }
        public string? ClassId { get; init; }
        public double[]? Position { get; init; }
        /// <summary>Rotation about the vertical (rad): fixtures stand on the table.</summary>
        public double Yaw { get; init; }
        public double[]? InnerHalfSize { get; init; }

        public SceneObject ToSceneObject() => new(Name!, Kind, Color,
            new Pose(Vec(Position!), Quat.FromAxisAngle(Vec3.UnitZ, Yaw)), Vec(InnerHalfSize!));
    }

    internal static Vec3 Vec(double[] v) => new(v[0], v[1], v[2]);

    /// <summary>Reads and checks <paramref name="path"/>; every problem is one line naming the file and key (exit 2).</summary>
    public static PerceptionConfig Load(string path)
    {
        if (!File.Exists(path)) throw new ConfigurationException($"perception file not found: {path}");
        PerceptionConfig? config;
        try { config = JsonSerializer.Deserialize<PerceptionConfig>(File.ReadAllText(path), CortexBotJson.Options); }
        catch (JsonException e)
        {
            // The serializer's message names the key (and an unknown one); drop its advice about the C# types.
            string why = e.Message.Split(" Path:", 2)[0].Replace("PerceptionConfig", "perception file", StringComparison.Ordinal);
            throw new ConfigurationException($"perception file {path}: {(e.Path is { } p ? $"at {p}: " : "")}{why.TrimEnd('.')}");
        }
        if (config is null) throw new ConfigurationException($"perception file {path} is empty (null)");
        return config.Validate($"perception file {path}");
    }

    /// <summary>Checks the values; throws <see cref="ConfigurationException"/> naming <paramref name="where"/> and the key.</summary>
    public PerceptionConfig Validate(string where = "perception configuration")
    {
        string W(string key) => $"{where}: {key}";
        if (TableHeight is not { } h || !double.IsFinite(h)) throw new ConfigurationException($"{W("table_height")} must be the table top's height in metres");
        Positive(StaleAfterMs, "stale_after_ms", 60_000);
        Positive(VanishAfterMs, "vanish_after_ms", 600_000);
        Positive(JumpM, "jump_m", 10);
        Positive(StillM, "still_m", 1);
        if (SmoothingFrames is < 1 or > 100) throw new ConfigurationException($"{W("smoothing_frames")} must be an integer in 1..100, got {SmoothingFrames}");
        if (Classes.Count == 0) throw new ConfigurationException($"{W("classes")} must map at least one detection class id to an object");
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (id, c) in Classes)
        {
            string key = $"classes.{id}";
            if (string.IsNullOrWhiteSpace(id)) throw new ConfigurationException($"{W("classes")}: a class id is empty");
            if (c is null) throw new ConfigurationException($"{W(key)} is null");
            if (string.IsNullOrWhiteSpace(c.Name)) throw new ConfigurationException($"{W(key + ".name")} is missing");
            if (!names.Add(c.Name)) throw new ConfigurationException($"{W(key + ".name")}: '{c.Name}' names two objects");
            if (string.IsNullOrWhiteSpace(c.Kind)) throw new ConfigurationException($"{W(key + ".kind")} is empty");
            if (c.Kind == SceneKinds.Bin) throw new ConfigurationException($"{W(key + ".kind")}: containers are fixtures (list '{c.Name}' under fixtures)");
            if (c.Size is not null) Extents(c.Size, key + ".size");
        }
        foreach (var (f, i) in Fixtures.Select((f, i) => (f, i)))
        {
            string key = $"fixtures[{i}]";
            if (f is null) throw new ConfigurationException($"{W(key)} is null");
            if (string.IsNullOrWhiteSpace(f.Name)) throw new ConfigurationException($"{W(key + ".name")} is missing");
            if (!names.Add(f.Name)) throw new ConfigurationException($"{W(key + ".name")}: '{f.Name}' names two objects");
            if (f.Kind != SceneKinds.Bin) throw new ConfigurationException($"{W(key + ".kind")} must be '{SceneKinds.Bin}' (the containers skills place into), got '{f.Kind}'");
            if (f.Position is not { Length: 3 } p || !p.All(double.IsFinite))
                throw new ConfigurationException($"{W(key + ".position")} must be [x, y, z] in metres (the centre of the inner volume)");
            if (!double.IsFinite(f.Yaw)) throw new ConfigurationException($"{W(key + ".yaw")} must be a finite angle in radians");
            if (f.InnerHalfSize is null) throw new ConfigurationException($"{W(key + ".inner_half_size")} is missing");
            Extents(f.InnerHalfSize, key + ".inner_half_size");
            if (f.ClassId is { } cid && Classes.ContainsKey(cid))
                throw new ConfigurationException($"{W(key + ".class_id")}: '{cid}' is also a movable object's class");
        }
        return this;

        void Positive(double v, string key, double max)
        {
            if (!double.IsFinite(v) || v <= 0 || v > max)
                throw new ConfigurationException($"{W(key)} must be in (0, {max.ToString(CultureInfo.InvariantCulture)}], got {v.ToString(CultureInfo.InvariantCulture)}");
        }

        void Extents(double[] v, string key)
        {
            if (v.Length != 3 || !v.All(x => double.IsFinite(x) && x > 0))
                throw new ConfigurationException($"{W(key)} must be three positive lengths [x, y, z] in metres");
        }
    }
}
