using CortexBot.Cerebellum.Kinematics;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

namespace CortexBot.Cerebellum.Skills;

/// <summary>Tunable geometry of the analytic skills (metres, seconds).</summary>
public sealed record SkillParameters
{
    public double ApproachHeight { get; init; } = 0.10;
    public double GraspDepth { get; init; } = 0.0;
    public double LiftHeight { get; init; } = 0.15;
    public double ReleaseAboveRim { get; init; } = 0.06;
    public double CarryAboveRim { get; init; } = 0.14;
    /// <summary>Gap (m) kept between a placed object and the container's walls or the objects already in it: three 4 cm cubes fit in a row in a 16 cm bin with 16 mm to spare for where they land.</summary>
    public double SpotMargin { get; init; } = 0.006;
    /// <summary>Step (m) of the grid of candidate spots in a container.</summary>
    public double SpotPitch { get; init; } = 0.005;
    /// <summary>
    /// How far (m) a placed or stacked object falls when released: its bottom this far above the floor or the base's top,
    /// so it lands where it was put instead of being dropped from above the rim.
    /// </summary>
    public double ReleaseDrop { get; init; } = 0.012;
    /// <summary>Gap (m) each side between a released object and the pads: the release opens only this much wider than it.</summary>
    public double ReleaseGap { get; init; } = 0.006;
    /// <summary>Thickness (m) of a finger pad: what the opening fingers sweep beyond the released object's faces.</summary>
    public double PadThickness { get; init; } = 0.012;
    /// <summary>Height (m) of the hand's palm above the tool point: inside a container the palm stays above the rim.</summary>
    public double PalmAboveTool { get; init; } = 0.045;
    /// <summary>How high (m) above the base's top the held object's bottom is carried before it descends onto it.</summary>
    public double StackApproach { get; init; } = 0.08;
    /// <summary>Largest distance (m) between the tool point and the held object's perceived centre that counts as "in the hand".</summary>
    public double InHandTolerance { get; init; } = 0.035;
    /// <summary>Fraction of each joint's velocity limit used by planned motions.</summary>
    public double SpeedFraction { get; init; } = 0.5;
    public double MinMoveDuration { get; init; } = 0.4;
    public double SlowMoveDuration { get; init; } = 0.8;
    public double GripperDuration { get; init; } = 0.7;
    /// <summary>Opening below which the gripper is judged empty.</summary>
    public double HoldThreshold { get; init; } = 0.02;
    /// <summary>
    /// Opening the fingers are driven towards to grasp: short of closed, so a position-servoed gripper squeezes moderately
    /// (it stays below <see cref="HoldThreshold"/>, so an empty grasp is still recognised).
    /// </summary>
    public double GraspOpening { get; init; } = 0.015;
    /// <summary>
    /// Sampling interval (s) of a move's trajectory for a trajectory controller: positions, velocities and accelerations
    /// of the minimum-jerk motion this often, plus the end point. The controller interpolates between them (a cubic or
    /// quintic spline), so 20 ms keeps it within micro-radians of the motion the control loop screens against.
    /// </summary>
    public double TrajectoryInterval { get; init; } = 0.02;
    /// <summary>Opening driven towards for a firm grasp (<see cref="SkillTuning.FirmGrip"/>): the full squeeze.</summary>
    public double FirmGraspOpening { get; init; } = 0.0;
    /// <summary>
    /// The tool speed (m/s) planned motions stay under: the safety envelope's limit (e.g. ISO 10218-1's collaborative
    /// 0.25 m/s) times <see cref="ToolSpeedMargin"/>, so the gate never has to slow a skill down and leave the arm behind
    /// its timed trajectory. Infinite: only the joints' velocity limits time a motion.
    /// </summary>
    public double MaxToolSpeed { get; init; } = double.PositiveInfinity;
    /// <summary>Fraction of <see cref="MaxToolSpeed"/> a motion is timed for (the gate measures per-tick steps; keep a margin).</summary>
    public double ToolSpeedMargin { get; init; } = 0.9;

    /// <summary>These parameters adjusted by <paramref name="tuning"/>.</summary>
    public SkillParameters With(SkillTuning? tuning) =>
        tuning is null || tuning.IsDefault ? this : this with
        {
            GraspOpening = tuning.FirmGrip ? FirmGraspOpening : GraspOpening,
        };
}

