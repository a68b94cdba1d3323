using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

namespace CortexBot.Brainstem.Ros2;

/// <summary>
/// The link's command side: each tick's arm command as a single-point trajectory_msgs/JointTrajectory (time_from_start =
/// a few control periods, header stamp 0 = start now) or a std_msgs/Float64MultiArray on
/// <see cref="Ros2Options.CommandTopic"/>, or, with an action client, as a FollowJointTrajectory goal; plus the gripper's
/// Float64MultiArray on <see cref="Ros2Options.GripperTopic"/> when it changes (and every 50 ticks).
/// <para>Control thread only; the messages live in preallocated native memory, so <see cref="Publish"/> allocates nothing.</para>
/// </summary>
internal sealed unsafe class Ros2CommandPublisher : IDisposable
{
    private readonly Ros2Options _o;
    private readonly int _dof, _gripperJoints;
    private readonly Ros2TrajectoryActionClient? _action;
    private readonly int _commandWriter, _gripperWriter;
    private readonly NativeStrings _mem = new();
    private readonly JointTrajectoryMsg* _traj;
    private readonly JointTrajectoryPointMsg* _point;
    private readonly Float64MultiArrayMsg* _forward;
    private readonly Float64MultiArrayMsg* _gripperMsg;
    private readonly double* _cmdPos, _gripData;
    private double _lastGripperSent = double.NaN;
    private long _ticksSinceGripper;
    private long _sent;

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
        _forward = _mem.Alloc<Float64MultiArrayMsg>(1);
        _forward->Data = DdsSequence.Of(_cmdPos, _dof);
        _gripData = _mem.Alloc<double>(Math.Max(1, _gripperJoints));
        _gripperMsg = _mem.Alloc<Float64MultiArrayMsg>(1);
        _gripperMsg->Data = DdsSequence.Of(_gripData, _gripperJoints);
    }

    /// <summary>Arm commands written without error.</summary>
    public long Sent => Interlocked.Read(ref _sent);

    /// <summary>Control thread: sends <paramref name="command"/> (the controller reaches it <see cref="Ros2Options.TrajectoryLeadPeriods"/> periods on).</summary>
    public void Publish(JointCommandBuffer command, double controlPeriodSeconds)
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
