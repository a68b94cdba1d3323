using System.Globalization;
using System.Xml.Linq;
using CortexBot.Core.Geometry;

namespace CortexBot.Core.Robot;

/// <summary>One revolute joint of the serial chain: its origin relative to the previous joint's frame, axis and limits.</summary>
public sealed record ArmJoint(string Name, Vec3 Offset, Vec3 Axis, double Lower, double Upper, double MaxVelocity);

/// <summary>
/// The arm's kinematic description (the same facts ros2_control reads from a URDF): a chain of revolute joints
/// with limits, the tool-centre-point offset in the last link, the gripper's range and the home posture.
/// </summary>
public sealed record ArmModel(
    Vec3 BaseOffset,
    IReadOnlyList<ArmJoint> Joints,
    Vec3 ToolOffset,
    double GripperMaxOpening,
    double GripperMaxSpeed,
    IReadOnlyList<double> Home)
{
    public int Dof => Joints.Count;

    /// <summary>
    /// The centre of the fingertips with the gripper closed, in the last link's frame (the lowest point of the hand when
    /// it points down); the tips open along <see cref="FingerAxis"/>, half the opening each. Defaults to the tool point.
    /// </summary>
    public Vec3 FingerTipOffset { get; init; } = ToolOffset;
    /// <summary>The left finger's slide direction in the last link's frame (the right one slides the opposite way).</summary>
    public Vec3 FingerAxis { get; init; } = Vec3.UnitY;

    /// <summary>Pose of the last link for joint positions <paramref name="q"/> (forward kinematics; allocates nothing).</summary>
    public Pose LastLinkPose(ReadOnlySpan<double> q)
    {
        var pose = new Pose(BaseOffset, Quat.Identity);
        for (int i = 0; i < Joints.Count; i++)
        {
            var j = Joints[i];
            pose = pose * new Pose(j.Offset, Quat.FromAxisAngle(j.Axis, q[i]));
        }
        return pose;
    }

    /// <summary>Pose of the tool centre point for joint positions <paramref name="q"/> (allocates nothing).</summary>
    public Pose ToolPose(ReadOnlySpan<double> q) => LastLinkPose(q) * new Pose(ToolOffset, Quat.Identity);

    /// <summary>
    /// World positions of the tool centre point and the two fingertips for joint positions <paramref name="q"/> and
    /// gripper <paramref name="opening"/> (one forward-kinematics pass; allocates nothing).
    /// </summary>
    public void HandPoints(ReadOnlySpan<double> q, double opening, out Vec3 tool, out Vec3 leftTip, out Vec3 rightTip)
    {
        var link = LastLinkPose(q);
        tool = link.Position + link.Orientation.Rotate(ToolOffset);
        var half = FingerAxis * (0.5 * opening);
        leftTip = link.Position + link.Orientation.Rotate(FingerTipOffset + half);
        rightTip = link.Position + link.Orientation.Rotate(FingerTipOffset - half);
    }
    public IReadOnlyList<string> JointNames => Joints.Select(j => j.Name).ToList();

    /// <summary>
    /// Reads the arm chain from an MJCF file: the body holding the first hinge joint and its nested descendants, each with
    /// one hinge, only a <c>pos</c> (no rotation), the site <paramref name="toolSite"/> in the last link, velocity limits
    /// from the custom numeric <c>cortexbot_velocity_limits</c>, the home posture from keyframe <c>home</c>.
    /// </summary>
    public static ArmModel FromMjcf(string path, string toolSite = "tcp")
    {
        if (!File.Exists(path)) throw new ConfigurationException($"scene file not found: {path}");
        XElement root;
        try { root = LoadWithIncludes(path); }
        catch (Exception e) when (e is System.Xml.XmlException or IOException)
        { throw new ConfigurationException($"scene file {path} is not valid MJCF: {e.Message}"); }

        bool degrees = !string.Equals((string?)root.Element("compiler")?.Attribute("angle"), "radian", StringComparison.OrdinalIgnoreCase);
        var world = root.Element("worldbody") ?? throw new ConfigurationException($"{path}: no <worldbody>");
        var first = world.Descendants("body").FirstOrDefault(b => b.Elements("joint").Any(IsHinge))
            ?? throw new ConfigurationException($"{path}: no body with a hinge joint (the arm) found");

        var baseOffset = Vec3.Zero;
        foreach (var anc in first.Ancestors("body").Reverse())
        {
            RejectRotation(anc, path);
            baseOffset += ParseVec((string?)anc.Attribute("pos"), Vec3.Zero);
        }

        var joints = new List<(string name, Vec3 offset, Vec3 axis, double lo, double hi)>();
        XElement? body = first, last = first;
        while (body is not null)
        {
            RejectRotation(body, path);
            var hinge = body.Elements("joint").Single(IsHinge);
            var name = (string?)hinge.Attribute("name") ?? throw new ConfigurationException($"{path}: arm joint without a name");
            var range = ParseArray((string?)hinge.Attribute("range")) ?? throw new ConfigurationException($"{path}: joint {name} has no range");
            double scale = degrees ? Math.PI / 180 : 1;
            joints.Add((name, ParseVec((string?)body.Attribute("pos"), Vec3.Zero), ParseVec((string?)hinge.Attribute("axis"), Vec3.UnitZ).Normalized(), range[0] * scale, range[1] * scale));
            last = body;
            body = body.Elements("body").FirstOrDefault(b => b.Elements("joint").Any(IsHinge));
        }

        var site = last!.Descendants("site").FirstOrDefault(s => (string?)s.Attribute("name") == toolSite)
            ?? throw new ConfigurationException($"{path}: tool site '{toolSite}' not found in the last arm link");
        var tool = ParseVec((string?)site.Attribute("pos"), Vec3.Zero);

        var vel = root.Descendants("numeric").FirstOrDefault(n => (string?)n.Attribute("name") == "cortexbot_velocity_limits");
        var vmax = ParseArray((string?)vel?.Attribute("data")) ?? Enumerable.Repeat(1.0, joints.Count).ToArray();
        if (vmax.Length != joints.Count) throw new ConfigurationException($"{path}: cortexbot_velocity_limits has {vmax.Length} values for {joints.Count} joints");

        var fingers = root.Descendants("joint").Where(j => (string?)j.Attribute("type") == "slide").ToList();
        double gripperMax = fingers.Sum(f => (ParseArray((string?)f.Attribute("range")) ?? [0, 0.04])[1]);
        if (gripperMax <= 0) gripperMax = 0.08;

        var key = root.Descendants("key").FirstOrDefault(k => (string?)k.Attribute("name") == "home");
        var qpos = ParseArray((string?)key?.Attribute("qpos"));
        var home = qpos is { Length: var n } && n >= joints.Count ? qpos.Take(joints.Count).ToArray() : new double[joints.Count];

        // Fingertips: the far end (along the last link's z) of the finger bodies' box geoms, as the pads reach past the tcp.
        var tip = tool;
        var fingerBodies = last.Elements("body").Where(b => b.Elements("joint").Any(j => (string?)j.Attribute("type") == "slide")).ToList();
        var fingerAxis = Vec3.UnitY;
        if (fingerBodies.Count > 0)
        {
            double tipZ = double.MinValue;
            foreach (var fb in fingerBodies)
            {
                var bodyPos = ParseVec((string?)fb.Attribute("pos"), Vec3.Zero);
                foreach (var g in fb.Elements("geom"))
                {
                    var size = ParseArray((string?)g.Attribute("size"));
                    // Three sizes: a box (the pads' type may come from a default class); half its z extent reaches the tip.
                    double half = size is { Length: 3 } ? size[2] : 0;
                    tipZ = Math.Max(tipZ, bodyPos.Z + ParseVec((string?)g.Attribute("pos"), Vec3.Zero).Z + half);
                }
            }
            if (tipZ > double.MinValue) tip = new Vec3(tool.X, tool.Y, Math.Max(tipZ, tool.Z));
            fingerAxis = ParseVec((string?)fingerBodies[0].Elements("joint").First(j => (string?)j.Attribute("type") == "slide").Attribute("axis"), Vec3.UnitY).Normalized();
        }

        var arm = joints.Select((j, i) => new ArmJoint(j.name, j.offset, j.axis, j.lo, j.hi, vmax[i])).ToList();
        return new ArmModel(baseOffset, arm, tool, gripperMax, 0.3, home) { FingerTipOffset = tip, FingerAxis = fingerAxis };
    }

    private static bool IsHinge(XElement j) => (string?)j.Attribute("type") is null or "hinge";

    private static void RejectRotation(XElement body, string path)
    {
        foreach (var a in new[] { "quat", "euler", "axisangle", "xyaxes", "zaxis" })
            if (body.Attribute(a) is not null)
                throw new ConfigurationException($"{path}: arm body '{(string?)body.Attribute("name")}' has a '{a}' rotation; the kinematics reader supports pos-only arm bodies");
    }

    private static XElement LoadWithIncludes(string path)
    {
        var doc = XElement.Load(path);
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        foreach (var inc in doc.Descendants("include").ToList())
        {
            var file = Path.Combine(dir, (string?)inc.Attribute("file") ?? "");
            var included = LoadWithIncludes(file);
            inc.ReplaceWith(included.Elements());
        }
        return doc;
    }

    private static double[]? ParseArray(string? text) =>
        text is null ? null : text.Split((char[])[' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries)
            .Select(s => double.Parse(s, CultureInfo.InvariantCulture)).ToArray();

    private static Vec3 ParseVec(string? text, Vec3 fallback)
    {
        var a = ParseArray(text);
        return a is { Length: 3 } ? new Vec3(a[0], a[1], a[2]) : fallback;
    }
}
