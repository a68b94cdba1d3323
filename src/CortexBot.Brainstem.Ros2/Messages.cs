using System.Runtime.InteropServices;

namespace CortexBot.Brainstem.Ros2;

// Mirrors of the C structs idlc generates from native/ros2_types.idl (x86_64 / aarch64 LP64 layouts). Their sizes
// are checked against the shim's sizeof when a participant is created (DdsParticipant.CheckLayouts).

/// <summary><c>dds_sequence_T</c>: maximum, length, buffer, release.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct DdsSequence
{
    public uint Maximum;
    public uint Length;
    public void* Buffer;
    public byte Release;

    public static DdsSequence Of(void* buffer, int length) =>
        new() { Maximum = (uint)length, Length = (uint)length, Buffer = buffer, Release = 0 };
}

/// <summary>builtin_interfaces/Time and Duration.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct RosTime
{
    public int Sec;
    public uint Nanosec;

    public static RosTime FromNanoseconds(long ns) => new() { Sec = (int)(ns / 1_000_000_000), Nanosec = (uint)(ns % 1_000_000_000) };
    public readonly long TotalNanoseconds => Sec * 1_000_000_000L + Nanosec;

    /// <summary>
    /// A ROS (wall-clock) stamp in MonotonicClock ns, given both clocks read at receipt: now_mono - (now_wall - stamp),
    /// never later than receipt (a sender's clock ahead of ours); 0 means "now".
    /// </summary>
    public static long ToMonotonic(long stampWallNs, long nowWallNs, long nowMonoNs) =>
        stampWallNs == 0 ? nowMonoNs : Math.Min(nowMonoNs, nowMonoNs - (nowWallNs - stampWallNs));
}

/// <summary>std_msgs/Header.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct RosHeader
{
    public RosTime Stamp;
    public byte* FrameId;
}

/// <summary>sensor_msgs/JointState.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct JointStateMsg
{
    public RosHeader Header;
    public DdsSequence Name;
    public DdsSequence Position;
    public DdsSequence Velocity;
    public DdsSequence Effort;
}

/// <summary>sensor_msgs/Image.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct ImageMsg
{
    public RosHeader Header;
    public uint Height;
    public uint Width;
    public byte* Encoding;
    public byte IsBigendian;
    public uint Step;
    public DdsSequence Data;
}

/// <summary>trajectory_msgs/MultiDOFJointTrajectoryPoint (geometry_msgs Transform/Twist sequences; CortexBot leaves them empty).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct MultiDofTrajectoryPointMsg
{
    public DdsSequence Transforms;
    public DdsSequence Velocities;
    public DdsSequence Accelerations;
    public RosTime TimeFromStart;
}

/// <summary>control_msgs/JointTrajectoryControllerState (control_msgs 4.x, ROS 2 Humble).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct ControllerStateMsg
{
    public RosHeader Header;
    public DdsSequence JointNames;
    public JointTrajectoryPointMsg Reference;
    public JointTrajectoryPointMsg Feedback;
    public JointTrajectoryPointMsg Error;
    public JointTrajectoryPointMsg Output;
    public JointTrajectoryPointMsg Desired;
    public JointTrajectoryPointMsg Actual;
    public DdsSequence MultiDofJointNames;
    public MultiDofTrajectoryPointMsg MultiDofReference;
    public MultiDofTrajectoryPointMsg MultiDofFeedback;
    public MultiDofTrajectoryPointMsg MultiDofError;
    public MultiDofTrajectoryPointMsg MultiDofOutput;
    public MultiDofTrajectoryPointMsg MultiDofDesired;
    public MultiDofTrajectoryPointMsg MultiDofActual;
}

/// <summary>control_msgs/JointTrajectoryControllerState (control_msgs 5.x, ROS 2 Jazzy): no desired/actual, speed_scaling_factor last.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct ControllerStateJazzyMsg
{
    public RosHeader Header;
    public DdsSequence JointNames;
    public JointTrajectoryPointMsg Reference;
    public JointTrajectoryPointMsg Feedback;
    public JointTrajectoryPointMsg Error;
    public JointTrajectoryPointMsg Output;
    public DdsSequence MultiDofJointNames;
    public MultiDofTrajectoryPointMsg MultiDofReference;
    public MultiDofTrajectoryPointMsg MultiDofFeedback;
    public MultiDofTrajectoryPointMsg MultiDofError;
    public MultiDofTrajectoryPointMsg MultiDofOutput;
    public double SpeedScalingFactor;
}

