using CortexBot.Cerebellum.Control;
using CortexBot.Cerebellum.Skills;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

namespace CortexBot.Cerebellum.Learning.Runtime;

/// <summary>
/// The learned pick-and-place policy as a control program: every tick it reads the object's pose through
/// <see cref="IObjectPoses"/> and lets the <see cref="ChunkedPolicyExecutor"/> write the command. It succeeds, as the
/// policy evaluator judges, when the object lies inside the container with the gripper open (measured and commanded)
/// for <see cref="ReleaseSeconds"/> of robot time, and fails after <see cref="TimeoutSeconds"/>. Step allocates nothing.
/// </summary>
public sealed class LearnedPickPlaceProgram : IControlProgram
{
    private readonly ChunkedPolicyExecutor _executor;
    private readonly IObjectPoses _poses;
    private readonly int _object;
    private readonly Pose _container;
    private readonly Vec3 _containerHalf;
    private readonly string _timeoutDetail, _lostDetail;
    private long _start, _doneAt;

    public LearnedPickPlaceProgram(string name, ChunkedPolicyExecutor executor, IObjectPoses poses, int objectIndex, SceneObject container)
    {
        Name = name;
        _executor = executor;
        _poses = poses;
        _object = objectIndex;
        _container = container.Pose;
        _containerHalf = container.HalfSize;
        _timeoutDetail = $"{name}: the policy did not finish within {TimeoutSeconds:0.#} s";
        _lostDetail = $"{name}: the object's pose is not available";
    }

    public string Name { get; }
    public double TimeoutSeconds { get; init; } = 20;
    public double ReleaseSeconds { get; init; } = 0.5;
    /// <summary>Opening above which the gripper counts as released.</summary>
    public double OpenThreshold { get; init; } = 0.03;
    /// <summary>The policy's commands jump at chunk seams and are rate-limited by the safety gate: no obstruction screen.</summary>
    public bool ScreenTracking => false;
    /// <summary>Each chunk the executor adopts, laid out as one trajectory for a trajectory controller.</summary>
    public ArmTrajectory? TakeTrajectory() => _executor.TakeTrajectory();
    public string? FailureKind { get; private set; }
    public string? FailureDetail { get; private set; }
    /// <summary>Control ticks this program has stepped (for tests and reports).</summary>
    public long Steps { get; private set; }

    public void Begin(long tick, RobotStateBuffer state)
    {
        _start = tick;
        _doneAt = -1;
        Steps = 0;
        FailureKind = FailureDetail = null;
        if (_executor.Lockstep)
        {
            // Fast (lockstep) pacing only: the tick may wait for inference, so the first chunk is computed right here.
            _poses.TryGetPose(_object, out var p);
            _executor.Begin(tick, state, p.Position, p.Orientation.Yaw, _container.Position);
        }
        else
        {
            // Real time: never wait on inference; the loop holds its last command until the first chunk lands.
            _executor.BeginDeferred();
        }
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    public ProgramStatus Step(long tick, double period, RobotStateBuffer state, JointCommandBuffer command)
    {
        Steps++;
        if (!_poses.TryGetPose(_object, out var p) || !p.Position.IsFinite)
            return Fail(AnomalyKinds.InvalidState, _lostDetail);
        if (!_executor.Step(tick, state, p.Position, p.Orientation.Yaw, _container.Position, command))
        {
            if ((tick - _start) * period > TimeoutSeconds) return Fail(AnomalyKinds.NoProgress, _timeoutDetail);
            return ProgramStatus.Running;
        }

        bool released = Inside(p.Position) && state.GripperOpening > OpenThreshold && command.GripperOpening > OpenThreshold;
        if (!released) _doneAt = -1;
        else if (_doneAt < 0) _doneAt = tick;
        else if ((tick - _doneAt) * period >= ReleaseSeconds) return ProgramStatus.Succeeded;

        if ((tick - _start) * period > TimeoutSeconds) return Fail(AnomalyKinds.NoProgress, _timeoutDetail);
        return ProgramStatus.Running;
    }

    private bool Inside(Vec3 position)
    {
        var local = _container.Orientation.Conjugate().Rotate(position - _container.Position);
        return Math.Abs(local.X) <= _containerHalf.X && Math.Abs(local.Y) <= _containerHalf.Y && Math.Abs(local.Z) <= _containerHalf.Z;
    }

    private ProgramStatus Fail(string kind, string detail)
    {
        FailureKind = kind;
        FailureDetail = detail;
        return ProgramStatus.Failed;
    }
}
