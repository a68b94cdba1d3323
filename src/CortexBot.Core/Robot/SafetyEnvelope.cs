using System.Globalization;
using System.Xml.Linq;
using CortexBot.Core.Geometry;

namespace CortexBot.Core.Robot;

/// <summary>
/// The Cartesian limits the safety gate enforces on every command, in the world (table) frame: a box the tool centre point
/// and the fingertips stay in, the table plane they never go below (top plus a margin), and the tool's speed.
/// </summary>
/// <param name="WorkspaceMin">Lower corner of the box for the tool and fingertips (m).</param>
/// <param name="WorkspaceMax">Upper corner of the box (m).</param>
/// <param name="TableHeight">Height of the table top (m), read from the scene.</param>
/// <param name="TableMargin">How far above the table top the tool and fingertips must stay (m).</param>
/// <param name="MaxToolSpeed">Largest commanded speed of the tool centre point (m/s).</param>
public sealed record SafetyEnvelope(Vec3 WorkspaceMin, Vec3 WorkspaceMax, double TableHeight, double TableMargin, double MaxToolSpeed)
{
    /// <summary>The collaborative reduced speed of ISO 10218-1: 250 mm/s at the tool.</summary>
    public const double CollaborativeToolSpeed = 0.25;

    /// <summary>
    /// Default margin above the table: the fingertips reach 15 mm below the tool point and a cube on the table is grasped at
    /// its centre (20 mm up), so they pass 5 mm above the top; 2 mm keeps clear of it without blocking a grasp.
    /// </summary>
    public const double DefaultTableMargin = 0.002;

    /// <summary>The lowest height the tool and fingertips may be commanded to.</summary>
    public double Floor => TableHeight + TableMargin;

    /// <summary>
    /// The default envelope for a scene: the box spans the table top in x and y and reaches 1.2 m above it (more than the
    /// arm's reach), the floor is the table top plus <see cref="DefaultTableMargin"/>, and the tool speed is
    /// <paramref name="maxToolSpeed"/> (default the collaborative 250 mm/s).
    /// </summary>
    public static SafetyEnvelope ForScene(string scenePath, double maxToolSpeed = CollaborativeToolSpeed)
    {
        var (min, max) = TableTop(scenePath);
        return new SafetyEnvelope(new Vec3(min.X, min.Y, min.Z), new Vec3(max.X, max.Y, min.Z + 1.2), min.Z, DefaultTableMargin, maxToolSpeed);
    }

    /// <summary>
    /// The table top's extent read from an MJCF scene: the geom named <c>table_top</c> (a plane or box) or else <c>table</c>;
    /// returns its lower corner (z = the top surface) and upper corner in x and y.
    /// </summary>
    public static (Vec3 Min, Vec3 Max) TableTop(string scenePath)
    {
        if (!File.Exists(scenePath)) throw new ConfigurationException($"scene file not found: {scenePath}");
        XElement root;
        try { root = XElement.Load(scenePath); }
        catch (System.Xml.XmlException e) { throw new ConfigurationException($"scene file {scenePath} is not valid MJCF: {e.Message}"); }
        var geoms = root.Descendants("geom").ToList();
        var top = geoms.FirstOrDefault(g => (string?)g.Attribute("name") == "table_top") ?? geoms.FirstOrDefault(g => (string?)g.Attribute("name") == "table")
            ?? throw new ConfigurationException($"{scenePath}: no geom named 'table_top' or 'table'; give the workspace (--workspace) and table explicitly");
        var pos = Parse((string?)top.Attribute("pos"), 3) ?? [0, 0, 0];
        var size = Parse((string?)top.Attribute("size"), 0) ?? throw new ConfigurationException($"{scenePath}: table geom has no size");
        if (size.Length < 2) throw new ConfigurationException($"{scenePath}: table geom size needs at least 2 values");
        // The geom may sit in bodies: add their positions (rotated table bodies are not supported).
        foreach (var body in top.Ancestors("body"))
        {
            if (body.Attribute("quat") is not null || body.Attribute("euler") is not null)
                throw new ConfigurationException($"{scenePath}: the table's body is rotated; give the workspace explicitly");
            var bp = Parse((string?)body.Attribute("pos"), 3) ?? [0, 0, 0];
            for (int i = 0; i < 3; i++) pos[i] += bp[i];
        }
        string type = (string?)top.Attribute("type") ?? "sphere";
        double z = type == "box" && size.Length >= 3 ? pos[2] + size[2] : pos[2];
        return (new Vec3(pos[0] - size[0], pos[1] - size[1], z), new Vec3(pos[0] + size[0], pos[1] + size[1], z));
    }