/// <summary>trajectory_msgs/JointTrajectoryPoint.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct JointTrajectoryPointMsg
{
    public DdsSequence Positions;
    public DdsSequence Velocities;
    public DdsSequence Accelerations;
    public DdsSequence Effort;
    public RosTime TimeFromStart;
}

/// <summary>trajectory_msgs/JointTrajectory.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct JointTrajectoryMsg
{
    public RosHeader Header;
    public DdsSequence JointNames;
    public DdsSequence Points;
}

/// <summary>std_msgs/Float64MultiArray (layout: dim sequence + data_offset).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct Float64MultiArrayMsg
{
    public DdsSequence LayoutDim;
    public uint LayoutDataOffset;
    public DdsSequence Data;
}

/// <summary>std_msgs/Bool.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct BoolMsg
{
    public byte Data;
}

/// <summary>cortexbot_msgs/SceneStatus: the simulator node's objects and reset acknowledgements.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct SceneStatusMsg
{
    public RosHeader Header;
    public uint ResetId;
    public int Seed;
    public double SimTime;
    public DdsSequence ObjectNames;
    public DdsSequence ObjectKinds;
    public DdsSequence ObjectColors;
    public DdsSequence Poses;
    public DdsSequence HalfSizes;
}

/// <summary>cortexbot_msgs/ResetRequest.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct ResetRequestMsg
{
    public uint ResetId;
    public int Seed;
}

/// <summary>cortexbot_msgs/LinkStatus: CortexBot's own status (the ROS 2 link's health and counters).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct LinkStatusMsg
{
    public RosHeader Header;
    public byte EmergencyStopped;
    public byte StateFresh;
    public double StateAge;
    public ulong JointStatesAccepted;
    public ulong RejectedMissingJoints;
    public ulong RejectedNonFinite;
    public ulong RejectedMalformed;
    public ulong StaleReads;
    public ulong Reconnects;
    public ulong CommandsSent;
    public ulong WritesHeld;
    public ulong EmergencyStops;
}

// ---------------------------------------------------------------- robot_description and /tf

/// <summary>std_msgs/String.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct StringMsg
{
    public byte* Data;
}

/// <summary>geometry_msgs/TransformStamped: the pose of <see cref="ChildFrameId"/> in <c>Header.FrameId</c>.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct TransformStampedMsg
{
    public RosHeader Header;
    public byte* ChildFrameId;
    public double Tx, Ty, Tz;
    /// <summary>geometry_msgs/Quaternion: x, y, z, w.</summary>
    public double Qx, Qy, Qz, Qw;
}

/// <summary>tf2_msgs/TFMessage.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct TfMessageMsg
{
    /// <summary><see cref="TransformStampedMsg"/>s.</summary>
    public DdsSequence Transforms;
}

// ---------------------------------------------------------------- diagnostic_msgs

/// <summary>diagnostic_msgs/KeyValue.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KeyValueMsg
{
    public byte* Key;
    public byte* Value;
}

/// <summary>diagnostic_msgs/DiagnosticStatus (level: <see cref="DiagnosticLevel"/>).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct DiagnosticStatusMsg
{
    public byte Level;
    public byte* Name;
    public byte* Message;
    public byte* HardwareId;
    /// <summary><see cref="KeyValueMsg"/>s.</summary>
    public DdsSequence Values;
}

/// <summary>diagnostic_msgs/DiagnosticArray.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct DiagnosticArrayMsg
{
    public RosHeader Header;
    /// <summary><see cref="DiagnosticStatusMsg"/>es.</summary>
    public DdsSequence Status;
}

/// <summary>diagnostic_msgs/DiagnosticStatus level constants.</summary>
public static class DiagnosticLevel
{
    public const byte Ok = 0, Warn = 1, Error = 2, Stale = 3;
}

// ---------------------------------------------------------------- control_msgs/action/FollowJointTrajectory

