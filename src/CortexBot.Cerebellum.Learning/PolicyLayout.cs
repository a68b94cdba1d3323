using CortexBot.Core.Geometry;
using CortexBot.Core.Ports;

namespace CortexBot.Cerebellum.Learning;

/// <summary>
/// The observation and action vectors shared by demonstrations, training, the exported graph and the runtime.
/// One place defines the order, so a dataset, a manifest and the runtime can be checked against each other by name.
/// </summary>
public static class PolicyLayout
{
    public const int Joints = 6;

    /// <summary>The first observation layout (format v1, 29 entries): joint positions (rad), joint velocities (rad/s), gripper
    /// opening (m), tool centre point position (m) and yaw as sin/cos, target object position (m) and its yaw as sin/cos of
    /// 4x yaw (a cube looks the same every quarter turn), target object minus tool position (m), place target position (m).
    /// Policies trained on it still load: it is a prefix of <see cref="ObservationNames"/>.</summary>
    public static readonly string[] LegacyObservationNames =
    [
        "q0", "q1", "q2", "q3", "q4", "q5",
        "qd0", "qd1", "qd2", "qd3", "qd4", "qd5",
        "gripper",
        "tcp_x", "tcp_y", "tcp_z", "tcp_yaw_sin", "tcp_yaw_cos",
        "obj_x", "obj_y", "obj_z", "obj_yaw4_sin", "obj_yaw4_cos",
        "obj_rel_x", "obj_rel_y", "obj_rel_z",
        "place_x", "place_y", "place_z",
    ];

    /// <summary>
    /// Observation names in order (float32): <see cref="LegacyObservationNames"/>, then features that remove decisions the
    /// legacy layout left ambiguous to a deterministic flow: the grasp yaw the analytic expert would turn to, relative to
    /// the tool's yaw, as sin/cos (<see cref="Cerebellum.Skills.SkillCompiler.NearestGraspYaw"/>; without it the nearest of
    /// the cube's four faces is a discontinuous function the network smooths into a misaligned grasp), the place target
    /// minus the tool position (m), the joint targets the skill commanded on the previous tick (rad; a moving arm lags its
    /// command, so a chunk anchored at the measured joints pulls the command back at every chunk seam), where the object was
    /// when the skill began minus the tool position (m; the carry to the bin starts wherever the cube was, and from the arm's
    /// pose alone a stopped arm mid-carry looks like one about to start, whose minimum-jerk first steps are tiny), and the seconds since
    /// the skill began (waits inside a segment, such as the gripper closing on a cube it already touches, look the same
    /// from joint positions alone).
    /// </summary>
    public static readonly string[] ObservationNames =
    [
        .. LegacyObservationNames,
        "grasp_dyaw_sin", "grasp_dyaw_cos",
        "place_rel_x", "place_rel_y", "place_rel_z",
        "qcmd0", "qcmd1", "qcmd2", "qcmd3", "qcmd4", "qcmd5",
        "obj0_rel_x", "obj0_rel_y", "obj0_rel_z",
        "elapsed_s",
    ];

    /// <summary>The observation layouts the runtime can fill, newest first; each is a prefix of <see cref="ObservationNames"/>.</summary>
    public static readonly string[][] SupportedObservationLayouts = [ObservationNames, LegacyObservationNames];

    /// <summary>Whether <paramref name="names"/> is exactly one of <see cref="SupportedObservationLayouts"/>.</summary>
    public static bool IsSupportedObservationLayout(IReadOnlyList<string> names) => SupportedObservationLayouts.Any(l => l.SequenceEqual(names));

    /// <summary>Observation entries a chunk's joint actions can be relative to: the measured joints (v1) or the last command.</summary>
    public static readonly string[] MeasuredJointNames = ["q0", "q1", "q2", "q3", "q4", "q5"];
    public static readonly string[] CommandedJointNames = ["qcmd0", "qcmd1", "qcmd2", "qcmd3", "qcmd4", "qcmd5"];

