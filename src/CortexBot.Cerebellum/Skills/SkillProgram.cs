using CortexBot.Core.Ports;

namespace CortexBot.Cerebellum.Skills;

public enum SegmentKind
{
    /// <summary>Minimum-jerk joint-space motion from <see cref="Segment.From"/> to <see cref="Segment.To"/>.</summary>
    Move,
    /// <summary>Ramp the gripper opening to <see cref="Segment.Gripper"/> and let it settle.</summary>
    Gripper,
    /// <summary>Hold still.</summary>
    Wait,
}

/// <summary>
/// One precomputed piece of a skill. Everything a tick needs is computed when the skill is compiled, so the control
/// thread only evaluates polynomials.
/// </summary>
public sealed class Segment
{
    public required SegmentKind Kind { get; init; }
    public required string Label { get; init; }
    public required double[] From { get; init; }
    public required double[] To { get; init; }
    public required double Duration { get; init; }
    public double GripperFrom { get; init; }
    public double Gripper { get; init; }
    /// <summary>During this segment the gripper must hold an object (opening above the program's threshold).</summary>
    public bool MustHold { get; init; }
    /// <summary>At the end of this segment the gripper must hold an object (grasp check).</summary>
    public bool ExpectHoldAtEnd { get; init; }
    /// <summary>During this segment the program's target object must stay where the skill was planned for it.</summary>
    public bool WatchTarget { get; init; }
    /// <summary>
    /// A <see cref="SegmentKind.Move"/> sampled for a trajectory controller (see <see cref="ArmTrajectory.MinimumJerk"/>),
    /// built with the segment so the control thread only hands it over; null for segments that keep the arm still.
    /// </summary>
    public ArmTrajectory? Trajectory { get; init; }
}

/// <summary>
/// Where a skill expects its object to be, read every tick through <see cref="IObjectPoses"/> (resolved off the control
/// thread). A target that moves further than <see cref="Tolerance"/> invalidates the planned motion.
/// </summary>
public sealed record TargetWatch(IObjectPoses Poses, int Index, string Name, Core.Geometry.Vec3 Expected, double Tolerance = 0.02);

public enum ProgramStatus { Running, Succeeded, Failed }

/// <summary>
/// A compiled skill: segments executed by the control thread tick by tick without allocating.
/// Only a failure allocates (its evidence string), once per program.
/// </summary>
public sealed class SkillProgram : Control.IControlProgram
{
    private int _index;
    private long _segmentStartTick;
    private double _heldOpening;
    private bool _holding;
    private int _announced = -1;
    private ArmTrajectory? _starting;

    public SkillProgram(string name, Segment[] segments, double holdThreshold)
    {
        if (segments.Length == 0) throw new ArgumentException("a program needs at least one segment", nameof(segments));
        Name = name;
        Segments = segments;
        HoldThreshold = holdThreshold;
    }

    public string Name { get; }
    public Segment[] Segments { get; }
    public double HoldThreshold { get; }

    /// <summary>
    /// While holding, a fall of the measured opening by this much (m) below the opening at which the object was held means
    /// it is slipping out: the fingers close on nothing within milliseconds, long before they reach <see cref="HoldThreshold"/>.
    /// </summary>
    public double SlipDrop { get; init; } = 0.003;
    /// <summary>The object this program goes for, checked during segments marked <see cref="Segment.WatchTarget"/>.</summary>
    public TargetWatch? Target { get; init; }

    public string? FailureKind { get; private set; }
    public string? FailureDetail { get; private set; }
    public int SegmentIndex => _index;
    public string CurrentLabel => Segments[Math.Min(_index, Segments.Length - 1)].Label;

    void Control.IControlProgram.Begin(long tick, RobotStateBuffer state) => Begin(tick);

    ProgramStatus Control.IControlProgram.Step(long tick, double period, RobotStateBuffer state, JointCommandBuffer command) =>
        Step(tick, period, state, command);

    /// <summary>The segment that began at the latest <see cref="Step"/>, when it moves the arm (taken once).</summary>
    public ArmTrajectory? TakeTrajectory()
    {
        var t = _starting;
        _starting = null;
        return t;
    }

    internal void Begin(long tick)
    {
        _index = 0;
        _segmentStartTick = tick;
        _holding = false;
        _announced = -1;
        _starting = null;
        FailureKind = FailureDetail = null;
    }

    /// <summary>Compute this tick's command. Runs on the control thread: must not allocate.</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    internal ProgramStatus Step(long tick, double period, RobotStateBuffer state, JointCommandBuffer command)
    {
        var seg = Segments[_index];
        if (_announced != _index)
        {
            // the segment's first tick: its whole motion is ready for a trajectory controller
            _announced = _index;
            _starting = seg.Trajectory;
        }
        double t = (tick - _segmentStartTick) * period;
        double tau = seg.Duration > 0 ? Math.Clamp(t / seg.Duration, 0, 1) : 1;

        switch (seg.Kind)
        {
            case SegmentKind.Move:
                double s = tau * tau * tau * (10 - 15 * tau + 6 * tau * tau);
                for (int i = 0; i < command.Joints; i++)
                    command.Position[i] = seg.From[i] + (seg.To[i] - seg.From[i]) * s;
                command.GripperOpening = seg.Gripper;
                break;
            case SegmentKind.Gripper:
                for (int i = 0; i < command.Joints; i++) command.Position[i] = seg.To[i];
                // Ramp over the first 60% of the segment, then let the fingers settle.
                double g = Math.Min(1, tau / 0.6);
                command.GripperOpening = seg.GripperFrom + (seg.Gripper - seg.GripperFrom) * g;
                break;
            default:
                for (int i = 0; i < command.Joints; i++) command.Position[i] = seg.To[i];
                command.GripperOpening = seg.Gripper;
                break;
        }

        if (seg.MustHold)
        {
            if (!_holding)
            {
                _holding = true;
                _heldOpening = state.GripperOpening;
            }
            if (state.GripperOpening < HoldThreshold || state.GripperOpening < _heldOpening - SlipDrop)
                return Fail(Core.Messages.AnomalyKinds.ObjectDropped, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"{seg.Label}: the gripper opening fell from {_heldOpening * 1e3:F1} mm to {state.GripperOpening * 1e3:F1} mm while holding"));
        }
        else
        {
            _holding = false;
        }

        if (seg.WatchTarget && Target is { } w)
        {
            if (!w.Poses.TryGetPose(w.Index, out var p))
                return Fail(Core.Messages.AnomalyKinds.TargetMoved, $"{seg.Label}: {w.Name} is no longer observed");
            double off = (p.Position - w.Expected).Norm;
            if (off > w.Tolerance)
                return Fail(Core.Messages.AnomalyKinds.TargetMoved, string.Create(System.Globalization.CultureInfo.InvariantCulture,
                    $"{seg.Label}: {w.Name} is {off * 1e3:F0} mm from where the skill expects it (tolerance {w.Tolerance * 1e3:F0} mm)"));
        }

        if (tau < 1) return ProgramStatus.Running;

        if (seg.ExpectHoldAtEnd && state.GripperOpening < HoldThreshold)
            return Fail(Core.Messages.AnomalyKinds.GraspMissed, seg.Label);

        _index++;
        _segmentStartTick = tick + 1;
        return _index >= Segments.Length ? ProgramStatus.Succeeded : ProgramStatus.Running;
    }

    private ProgramStatus Fail(string kind, string detail)
    {
        FailureKind = kind;
        FailureDetail = detail;
        return ProgramStatus.Failed;
    }
}