/// <summary>Where the arm is when a skill starts: the last command (what the tick holds) and the measured gripper.</summary>
public sealed record ArmContext(double[] Command, double GripperCommand, double GripperMeasured);

public sealed record CompiledSkill(Control.IControlProgram? Program, string? Error, string? ErrorKind)
{
    public static CompiledSkill Fail(string kind, string error) => new(null, error, kind);
}

/// <summary>
/// Turns a skill invocation into a program of precomputed joint-space segments: inverse kinematics for each waypoint,
/// minimum-jerk timing within the joints' velocity limits. Runs off the control thread. With <paramref name="poses"/>
/// (objects observed while the skill runs) a pick also watches its object until the grasp.
/// </summary>
public sealed class SkillCompiler(ArmKinematics kinematics, SkillParameters? parameters = null, IEnumerable<Control.ISkillFactory>? factories = null,
    Core.Ports.IObjectPoses? poses = null)
{
    private readonly ArmKinematics _kin = kinematics;
    private readonly Core.Ports.IObjectPoses? _poses = poses;
    private readonly Control.ISkillFactory[] _factories = factories?.ToArray() ?? [];
    public SkillParameters Parameters { get; } = parameters ?? new SkillParameters();

    /// <summary>The plug-in skills (e.g. learned ones) this compiler serves besides its own.</summary>
    public IReadOnlyList<Control.ISkillFactory> Factories => _factories;

    /// <param name="tuning">Adjusts the analytic skills' defaults for this call; learned skills ignore it.</param>
    public CompiledSkill Compile(SkillInvocation skill, SceneSnapshot scene, ArmContext arm, SkillTuning? tuning = null)
    {
        var b = new Builder(this, arm, Parameters.With(tuning));
        try
        {
            switch (skill.Skill)
            {
                case SkillNames.OpenGripper when skill.Args.Length == 0:
                    b.Gripper(_kin.Arm.GripperMaxOpening, "open gripper");
                    break;
                case SkillNames.CloseGripper when skill.Args.Length == 0:
                    b.Gripper(0, "close gripper");
                    break;
                case SkillNames.MoveHome when skill.Args.Length == 0:
                    b.MoveJoints(_kin.Arm.Home.ToArray(), "move home", false);
                    break;
                case SkillNames.MoveAbove when skill.Args.Length == 1:
                {
                    var target = Require(scene, skill.Args[0]);
                    double top = target.Pose.Position.Z + target.HalfSize.Z;
                    b.MoveTo(target.Pose.Position with { Z = top + Parameters.ApproachHeight }, b.ToolYaw(), $"move above {target.Name}", false);
                    break;
                }
                case SkillNames.Pick when skill.Args.Length == 1:
                    Pick(b, Require(scene, skill.Args[0]));
                    break;
                case SkillNames.Place when skill.Args.Length == 2:
                    Place(b, arm, scene, Require(scene, skill.Args[0]), Require(scene, skill.Args[1]));
                    break;
                case SkillNames.Stack when skill.Args.Length == 2:
                    Stack(b, arm, Require(scene, skill.Args[0]), Require(scene, skill.Args[1]));
                    break;
                default:
                    foreach (var f in _factories)
                        if (f.Handles(skill.Skill)) return f.Compile(skill, scene, arm);
                    return CompiledSkill.Fail(AnomalyKinds.Fault, $"the cerebellum has no skill {skill} (wrong name or argument count)");
            }
        }
        catch (SkillCompileException e)
        {
            return CompiledSkill.Fail(e.Kind, e.Message);
        }
        return new CompiledSkill(new SkillProgram(skill.ToString(), [.. b.Segments], Parameters.HoldThreshold) { Target = b.Target }, null, null);
    }

    private void Pick(Builder b, SceneObject obj)
    {
        if (obj.IsContainer) throw new SkillCompileException(AnomalyKinds.Fault, $"{obj.Name} is a container and cannot be picked");
        var p = obj.Pose.Position;
        if (b.GripperCommand < _kin.Arm.GripperMaxOpening * 0.9) b.Gripper(_kin.Arm.GripperMaxOpening, "open gripper");
        // Fingers close along the tool's y axis; align them with a face of the cube, turning the wrist least within the
        // joints' ranges (after a few aligned placements the wrist may sit near a limit: the next quarter turn then serves).
        double nearest = BestGraspYaw(b, obj);
        double yaw = b.FirstReachable(QuarterTurns(nearest, b.ToolYaw()),
            p with { Z = p.Z + Parameters.ApproachHeight }, p with { Z = p.Z - Parameters.GraspDepth }, p with { Z = p.Z + Parameters.LiftHeight }) ?? nearest;
        int index = _poses?.IndexOf(obj.Name) ?? -1;
        if (index >= 0) b.Target = new TargetWatch(_poses!, index, obj.Name, p);
        b.MoveTo(p with { Z = p.Z + Parameters.ApproachHeight }, yaw, $"approach {obj.Name}", false, watch: true);
        b.MoveTo(p with { Z = p.Z - Parameters.GraspDepth }, yaw, $"descend to {obj.Name}", false, slow: true, watch: true);
        b.Gripper(b.GraspOpening, $"grasp {obj.Name}", expectHold: true, watch: true);
        b.MoveTo(p with { Z = p.Z + Parameters.LiftHeight }, yaw, $"lift {obj.Name}", true, slow: true);
    }

    /// <summary>
    /// Carry the held object above a free spot of the container, lower it until its bottom is just above the floor,
    /// release it and retreat. The spot comes from the perceived occupancy (<see cref="FindSpot"/>); aligned with the
    /// container's walls so neighbours sit side by side.
    /// </summary>
    private void Place(Builder b, ArmContext arm, SceneSnapshot scene, SceneObject obj, SceneObject target)
    {
        if (!target.IsContainer) throw new SkillCompileException(AnomalyKinds.Fault, $"{target.Name} is not a container");
        if (arm.GripperMeasured < Parameters.HoldThreshold)
            throw new SkillCompileException(AnomalyKinds.GraspMissed, $"cannot place {obj.Name}: the gripper holds nothing");
        var held = b.Held(obj, Parameters.InHandTolerance);
        var spot = FindSpot(b, scene, obj, target, held)
            ?? throw new SkillCompileException(AnomalyKinds.Fault, $"{target.Name} is full: no free spot for {obj.Name} (occupied by {string.Join(", ", Occupants(scene, obj, target).Select(o => o.Name).DefaultIfEmpty("nothing"))})");
        double rim = target.Pose.Position.Z + target.HalfSize.Z;
        double floor = target.Pose.Position.Z - target.HalfSize.Z;
        // tool height at release: the object's bottom ReleaseDrop above the floor, the palm above the rim
        double releaseZ = Math.Max(floor + obj.HalfSize.Z + Parameters.ReleaseDrop - held.Offset.Z, rim - Parameters.PalmAboveTool + 0.005);
        double carryZ = rim + Parameters.CarryAboveRim;
        var tool = new Vec3(spot.Centre.X - held.Offset.X, spot.Centre.Y - held.Offset.Y, 0);
        b.MoveTo(tool with { Z = carryZ }, spot.ToolYaw, $"carry {obj.Name} above {target.Name}", true);
        b.MoveTo(tool with { Z = releaseZ }, spot.ToolYaw, $"lower {obj.Name} into {target.Name}", true, slow: true);
        b.Gripper(ReleaseOpening(obj), $"release {obj.Name}");
        b.MoveTo(tool with { Z = carryZ }, spot.ToolYaw, $"retreat from {target.Name}", false);
    }

    /// <summary>
    /// Put the held object on <paramref name="baseObject"/>: carry it above the base, aligned with it (cubes: a quarter turn
    /// is the same), lower it until its bottom is <see cref="SkillParameters.ReleaseDrop"/> above the base's top, release, retreat.
    /// The base is watched while the object comes down onto it.
    /// </summary>
    private void Stack(Builder b, ArmContext arm, SceneObject obj, SceneObject baseObject)
    {
        if (string.Equals(obj.Name, baseObject.Name, StringComparison.OrdinalIgnoreCase))
            throw new SkillCompileException(AnomalyKinds.Fault, $"cannot stack {obj.Name} on itself");
        if (obj.IsContainer) throw new SkillCompileException(AnomalyKinds.Fault, $"{obj.Name} is a container and cannot be stacked");
        if (baseObject.IsContainer)
            throw new SkillCompileException(AnomalyKinds.Fault, $"cannot stack {obj.Name} on {baseObject.Name}: it is a container (place into it instead)");
        if (arm.GripperMeasured < Parameters.HoldThreshold)
            throw new SkillCompileException(AnomalyKinds.GraspMissed, $"cannot stack {obj.Name}: the gripper holds nothing");
        var held = b.Held(obj, Parameters.InHandTolerance);
        var p = baseObject.Pose.Position;
        double top = p.Z + baseObject.HalfSize.Z;
        double nearest = NearestGraspYaw(baseObject.Pose.Orientation.Yaw - held.RelativeYaw, b.ToolYaw());
        double releaseZ = top + obj.HalfSize.Z + Parameters.ReleaseDrop - held.Offset.Z;
        double carryZ = releaseZ + Parameters.StackApproach;
        var tool = new Vec3(p.X - held.Offset.X, p.Y - held.Offset.Y, 0);
        double yaw = b.FirstReachable(QuarterTurns(nearest, b.ToolYaw()), tool with { Z = carryZ }, tool with { Z = releaseZ }) ?? nearest;
        int index = _poses?.IndexOf(baseObject.Name) ?? -1;
        if (index >= 0) b.Target = new TargetWatch(_poses!, index, baseObject.Name, p);
        b.MoveTo(tool with { Z = carryZ }, yaw, $"carry {obj.Name} above {baseObject.Name}", true);
        b.MoveTo(tool with { Z = releaseZ }, yaw, $"lower {obj.Name} onto {baseObject.Name}", true, slow: true, watch: true);
        b.Gripper(ReleaseOpening(obj), $"release {obj.Name} on {baseObject.Name}");
        b.MoveTo(tool with { Z = carryZ }, yaw, $"retreat from {baseObject.Name}", false);
    }

    /// <summary>The four yaws a quarter turn apart from <paramref name="aligned"/>, the ones turning the wrist least from <paramref name="toolYaw"/> first.</summary>
    private static IEnumerable<double> QuarterTurns(double aligned, double toolYaw) =>
        new[] { 0, -1, 1, 2, -2 }.Select(k => aligned + k * Math.PI / 2).OrderBy(y => Math.Abs(y - toolYaw)).Take(4);

    /// <summary>Open just wider than the object (<see cref="SkillParameters.ReleaseGap"/> each side), so the pads stay clear of its neighbours.</summary>
    private double ReleaseOpening(SceneObject obj) =>
        Math.Min(_kin.Arm.GripperMaxOpening, 2 * Math.Max(obj.HalfSize.X, obj.HalfSize.Y) + 2 * Parameters.ReleaseGap);

    /// <summary>Where a placed object goes: its centre (world), and the tool yaw that aligns it with the container.</summary>
    private readonly record struct Spot(Vec3 Centre, double ToolYaw);

    /// <summary>The objects a container holds as perceived: footprints overlapping its inner footprint, below its rim (the held object aside).</summary>
    private static IEnumerable<SceneObject> Occupants(SceneSnapshot scene, SceneObject held, SceneObject container)
    {
        var c = container.Pose;
        foreach (var o in scene.Objects)
        {
            if (o.IsContainer || string.Equals(o.Name, held.Name, StringComparison.OrdinalIgnoreCase) || !o.Pose.Position.IsFinite) continue;
            var local = c.Orientation.Conjugate().Rotate(o.Pose.Position - c.Position);
            var (ex, ey) = Extent(o, container);
            if (Math.Abs(local.X) - ex < container.HalfSize.X && Math.Abs(local.Y) - ey < container.HalfSize.Y
                && local.Z - o.HalfSize.Z < container.HalfSize.Z && local.Z > -container.HalfSize.Z - o.HalfSize.Z)
                yield return o;
        }
    }

    /// <summary>Half extents of an object's footprint along the container's axes (its box turned by their yaw difference).</summary>
    private static (double X, double Y) Extent(SceneObject o, SceneObject container)
    {
        double a = o.Pose.Orientation.Yaw - container.Pose.Orientation.Yaw;
        double cos = Math.Abs(Math.Cos(a)), sin = Math.Abs(Math.Sin(a));
        return (cos * o.HalfSize.X + sin * o.HalfSize.Y, sin * o.HalfSize.X + cos * o.HalfSize.Y);
    }

    /// <summary>
    /// The free spot nearest the container's centre: candidates are the cells of the tightest packing, then a fine grid
    /// (<see cref="SkillParameters.SpotPitch"/>) over the inner footprint, the object aligned with the walls; a spot is free when the object's footprint plus
    /// <see cref="SkillParameters.SpotMargin"/> stays inside the walls and off every occupant, and so do the pads as the
    /// release opens them (along the finger axis: the object, the release gap and a pad's thickness). Of the quarter
    /// turns that align the object, those turning the wrist least are tried first. Deterministic: ties go by grid order.
    /// Null when nothing is free.
    /// </summary>
    private Spot? FindSpot(Builder b, SceneSnapshot scene, SceneObject obj, SceneObject container, Builder.HeldObject held)
    {
        var P = Parameters;
        var occupants = Occupants(scene, obj, container).Select(o =>
        {
            var local = container.Pose.Orientation.Conjugate().Rotate(o.Pose.Position - container.Pose.Position);
            var (ex, ey) = Extent(o, container);
            return (X: local.X, Y: local.Y, Ex: ex, Ey: ey);
        }).ToList();
        double s = Math.Max(obj.HalfSize.X, obj.HalfSize.Y);
        double fingerReach = s + P.ReleaseGap + P.PadThickness;  // from the object's centre along the finger axis
        double toolYaw = b.ToolYaw();
        // tool yaws that align the held object with the container, least wrist turn first
        var aligned = Enumerable.Range(-2, 4)
            .Select(k => NearestGraspYaw(container.Pose.Orientation.Yaw - held.RelativeYaw, toolYaw) + k * Math.PI / 2)
            .OrderBy(y => Math.Abs(y - toolYaw)).ToList();
        double hx = container.HalfSize.X, hy = container.HalfSize.Y;
        // First the cells of the tightest packing (pitch: the object and one margin), centred: two 5 cm cubes fit side by
        // side where one at the very centre would leave no room. Then a fine grid, for when occupants sit off their cells.
        static List<(double X, double Y)> ByDistance(IEnumerable<(double X, double Y)> spots)
        {
            var list = spots.ToList();
            return [.. list.Select((c, i) => (c, i)).OrderBy(t => t.c.X * t.c.X + t.c.Y * t.c.Y).ThenBy(t => t.i).Select(t => t.c)];
        }
        double cell = 2 * s + P.SpotMargin;
        int cx = Math.Max(1, (int)Math.Floor((2 * hx - P.SpotMargin) / cell)), cy = Math.Max(1, (int)Math.Floor((2 * hy - P.SpotMargin) / cell));
        var lattice = ByDistance(from i in Enumerable.Range(0, cx) from j in Enumerable.Range(0, cy)
                                 select ((i - (cx - 1) / 2.0) * cell, (j - (cy - 1) / 2.0) * cell));
        int nx = (int)Math.Floor(hx / P.SpotPitch), ny = (int)Math.Floor(hy / P.SpotPitch);
        var fine = ByDistance(from i in Enumerable.Range(-nx, 2 * nx + 1) from j in Enumerable.Range(-ny, 2 * ny + 1)
                              select (i * P.SpotPitch, j * P.SpotPitch));
        foreach (var (x, y) in lattice.Concat(fine))
        {
            foreach (var yaw in aligned)
            {
                // the finger axis (the tool's y) in the container's frame: along its x or its y
                double fingerAngle = yaw + Math.PI / 2 - container.Pose.Orientation.Yaw;
                bool fingersAlongX = Math.Abs(Math.Cos(fingerAngle)) > Math.Abs(Math.Sin(fingerAngle));
                double zx = fingersAlongX ? fingerReach : s, zy = fingersAlongX ? s : fingerReach;  // object + pads
                if (Math.Abs(x) + zx + P.SpotMargin > hx || Math.Abs(y) + zy + P.SpotMargin > hy) continue;
                bool free = true;
                foreach (var o in occupants)
                {
                    if (Math.Abs(x - o.X) < zx + o.Ex + P.SpotMargin && Math.Abs(y - o.Y) < zy + o.Ey + P.SpotMargin) { free = false; break; }
                }
                if (!free) continue;
                var centre = container.Pose.Transform(new Vec3(x, y, 0));
                var above = new Vec3(centre.X - held.Offset.X, centre.Y - held.Offset.Y, container.Pose.Position.Z + container.HalfSize.Z + P.CarryAboveRim);
                if (b.FirstReachable([yaw], above, above with { Z = container.Pose.Position.Z }) is null) continue;
                return new Spot(centre, yaw);
            }
        }
        return null;
    }

    private static double BestGraspYaw(Builder b, SceneObject obj) => NearestGraspYaw(obj.Pose.Orientation.Yaw, b.ToolYaw());

    /// <summary>
    /// The grasp yaw a pick turns the tool to: of the cube's four face-aligned yaws (a quarter turn apart), the one
    /// nearest <paramref name="toolYaw"/>, unwrapped next to it. Public so a learned policy's observation can carry the
    /// same choice the analytic expert makes.
    /// </summary>
    public static double NearestGraspYaw(double cubeYaw, double toolYaw)
    {
        double best = cubeYaw, bestDist = double.MaxValue;
        for (int k = -4; k <= 4; k++)
        {
            double y = cubeYaw + k * Math.PI / 2;
            double d = Math.Abs(Math.IEEERemainder(y - toolYaw, 2 * Math.PI));
            if (d < bestDist) { bestDist = d; best = toolYaw + Math.IEEERemainder(y - toolYaw, 2 * Math.PI); }
        }
        return best;
    }

    private static SceneObject Require(SceneSnapshot scene, string name) =>
        scene.Find(name) ?? throw new SkillCompileException(AnomalyKinds.Fault, $"{name} is not in the scene");

    private sealed class SkillCompileException(string kind, string message) : Exception(message)
    {
        public string Kind { get; } = kind;
    }

    /// <summary>Chains segments so each starts exactly where the previous one ends.</summary>
    private sealed class Builder(SkillCompiler owner, ArmContext arm, SkillParameters parameters)
    {
        public readonly List<Segment> Segments = [];
        public TargetWatch? Target;
        private double[] _q = (double[])arm.Command.Clone();
        public double GripperCommand { get; private set; } = arm.GripperCommand;
        private ArmKinematics Kin => owner._kin;
        private SkillParameters P { get; } = parameters;
        public double GraspOpening => P.GraspOpening;

        /// <summary>The held object's centre relative to the tool point (world axes), and its yaw relative to the tool's.</summary>
        public readonly record struct HeldObject(Vec3 Offset, double RelativeYaw);

        /// <summary>
        /// Where <paramref name="obj"/> sits in the hand, from its perceived pose and the tool's pose at the last command:
        /// a grasp that slipped a little is put down where it belongs. An object perceived away from the hand (perception
        /// stale) counts as centred and aligned with the fingers, as the grasp left it.
        /// </summary>
        public HeldObject Held(SceneObject obj, double tolerance)
        {
            var tool = Kin.Forward(_q);
            var offset = obj.Pose.Position - tool.Position;
            if (!offset.IsFinite || offset.Norm > tolerance) return new HeldObject(Vec3.Zero, 0);
            return new HeldObject(offset, Math.IEEERemainder(obj.Pose.Orientation.Yaw - ToolYaw(), Math.PI / 2));
        }

        /// <summary>
        /// The first of <paramref name="yaws"/> with which the tool, pointing down, can go through every one of
        /// <paramref name="positions"/> in turn from where the arm is, within the joints' ranges; null when none can.
        /// </summary>
        public double? FirstReachable(IEnumerable<double> yaws, params Vec3[] positions)
        {
            foreach (var yaw in yaws)
            {
                double[]? q = _q;
                foreach (var position in positions)
                {
                    q = Kin.Inverse(new Pose(position, ArmKinematics.TopDown(yaw)), q);
                    if (q is null || !WithinRanges(q)) { q = null; break; }
                }
                if (q is not null) return yaw;
            }
            return null;
        }

        private bool WithinRanges(double[] q)
        {
            for (int i = 0; i < q.Length; i++)
                if (q[i] < Kin.Arm.Joints[i].Lower || q[i] > Kin.Arm.Joints[i].Upper) return false;
            return true;
        }

        public double ToolYaw()
        {
            // Yaw of the fingers' axis projected on the table, for a tool pointing down.
            var pose = Kin.Forward(_q);
            var y = pose.Orientation.Rotate(Core.Geometry.Vec3.UnitY);
            return Math.Atan2(y.Y, y.X) - Math.PI / 2;
        }

        public void Gripper(double opening, string label, bool expectHold = false, bool watch = false)
        {
            Segments.Add(new Segment
            {
                Kind = SegmentKind.Gripper, Label = label, From = _q, To = _q,
                Duration = P.GripperDuration, GripperFrom = GripperCommand, Gripper = opening, ExpectHoldAtEnd = expectHold, WatchTarget = watch,
            });
            GripperCommand = opening;
        }

        public void MoveTo(Vec3 position, double yaw, string label, bool mustHold, bool slow = false, bool watch = false)
        {
            var target = new Pose(position, ArmKinematics.TopDown(yaw));
            var q = Kin.Inverse(target, _q)
                ?? throw new SkillCompileException(AnomalyKinds.Unreachable, $"{label}: pose {position} is out of the arm's reach");
            MoveJoints(q, label, mustHold, slow, watch);
        }

        /// <summary>
        /// The peak tool speed of the minimum-jerk joint motion from <paramref name="from"/> to <paramref name="to"/> if it
        /// lasted one second (speed scales with 1/duration). The tool's path in Cartesian space is not straight, so it is
        /// sampled: speed(tau) = |dTool/ds| * ds/dtau with s = 10tau^3 - 15tau^4 + 6tau^5.
        /// </summary>
        private double PeakToolSpeedPerUnitTime(double[] from, double[] to)
        {
            const int samples = 64;
            var q = new double[from.Length];
            Vec3 ToolAt(double s)
            {
                for (int i = 0; i < q.Length; i++) q[i] = from[i] + (to[i] - from[i]) * s;
                return Kin.Forward(q).Position;
            }
            double peak = 0;
            var previous = ToolAt(0);
            for (int k = 1; k <= samples; k++)
            {
                double s0 = (k - 1) / (double)samples, s1 = k / (double)samples;
                var next = ToolAt(s1);
                double dToolDs = (next - previous).Norm / (s1 - s0);
                previous = next;
                // ds/dtau at the interval's ends, where tau is the time fraction whose s is s0 or s1
                double rate = Math.Max(MinimumJerkRateAt(s0), MinimumJerkRateAt(s1));
                peak = Math.Max(peak, dToolDs * rate);
            }
            return peak;
        }

        /// <summary>ds/dtau of the minimum-jerk profile at the point where it has covered the fraction <paramref name="s"/>.</summary>
        private static double MinimumJerkRateAt(double s)
        {
            // invert s(tau) by bisection (monotonic on [0, 1])
            double lo = 0, hi = 1;
            for (int i = 0; i < 40; i++)
            {
                double mid = 0.5 * (lo + hi);
                double sm = mid * mid * mid * (10 - 15 * mid + 6 * mid * mid);
                if (sm < s) lo = mid; else hi = mid;
            }
            double t = 0.5 * (lo + hi);
            return 30 * t * t * (1 - t) * (1 - t);
        }

        public void MoveJoints(double[] q, string label, bool mustHold, bool slow = false, bool watch = false)
        {
            double duration = slow ? P.SlowMoveDuration : P.MinMoveDuration;
            for (int i = 0; i < q.Length; i++)
            {
                var j = Kin.Arm.Joints[i];
                if (q[i] < j.Lower || q[i] > j.Upper)
                    throw new SkillCompileException(AnomalyKinds.Unreachable, $"{label}: joint {j.Name} would leave its range");
                // Minimum-jerk peak velocity is 1.875 * distance / duration.
                duration = Math.Max(duration, 1.875 * Math.Abs(q[i] - _q[i]) / (P.SpeedFraction * j.MaxVelocity));
            }
            if (double.IsFinite(P.MaxToolSpeed))
                duration = Math.Max(duration, PeakToolSpeedPerUnitTime(_q, q) / (P.ToolSpeedMargin * P.MaxToolSpeed));
            Segments.Add(new Segment
            {
                Kind = SegmentKind.Move, Label = label, From = _q, To = q, Duration = duration,
                Gripper = GripperCommand, GripperFrom = GripperCommand, MustHold = mustHold, WatchTarget = watch,
                Trajectory = ArmTrajectory.MinimumJerk(_q, q, duration, P.TrajectoryInterval, label),
            });
            _q = q;
        }
    }
}
