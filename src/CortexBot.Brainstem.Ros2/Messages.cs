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
