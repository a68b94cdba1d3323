using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

namespace CortexBot.Brainstem.Ros2;

/// <summary>
/// The link's command side. With the trajectory interfaces, a whole motion as ONE multi-point
/// trajectory_msgs/JointTrajectory (positions, velocities, accelerations at their time_from_start; header stamp 0 = start
/// on receipt) on <see cref="Ros2Options.CommandTopic"/> or, with an action client, as one FollowJointTrajectory goal
/// (<see cref="SendTrajectory"/>); a hold target as a single-point trajectory reached
/// <see cref="Ros2Options.TrajectoryLeadPeriods"/> periods on (<see cref="PublishPoint"/>). With the forward interface,
/// each tick's command as a std_msgs/Float64MultiArray. The gripper's Float64MultiArray goes on
/// <see cref="Ros2Options.GripperTopic"/> when it changes (and every 50 ticks).
/// <para>Control thread only; the messages live in preallocated native memory (a trajectory of up to
/// <see cref="ArmTrajectory.MaxPoints"/> points included), so nothing here allocates.</para>
/// </summary>
internal sealed unsafe class Ros2CommandPublisher : IDisposable
{
    private readonly Ros2Options _o;
    private readonly int _dof, _gripperJoints;
    private readonly Ros2TrajectoryActionClient? _action;
    private readonly int _commandWriter, _gripperWriter;
    private readonly NativeStrings _mem = new();
    private readonly JointTrajectoryMsg* _traj, _motion;
    private readonly JointTrajectoryPointMsg* _point, _motionPoints;
    private readonly Float64MultiArrayMsg* _forward;
    private readonly Float64MultiArrayMsg* _gripperMsg;
    private readonly double* _cmdPos, _gripData, _motionPos, _motionVel, _motionAcc;
    private double _lastGripperSent = double.NaN;
    private long _ticksSinceGripper;
    private long _sent, _trajectories;

    /// <param name="action">The goal client when trajectories go out through the action; null streams them on the topic.</param>
    public Ros2CommandPublisher(DdsParticipant dds, Ros2Options options, string[] armJoints, Ros2TrajectoryActionClient? action)
    {
        _o = options;
        _dof = armJoints.Length;
        _gripperJoints = options.GripperJoints.Count;
        _action = action;
        if (action is null)
            _commandWriter = options.CommandInterface == Ros2CommandInterface.Trajectory
                ? dds.Writer(RosType.JointTrajectory, options.CommandTopic, RosQos.Default)
                : dds.Writer(RosType.Float64MultiArray, options.CommandTopic, RosQos.Default);
        _gripperWriter = dds.Writer(RosType.Float64MultiArray, options.GripperTopic, RosQos.Default);

        _cmdPos = _mem.Alloc<double>(_dof);
        _point = _mem.Alloc<JointTrajectoryPointMsg>(1);
        _point->Positions = DdsSequence.Of(_cmdPos, _dof);
        _traj = _mem.Alloc<JointTrajectoryMsg>(1);
        _traj->Header.FrameId = _mem.Add("");
        _traj->JointNames = DdsSequence.Of(_mem.AddArray(armJoints), _dof);
        _traj->Points = DdsSequence.Of(_point, 1);
        // a whole motion: every point's arrays preallocated for the longest trajectory
        int cap = ArmTrajectory.MaxPoints;
        _motionPos = _mem.Alloc<double>(cap * _dof);
        _motionVel = _mem.Alloc<double>(cap * _dof);
        _motionAcc = _mem.Alloc<double>(cap * _dof);
        _motionPoints = _mem.Alloc<JointTrajectoryPointMsg>(cap);
        for (int k = 0; k < cap; k++)
        {
            _motionPoints[k].Positions = DdsSequence.Of(_motionPos + k * _dof, _dof);
            _motionPoints[k].Velocities = DdsSequence.Of(_motionVel + k * _dof, _dof);
            _motionPoints[k].Accelerations = DdsSequence.Of(_motionAcc + k * _dof, _dof);
        }
        _motion = _mem.Alloc<JointTrajectoryMsg>(1);
        _motion->Header.FrameId = _traj->Header.FrameId;
        _motion->JointNames = _traj->JointNames;
        _motion->Points = DdsSequence.Of(_motionPoints, 0);
        _forward = _mem.Alloc<Float64MultiArrayMsg>(1);
        _forward->Data = DdsSequence.Of(_cmdPos, _dof);
        _gripData = _mem.Alloc<double>(Math.Max(1, _gripperJoints));
        _gripperMsg = _mem.Alloc<Float64MultiArrayMsg>(1);
        _gripperMsg->Data = DdsSequence.Of(_gripData, _gripperJoints);
    }

