using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;

namespace CortexBot.Core.Safety;

/// <summary>An axis-aligned box in the table (world) frame, named by the policy (e.g. <c>operator_hand</c>).</summary>
public sealed record SafetyZone(string Name, Vec3 Min, Vec3 Max)
{
    public bool Contains(Vec3 p) => p.X >= Min.X && p.X <= Max.X && p.Y >= Min.Y && p.Y <= Max.Y && p.Z >= Min.Z && p.Z <= Max.Z;

    /// <summary>Does a box centred at <paramref name="centre"/> with <paramref name="half"/> extents overlap the zone?</summary>
    public bool Overlaps(Vec3 centre, Vec3 half) =>
        centre.X + half.X >= Min.X && centre.X - half.X <= Max.X &&
        centre.Y + half.Y >= Min.Y && centre.Y - half.Y <= Max.Y &&
        centre.Z + half.Z >= Min.Z && centre.Z - half.Z <= Max.Z;

    /// <summary>How deep (m) <paramref name="p"/> lies inside the zone: the distance to its nearest face; 0 outside.</summary>
    public double Depth(Vec3 p)
    {
        double d = Math.Min(Math.Min(p.X - Min.X, Max.X - p.X), Math.Min(Math.Min(p.Y - Min.Y, Max.Y - p.Y), Math.Min(p.Z - Min.Z, Max.Z - p.Z)));
        return d > 0 ? d : 0;
    }
}

/// <summary>A volume inside which the tool moves no faster than <see cref="MaxToolSpeed"/> (m/s).</summary>
public sealed record SpeedZone(SafetyZone Box, double MaxToolSpeed)
{
    public string Name => Box.Name;
}

/// <summary>
/// Properties of the objects an entry matches: by name (a glob, <c>*</c> any run of characters), kind and colour, all
/// given ones must match. Null properties are left to other entries; every matching entry contributes, later ones win.
/// </summary>
public sealed record ObjectRule(int Index, string? Name, string? Kind, string? Color, bool? Fragile, double? MassKg, bool? Upright)
{
    public bool Matches(SceneObject o) =>
        (Name is null || SafetyPolicy.Glob(Name, o.Name)) &&
        (Kind is null || string.Equals(Kind, o.Kind, StringComparison.OrdinalIgnoreCase)) &&
        (Color is null || string.Equals(Color, o.Color, StringComparison.OrdinalIgnoreCase));

    public string Describe() => string.Join(", ", new[] { Name is null ? null : $"name {Name}", Kind is null ? null : $"kind {Kind}", Color is null ? null : $"color {Color}" }.Where(s => s is not null));
}

/// <summary>What the policy knows about one object, merged from every matching <see cref="ObjectRule"/>.</summary>
public sealed record ObjectProperties(bool Fragile, double? MassKg, bool Upright, bool Known)
{
    public static ObjectProperties Unknown { get; } = new(false, null, false, false);
}

/// <summary>
/// A relation no plan may bring about, e.g. <c>on(*, fragile)</c>: nothing on a fragile object. Selectors: <c>*</c> any
/// object; <c>fragile</c> or <c>upright</c> an object with that property; <c>zone</c> or <c>zone:NAME</c> an object lying in
/// any (or that) keep-out or speed zone; <c>kind:K</c>, <c>color:C</c>; anything else an object name glob.
/// </summary>
public sealed record ForbiddenRelation(string Name, string Relation, string Object, string Target);

/// <summary>
/// The safety policy as data (<c>agents/safety.json</c>): keep-out and speed zones in the table frame, object properties,
/// forbidden relations, the arm's payload and the hazard words the screen must not judge alone. Read and validated at
/// start: any unknown or bad key is a <see cref="ConfigurationException"/> naming the key and the reason. Objects are
/// tagged through the policy (scene object names, kinds and colours), not through the scene files: the same scene can be
/// screened under different policies, and perceived objects have no MJCF.
/// </summary>
public sealed partial record SafetyPolicy
{
    public string Source { get; init; } = "(built in)";
    public double PayloadKg { get; init; } = double.PositiveInfinity;
    public ImmutableArray<SafetyZone> KeepOutZones { get; init; } = [];
    public ImmutableArray<SpeedZone> SpeedZones { get; init; } = [];
    /// <summary>The deceleration (m/s²) the gate leaves the tool to stop before a keep-out zone (see <see cref="SafetyZones.Braking"/>).</summary>
    public double ZoneBraking { get; init; } = SafetyZones.DefaultBraking;
    public ImmutableArray<ObjectRule> Objects { get; init; } = [];
    /// <summary>Whether an object a plan moves or builds on must match an object rule; one that does not is flagged for review.</summary>
    public bool RequireProperties { get; init; }
    /// <summary>The tool speed cap (m/s) for every step that carries or handles a fragile object.</summary>
    public double FragileToolSpeed { get; init; } = SafetyEnvelopeDefaults.CollaborativeToolSpeed;
    public ImmutableArray<ForbiddenRelation> ForbiddenRelations { get; init; } = [];
    public ImmutableArray<string> HazardWords { get; init; } = [];