/// <summary>unique_identifier_msgs/UUID: a goal's id.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct GoalUuid
{
    public fixed byte Bytes[16];

    public readonly ulong Low { get { fixed (byte* b = Bytes) return *(ulong*)b; } }
    public readonly ulong High { get { fixed (byte* b = Bytes) return *(ulong*)(b + 8); } }
    public readonly bool IsZero => Low == 0 && High == 0;

    public static GoalUuid From(ulong low, ulong high)
    {
        GoalUuid u = default;
        *(ulong*)u.Bytes = low;
        *(ulong*)(u.Bytes + 8) = high;
        return u;
    }
}

/// <summary>action_msgs/GoalInfo.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct GoalInfoMsg
{
    public GoalUuid GoalId;
    public RosTime Stamp;
}

/// <summary>action_msgs/GoalStatus.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct GoalStatusMsg
{
    public GoalInfoMsg GoalInfo;
    public sbyte Status;
}

/// <summary>action_msgs/GoalStatusArray (the action's <c>_action/status</c> topic).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct GoalStatusArrayMsg
{
    public DdsSequence StatusList;
}

/// <summary>action_msgs/srv/CancelGoal request, behind rmw_cyclonedds' request header.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct CancelGoalRequestMsg
{
    public ulong ClientGuid;
    public long Sequence;
    public GoalInfoMsg GoalInfo;
}

/// <summary>action_msgs/srv/CancelGoal response, behind rmw_cyclonedds' request header.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct CancelGoalResponseMsg
{
    public ulong ClientGuid;
    public long Sequence;
    public sbyte ReturnCode;
    public DdsSequence GoalsCanceling;
}

/// <summary>trajectory_msgs/MultiDOFJointTrajectory (CortexBot's arm has no multi-DOF joints: always empty).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct MultiDofJointTrajectoryMsg
{
    public RosHeader Header;
    public DdsSequence JointNames;
    public DdsSequence Points;
}

/// <summary>control_msgs/JointTolerance.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct JointToleranceMsg
{
    public byte* Name;
    public double Position;
    public double Velocity;
    public double Acceleration;
}

/// <summary>control_msgs/JointComponentTolerance.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct JointComponentToleranceMsg
{
    public byte* JointName;
    public ushort Component;
    public double Position;
    public double Velocity;
    public double Acceleration;
}

/// <summary>control_msgs/action/FollowJointTrajectory goal (control_msgs 4.x).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FollowJointTrajectoryGoalMsg
{
    public JointTrajectoryMsg Trajectory;
    public MultiDofJointTrajectoryMsg MultiDofTrajectory;
    public DdsSequence PathTolerance;
    public DdsSequence ComponentPathTolerance;
    public DdsSequence GoalTolerance;
    public DdsSequence ComponentGoalTolerance;
    public RosTime GoalTimeTolerance;
}

/// <summary>control_msgs/action/FollowJointTrajectory result.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct FollowJointTrajectoryResultMsg
{
    public int ErrorCode;
    public byte* ErrorString;
}

/// <summary>control_msgs/action/FollowJointTrajectory feedback (control_msgs 4.x: no index fields).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FollowJointTrajectoryFeedbackMsg
{
    public RosHeader Header;
    public DdsSequence JointNames;
    public JointTrajectoryPointMsg Desired;
    public JointTrajectoryPointMsg Actual;
    public JointTrajectoryPointMsg Error;
    public DdsSequence MultiDofJointNames;
    public MultiDofTrajectoryPointMsg MultiDofDesired;
    public MultiDofTrajectoryPointMsg MultiDofActual;
    public MultiDofTrajectoryPointMsg MultiDofError;
}

/// <summary>FollowJointTrajectory_SendGoal request, behind rmw_cyclonedds' request header.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct SendGoalRequestMsg
{
    public ulong ClientGuid;
    public long Sequence;
    public GoalUuid GoalId;
    public FollowJointTrajectoryGoalMsg Goal;
}

/// <summary>FollowJointTrajectory_SendGoal response, behind rmw_cyclonedds' request header.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct SendGoalResponseMsg
{
    public ulong ClientGuid;
    public long Sequence;
    public byte Accepted;
    public RosTime Stamp;
}

/// <summary>FollowJointTrajectory_GetResult request, behind rmw_cyclonedds' request header.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct GetResultRequestMsg
{
    public ulong ClientGuid;
    public long Sequence;
    public GoalUuid GoalId;
}

/// <summary>FollowJointTrajectory_GetResult response, behind rmw_cyclonedds' request header.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct GetResultResponseMsg
{
    public ulong ClientGuid;
    public long Sequence;
    public sbyte Status;
    public FollowJointTrajectoryResultMsg Result;
}