    /// <summary>Action names in order (float32): joint position targets (rad) and the gripper opening target (m).</summary>
    public static readonly string[] ActionNames = ["q0_cmd", "q1_cmd", "q2_cmd", "q3_cmd", "q4_cmd", "q5_cmd", "gripper_cmd"];

    public static int ObservationSize => ObservationNames.Length;
    public static int ActionSize => ActionNames.Length;

    /// <summary>
    /// Fill <paramref name="obs"/>, whose length picks the layout: the first <c>obs.Length</c> entries of
    /// <see cref="ObservationNames"/>, which must be one of <see cref="SupportedObservationLayouts"/>.
    /// <paramref name="lastCommand"/> holds the joint targets commanded on the previous tick (the measured joints when
    /// none was), <paramref name="objectStart"/> the object's position when the skill began, <paramref name="elapsedSeconds"/>
    /// the robot time since then. Allocation-free.
    /// </summary>
    public static void FillObservation(Span<float> obs, RobotStateBuffer state, Pose tcp, Vec3 objectPosition, double objectYaw, Vec3 placePosition,
        ReadOnlySpan<double> lastCommand, Vec3 objectStart, double elapsedSeconds)
    {
        if (obs.Length != ObservationSize && obs.Length != LegacyObservationNames.Length)
            throw new ArgumentException($"observation buffer has {obs.Length} entries; the layouts have {ObservationSize} or {LegacyObservationNames.Length}");
        int k = 0;
        for (int i = 0; i < Joints; i++) obs[k++] = (float)state.Position[i];
        for (int i = 0; i < Joints; i++) obs[k++] = (float)state.Velocity[i];
        obs[k++] = (float)state.GripperOpening;
        obs[k++] = (float)tcp.Position.X; obs[k++] = (float)tcp.Position.Y; obs[k++] = (float)tcp.Position.Z;
        double yaw = ToolYaw(tcp);
        obs[k++] = (float)Math.Sin(yaw); obs[k++] = (float)Math.Cos(yaw);
        obs[k++] = (float)objectPosition.X; obs[k++] = (float)objectPosition.Y; obs[k++] = (float)objectPosition.Z;
        obs[k++] = (float)Math.Sin(4 * objectYaw); obs[k++] = (float)Math.Cos(4 * objectYaw);
        var rel = objectPosition - tcp.Position;
        obs[k++] = (float)rel.X; obs[k++] = (float)rel.Y; obs[k++] = (float)rel.Z;
        obs[k++] = (float)placePosition.X; obs[k++] = (float)placePosition.Y; obs[k++] = (float)placePosition.Z;
        if (k == obs.Length) return;
        double dyaw = Cerebellum.Skills.SkillCompiler.NearestGraspYaw(objectYaw, yaw) - yaw;
        obs[k++] = (float)Math.Sin(dyaw); obs[k++] = (float)Math.Cos(dyaw);
        var placeRel = placePosition - tcp.Position;
        obs[k++] = (float)placeRel.X; obs[k++] = (float)placeRel.Y; obs[k++] = (float)placeRel.Z;
        for (int i = 0; i < Joints; i++) obs[k++] = (float)lastCommand[i];
        var startRel = objectStart - tcp.Position;
        obs[k++] = (float)startRel.X; obs[k++] = (float)startRel.Y; obs[k++] = (float)startRel.Z;
        obs[k++] = (float)elapsedSeconds;
    }

    /// <summary>Yaw of the fingers' axis projected on the table (the same convention as the analytic skills).</summary>
    public static double ToolYaw(Pose tcp)
    {
        var y = tcp.Orientation.Rotate(Vec3.UnitY);
        return Math.Atan2(y.Y, y.X) - Math.PI / 2;
    }

    public static void FillAction(Span<float> action, JointCommandBuffer command)
    {
        if (action.Length != ActionSize) throw new ArgumentException($"action buffer has {action.Length} entries, the layout {ActionSize}");
        for (int i = 0; i < Joints; i++) action[i] = (float)command.Position[i];
        action[Joints] = (float)command.GripperOpening;
    }
}