    /// <summary>Allows everything: no zones, no rules, unlimited payload (what runs without a policy file get).</summary>
    public static SafetyPolicy Permissive { get; } = new();

    /// <summary>True when the gate has nothing to enforce per tick.</summary>
    public bool HasZones => KeepOutZones.Length > 0 || SpeedZones.Length > 0;

    public static string DefaultPath => Path.Combine(RepoPaths.Agents, "safety.json");

    /// <summary>The object's properties merged from every matching rule (later rules win).</summary>
    public ObjectProperties PropertiesOf(SceneObject o)
    {
        bool known = false, fragile = false, upright = false;
        double? mass = null;
        foreach (var r in Objects)
        {
            if (!r.Matches(o)) continue;
            known = true;
            if (r.Fragile is { } f) fragile = f;
            if (r.Upright is { } u) upright = u;
            if (r.MassKg is { } m) mass = m;
        }
        return known ? new ObjectProperties(fragile, mass, upright, true) : ObjectProperties.Unknown;
    }

    /// <summary>The zone (keep-out first, then speed) the object's box overlaps, optionally only the one named <paramref name="name"/>.</summary>
    public string? ZoneOf(SceneObject o, string? name = null)
    {
        foreach (var z in KeepOutZones)
            if ((name is null || z.Name == name) && z.Overlaps(o.Pose.Position, o.HalfSize)) return z.Name;
        foreach (var z in SpeedZones)
            if ((name is null || z.Name == name) && z.Box.Overlaps(o.Pose.Position, o.HalfSize)) return z.Name;
        return null;
    }