/// <summary>FollowJointTrajectory_FeedbackMessage (the action's <c>_action/feedback</c> topic).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct FeedbackMessageMsg
{
    public GoalUuid GoalId;
    public FollowJointTrajectoryFeedbackMsg Feedback;
}

/// <summary>rmw_dds_common/Gid (Iron and later: 16 bytes, the DDS GUID of the entity).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct GidMsg
{
    public const int Size = 16;
    public fixed byte Data[Size];
}

/// <summary>rmw_dds_common/NodeEntitiesInfo: bounded strings are inline char[257] in idlc's C.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct NodeEntitiesInfoMsg
{
    public const int MaxName = 256;
    public fixed byte NodeNamespace[MaxName + 1];
    public fixed byte NodeName[MaxName + 1];
    public DdsSequence ReaderGids;
    public DdsSequence WriterGids;
}

/// <summary>rmw_dds_common/Gid in Humble: 24 bytes, the 16-byte DDS GUID then zeros.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct GidHumbleMsg
{
    public const int Size = 24;
    public fixed byte Data[Size];
}

/// <summary>rmw_dds_common/ParticipantEntitiesInfo in Humble (its NodeEntitiesInfo has the same C layout, sequences of 24-byte Gids).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct ParticipantEntitiesInfoHumbleMsg
{
    public GidHumbleMsg Gid;
    public DdsSequence Nodes;
}

/// <summary>rmw_dds_common/ParticipantEntitiesInfo (ros_discovery_info).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct ParticipantEntitiesInfoMsg
{
    public GidMsg Gid;
    public DdsSequence Nodes;
}

// ---------------------------------------------------------------- vision_msgs (4.x: Humble and Jazzy)

/// <summary>geometry_msgs/Pose: position (Point) then orientation (Quaternion x, y, z, w).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct PoseMsg
{
    public double Px, Py, Pz;
    public double Qx, Qy, Qz, Qw;
}

/// <summary>vision_msgs/ObjectHypothesisWithPose: hypothesis {class_id, score}, then geometry_msgs/PoseWithCovariance.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct ObjectHypothesisWithPoseMsg
{
    public byte* ClassId;
    public double Score;
    public PoseMsg Pose;
    /// <summary>Row-major 6x6 covariance of x, y, z and the rotations about X, Y, Z.</summary>
    public fixed double Covariance[36];
}

/// <summary>vision_msgs/BoundingBox3D: center pose and full size (metres).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct BoundingBox3DMsg
{
    public PoseMsg Center;
    public double Sx, Sy, Sz;
}

/// <summary>vision_msgs/Detection3D (4.x: <c>id</c> where older releases had source_cloud/is_tracking/tracking_id).</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct Detection3DMsg
{
    public RosHeader Header;
    /// <summary><see cref="ObjectHypothesisWithPoseMsg"/>s.</summary>
    public DdsSequence Results;
    public BoundingBox3DMsg Bbox;
    public byte* Id;
}

/// <summary>vision_msgs/Detection3DArray.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct Detection3DArrayMsg
{
    public RosHeader Header;
    /// <summary><see cref="Detection3DMsg"/>s.</summary>
    public DdsSequence Detections;
}

/// <summary>ros_gz_interfaces/msg/WorldControl (Gazebo's world control: pause, step, reset, ...).</summary>
[StructLayout(LayoutKind.Sequential)]
public struct WorldControlMsg
{
    public byte Pause;
    public byte Step;
    public uint MultiStep;
    // ros_gz_interfaces/msg/WorldReset
    public byte ResetAll;
    public byte ResetTimeOnly;
    public byte ResetModelOnly;
    public uint Seed;
    public RosTime RunToSimTime;
}

/// <summary>ros_gz_interfaces/srv/ControlWorld request, behind rmw_cyclonedds' request header.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct ControlWorldRequestMsg
{
    public ulong ClientGuid;
    public long Sequence;
    public WorldControlMsg WorldControl;
}

/// <summary>ros_gz_interfaces/srv/ControlWorld response, behind rmw_cyclonedds' request header.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct ControlWorldResponseMsg
{
    public ulong ClientGuid;
    public long Sequence;
    public byte Success;
}