    /// <summary>Checks the values; throws <see cref="ConfigurationException"/> naming the bad one.</summary>
    public SafetyEnvelope Validate()
    {
        if (!Finite(WorkspaceMin) || !Finite(WorkspaceMax))
            throw new ConfigurationException($"workspace corners must be finite numbers, got {Describe(WorkspaceMin)} .. {Describe(WorkspaceMax)}");
        if (WorkspaceMin.X >= WorkspaceMax.X || WorkspaceMin.Y >= WorkspaceMax.Y || WorkspaceMin.Z >= WorkspaceMax.Z)
            throw new ConfigurationException($"workspace minimum {Describe(WorkspaceMin)} must be below its maximum {Describe(WorkspaceMax)} on every axis");
        if (!double.IsFinite(TableHeight)) throw new ConfigurationException($"table height must be a finite number, got {TableHeight}");
        if (!double.IsFinite(TableMargin) || TableMargin < 0 || TableMargin > 0.5)
            throw new ConfigurationException($"table margin must be between 0 and 0.5 m, got {TableMargin}");
        if (Floor >= WorkspaceMax.Z)
            throw new ConfigurationException($"the table top plus margin (z={Floor:0.###}) leaves no room below the workspace top (z={WorkspaceMax.Z:0.###})");
        if (!double.IsFinite(MaxToolSpeed) || MaxToolSpeed <= 0 || MaxToolSpeed > 10)
            throw new ConfigurationException($"--max-tool-speed must be above 0 and at most 10 m/s, got {MaxToolSpeed}");
        return this;
    }

    /// <summary>Is <paramref name="p"/> inside the box and above the floor?</summary>
    public bool Contains(Vec3 p) => Violation(p) <= 0;

    /// <summary>How far (m, summed over axes) <paramref name="p"/> lies outside the box or below the floor; 0 inside.</summary>
    public double Violation(Vec3 p)
    {
        double v = 0;
        v += Math.Max(0, WorkspaceMin.X - p.X) + Math.Max(0, p.X - WorkspaceMax.X);
        v += Math.Max(0, WorkspaceMin.Y - p.Y) + Math.Max(0, p.Y - WorkspaceMax.Y);
        v += Math.Max(0, Math.Max(WorkspaceMin.Z, Floor) - p.Z) + Math.Max(0, p.Z - WorkspaceMax.Z);
        return v;
    }

    /// <summary>Parses "xmin,ymin,zmin,xmax,ymax,zmax" (metres) as given to <c>--workspace</c>.</summary>
    public static (Vec3 Min, Vec3 Max) ParseWorkspace(string text)
    {
        var parts = text.Split(',', StringSplitOptions.TrimEntries);
        var v = new double[6];
        if (parts.Length != 6 || parts.Select((s, i) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out v[i])).Any(ok => !ok))
            throw new ConfigurationException($"--workspace wants six numbers xmin,ymin,zmin,xmax,ymax,zmax (metres), got '{text}'");
        return (new Vec3(v[0], v[1], v[2]), new Vec3(v[3], v[4], v[5]));
    }

    /// <summary>The line logged at start.</summary>
    public override string ToString() =>
        $"safety envelope: workspace [{Describe(WorkspaceMin)} .. {Describe(WorkspaceMax)}] m, table z={TableHeight.ToString("0.###", CultureInfo.InvariantCulture)} + margin {TableMargin.ToString("0.###", CultureInfo.InvariantCulture)} m, tool speed <= {MaxToolSpeed.ToString("0.###", CultureInfo.InvariantCulture)} m/s";

    private static string Describe(Vec3 v) => string.Create(CultureInfo.InvariantCulture, $"({v.X:0.###}, {v.Y:0.###}, {v.Z:0.###})");
    private static bool Finite(Vec3 v) => double.IsFinite(v.X) && double.IsFinite(v.Y) && double.IsFinite(v.Z);

    private static double[]? Parse(string? text, int want)
    {
        if (text is null) return null;
        var a = text.Split((char[])[' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries)
            .Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();
        return want > 0 && a.Length != want ? null : a;
    }
}