    /// <summary>Case-insensitive glob: <c>*</c> matches any run of characters, <c>?</c> one.</summary>
    public static bool Glob(string pattern, string text)
    {
        if (!pattern.Contains('*') && !pattern.Contains('?')) return string.Equals(pattern, text, StringComparison.OrdinalIgnoreCase);
        var re = "^" + Regex.Escape(pattern).Replace("\\*", ".*").Replace("\\?", ".") + "$";
        return Regex.IsMatch(text, re, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
    }

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture,
            $"safety policy {Source}: {KeepOutZones.Length} keep-out zone(s), {SpeedZones.Length} speed zone(s), {Objects.Length} object rule(s), {ForbiddenRelations.Length} forbidden relation(s), payload {(double.IsFinite(PayloadKg) ? $"{PayloadKg:0.###} kg" : "unlimited")}");

    // ------------------------------------------------------------------ loading

    private static readonly JsonDocumentOptions DocOptions = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };
    private static readonly string[] TopKeys = ["arm", "keep_out_zones", "speed_zones", "objects", "require_properties", "fragile_tool_speed", "forbidden_relations", "hazard_words", "zone_braking"];
    private static readonly string[] Relations = ["in", "on", "lifted"];

    /// <summary>Reads and checks a policy file; throws <see cref="ConfigurationException"/> naming the file, key and reason.</summary>
    public static SafetyPolicy Load(string path)
    {
        if (!File.Exists(path)) throw new ConfigurationException($"safety policy not found: {path}");
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>As <see cref="Load"/>, from text; <paramref name="source"/> names it in errors.</summary>
    public static SafetyPolicy Parse(string text, string source)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(text, DocOptions); }
        catch (JsonException e) { throw new ConfigurationException($"safety policy {source} is not valid JSON: {e.Message}"); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Bad(source, "(root)", "must be a JSON object");
            CheckKeys(root, TopKeys, source, "");
            double payload = double.PositiveInfinity;
            if (Prop(root, "arm") is { } arm)
            {
                if (arm.ValueKind != JsonValueKind.Object) throw Bad(source, "arm", "must be an object");
                CheckKeys(arm, ["payload_kg"], source, "arm.");
                if (Prop(arm, "payload_kg") is { } p) payload = Positive(p, source, "arm.payload_kg", 1000);
            }
            var keepOut = Array(root, "keep_out_zones", source).Select((z, i) => Zone(z, $"keep_out_zones[{i}]", source, speed: false).Box).ToImmutableArray();
            var speed = Array(root, "speed_zones", source).Select((z, i) => Zone(z, $"speed_zones[{i}]", source, speed: true)).ToImmutableArray();
            var names = keepOut.Select(z => z.Name).Concat(speed.Select(z => z.Name)).ToList();
            if (names.GroupBy(n => n).FirstOrDefault(g => g.Count() > 1) is { } dup)
                throw Bad(source, "keep_out_zones/speed_zones", $"zone name '{dup.Key}' is used twice");
            double braking = Prop(root, "zone_braking") is { } zb ? Positive(zb, source, "zone_braking", 50) : SafetyZones.DefaultBraking;
            var objects = Array(root, "objects", source).Select((o, i) => ObjectEntry(o, i, source)).ToImmutableArray();
            bool require = Prop(root, "require_properties") is { } rq ? Bool(rq, source, "require_properties") : false;
            double fragileSpeed = Prop(root, "fragile_tool_speed") is { } fs ? Positive(fs, source, "fragile_tool_speed", 10) : SafetyEnvelopeDefaults.CollaborativeToolSpeed;
            var relations = Array(root, "forbidden_relations", source).Select((r, i) => Relation(r, $"forbidden_relations[{i}]", source, names)).ToImmutableArray();
            if (relations.GroupBy(r => r.Name).FirstOrDefault(g => g.Count() > 1) is { } dupRel)
                throw Bad(source, "forbidden_relations", $"rule name '{dupRel.Key}' is used twice");
            var words = Array(root, "hazard_words", source).Select((w, i) =>
            {
                if (w.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(w.GetString()) || !WordSyntax().IsMatch(w.GetString()!))
                    throw Bad(source, $"hazard_words[{i}]", "must be a single word of letters");
                return w.GetString()!.ToLowerInvariant();
            }).Distinct().ToImmutableArray();
            return new SafetyPolicy
            {
                Source = source, PayloadKg = payload, KeepOutZones = keepOut, SpeedZones = speed, ZoneBraking = braking, Objects = objects, RequireProperties = require,
                FragileToolSpeed = fragileSpeed, ForbiddenRelations = relations, HazardWords = words,
            };
        }
    }

    [GeneratedRegex(@"^[A-Za-z][A-Za-z\-]*$")]
    private static partial Regex WordSyntax();

    [GeneratedRegex(@"^[A-Za-z0-9_]+$")]
    private static partial Regex NameSyntax();

    private static ConfigurationException Bad(string source, string key, string reason) => new($"safety policy {source}: {key}: {reason}");

    private static JsonElement? Prop(JsonElement o, string name) => o.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    private static void CheckKeys(JsonElement o, string[] known, string source, string prefix)
    {
        foreach (var p in o.EnumerateObject())
            if (!known.Contains(p.Name))
                throw Bad(source, prefix + p.Name, $"unknown key (known: {string.Join(", ", known)})");
    }

    private static IEnumerable<JsonElement> Array(JsonElement root, string key, string source)
    {
        if (Prop(root, key) is not { } a) return [];
        if (a.ValueKind != JsonValueKind.Array) throw Bad(source, key, "must be a list");
        return a.EnumerateArray().ToList();
    }