    /// <summary>Arm commands written without error (per-tick commands, hold points and whole trajectories).</summary>
    public long Sent => Interlocked.Read(ref _sent);
    /// <summary>Whole multi-point trajectories (messages or goals) written without error.</summary>
    public long Trajectories => Interlocked.Read(ref _trajectories);

    /// <summary>Control thread: sends <paramref name="command"/>'s arm and gripper targets (the forward interface's per-tick stream).</summary>
    public void Publish(JointCommandBuffer command, double controlPeriodSeconds)
    {
        PublishPoint(command, controlPeriodSeconds);
        PublishGripper(command);
    }

    /// <summary>
    /// Control thread: sends <paramref name="command"/>'s arm targets alone, as a Float64MultiArray (forward) or a
    /// single-point trajectory the controller reaches <see cref="Ros2Options.TrajectoryLeadPeriods"/> periods on.
    /// </summary>
    public int PublishPoint(JointCommandBuffer command, double controlPeriodSeconds)
    {
        for (int i = 0; i < _dof; i++) _cmdPos[i] = command.Position[i];
        int rc;
        if (_action is not null)
        {
            _point->TimeFromStart = RosTime.FromNanoseconds((long)(_o.TrajectoryLeadPeriods * controlPeriodSeconds * 1e9));
            rc = _action.SendGoal(_traj);
        }
        else if (_o.CommandInterface == Ros2CommandInterface.Trajectory)
        {
            _point->TimeFromStart = RosTime.FromNanoseconds((long)(_o.TrajectoryLeadPeriods * controlPeriodSeconds * 1e9));
            rc = Native.Write(_commandWriter, _traj);
        }
        else rc = Native.Write(_commandWriter, _forward);
        if (rc >= 0) _sent++;
        return rc;
    }

    /// <summary>Control thread: sends a whole motion as one trajectory message or one goal; returns the DDS write's code.</summary>
    public int SendTrajectory(ArmTrajectory t)
    {
        if (_o.CommandInterface != Ros2CommandInterface.Trajectory) throw new InvalidOperationException("the forward interface takes no trajectories");
        int n = Math.Min(t.Count, ArmTrajectory.MaxPoints);
        int derivatives = t.HasDerivatives ? _dof : 0;
        for (int k = 0; k < n; k++)
        {
            var pt = _motionPoints + k;
            pt->TimeFromStart = RosTime.FromNanoseconds((long)Math.Round(t.TimeFromStart[k] * 1e9));
            pt->Velocities.Length = pt->Velocities.Maximum = (uint)derivatives;
            pt->Accelerations.Length = pt->Accelerations.Maximum = (uint)derivatives;
            for (int i = 0; i < _dof; i++)
            {
                int src = k * t.Joints + i, dst = k * _dof + i;
                _motionPos[dst] = t.Position[src];
                _motionVel[dst] = t.Velocity[src];
                _motionAcc[dst] = t.Acceleration[src];
            }
        }
        _motion->Points = DdsSequence.Of(_motionPoints, n);
        int rc = _action is not null ? _action.SendGoal(_motion) : Native.Write(_commandWriter, _motion);
        if (rc >= 0) { _sent++; _trajectories++; }
        return rc;
    }

    /// <summary>Control thread: the gripper's opening, when it changed (and every 50 calls, so a late subscriber gets it).</summary>
    public void PublishGripper(JointCommandBuffer command)
    {
        double g = command.GripperOpening;
        if (_gripperJoints > 0 && (g != _lastGripperSent || ++_ticksSinceGripper >= 50))
        {
            for (int k = 0; k < _gripperJoints; k++) _gripData[k] = g / _gripperJoints;
            Native.Write(_gripperWriter, _gripperMsg);
            _lastGripperSent = g;
            _ticksSinceGripper = 0;
        }
    }

    /// <summary>Frees the messages; only after the participant (and so every writer) is gone.</summary>
    public void Dispose() => _mem.Dispose();
}