    private static double Number(JsonElement e, string source, string key)
    {
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetDouble(out var v) || !double.IsFinite(v)) throw Bad(source, key, "must be a finite number");
        return v;
    }

    private static double Positive(JsonElement e, string source, string key, double max)
    {
        var v = Number(e, source, key);
        if (v <= 0 || v > max) throw Bad(source, key, string.Create(CultureInfo.InvariantCulture, $"must be above 0 and at most {max}, got {v}"));
        return v;
    }

    private static bool Bool(JsonElement e, string source, string key) =>
        e.ValueKind switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => throw Bad(source, key, "must be true or false") };

    private static string Name(JsonElement o, string source, string key)
    {
        if (Prop(o, "name") is not { ValueKind: JsonValueKind.String } n || string.IsNullOrWhiteSpace(n.GetString()))
            throw Bad(source, key + ".name", "missing (every entry needs a name)");
        var name = n.GetString()!;
        if (!NameSyntax().IsMatch(name)) throw Bad(source, key + ".name", $"'{name}' must be letters, digits and underscores");
        return name;
    }

    private static Vec3 Corner(JsonElement o, string source, string key)
    {
        if (Prop(o, key.Split('.')[^1]) is not { ValueKind: JsonValueKind.Array } a || a.GetArrayLength() != 3)
            throw Bad(source, key, "must be a list of three numbers [x, y, z] (metres, table frame)");
        var v = a.EnumerateArray().Select(e => Number(e, source, key)).ToArray();
        return new Vec3(v[0], v[1], v[2]);
    }

    private static SpeedZone Zone(JsonElement z, string key, string source, bool speed)
    {
        if (z.ValueKind != JsonValueKind.Object) throw Bad(source, key, "must be an object");
        CheckKeys(z, speed ? ["name", "min", "max", "max_tool_speed"] : ["name", "min", "max"], source, key + ".");
        var name = Name(z, source, key);
        var min = Corner(z, source, key + ".min");
        var max = Corner(z, source, key + ".max");
        if (min.X >= max.X || min.Y >= max.Y || min.Z >= max.Z)
            throw Bad(source, key + ".max", $"must be above min on every axis (min {min}, max {max})");
        double limit = double.PositiveInfinity;
        if (speed)
        {
            if (Prop(z, "max_tool_speed") is not { } s) throw Bad(source, key + ".max_tool_speed", "missing (the zone's tool speed limit, m/s)");
            limit = Positive(s, source, key + ".max_tool_speed", 10);
        }
        return new SpeedZone(new SafetyZone(name, min, max), limit);
    }

    private static ObjectRule ObjectEntry(JsonElement o, int i, string source)
    {
        string key = $"objects[{i}]";
        if (o.ValueKind != JsonValueKind.Object) throw Bad(source, key, "must be an object");
        CheckKeys(o, ["name", "kind", "color", "fragile", "mass_kg", "upright"], source, key + ".");
        string? Text(string k)
        {
            if (Prop(o, k) is not { } v) return null;
            if (v.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(v.GetString())) throw Bad(source, $"{key}.{k}", "must be a non-empty string");
            return v.GetString();
        }
        var rule = new ObjectRule(i, Text("name"), Text("kind"), Text("color"),
            Prop(o, "fragile") is { } f ? Bool(f, source, key + ".fragile") : null,
            Prop(o, "mass_kg") is { } m ? Positive(m, source, key + ".mass_kg", 10_000) : null,
            Prop(o, "upright") is { } u ? Bool(u, source, key + ".upright") : null);
        if (rule.Name is null && rule.Kind is null && rule.Color is null) throw Bad(source, key, "matches nothing: give a name (glob), kind or color");
        if (rule.Fragile is null && rule.MassKg is null && rule.Upright is null) throw Bad(source, key, "gives no property: fragile, mass_kg or upright");
        return rule;
    }

    private static ForbiddenRelation Relation(JsonElement r, string key, string source, List<string> zones)
    {
        if (r.ValueKind != JsonValueKind.Object) throw Bad(source, key, "must be an object");
        CheckKeys(r, ["name", "relation", "object", "target"], source, key + ".");
        var name = Name(r, source, key);
        if (Prop(r, "relation") is not { ValueKind: JsonValueKind.String } rel || !Relations.Contains(rel.GetString()))
            throw Bad(source, key + ".relation", $"must be one of {string.Join(", ", Relations)}");
        string Selector(string k, bool required)
        {
            if (Prop(r, k) is not { } v) return required ? throw Bad(source, $"{key}.{k}", "missing") : "*";
            if (v.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(v.GetString())) throw Bad(source, $"{key}.{k}", "must be a non-empty string");
            var s = v.GetString()!;
            if (s.StartsWith("zone:", StringComparison.Ordinal) && !zones.Contains(s[5..]))
                throw Bad(source, $"{key}.{k}", $"names zone '{s[5..]}', which the policy does not define");
            return s;
        }
        var relation = rel.GetString()!;
        if (relation == "lifted" && Prop(r, "target") is not null) throw Bad(source, key + ".target", "lifted(object) has no target");
        var target = relation == "lifted" ? "*" : Selector("target", required: true);
        return new ForbiddenRelation(name, relation, Selector("object", required: false), target);
    }
}

/// <summary>Defaults shared with <see cref="Robot.SafetyEnvelope"/> without making the policy depend on a scene.</summary>
internal static class SafetyEnvelopeDefaults
{
    public const double CollaborativeToolSpeed = Robot.SafetyEnvelope.CollaborativeToolSpeed;
}
