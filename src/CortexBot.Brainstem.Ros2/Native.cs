using System.Runtime.InteropServices;

namespace CortexBot.Brainstem.Ros2;

/// <summary>The message types the shim knows (ids of <c>enum cbd_type</c> in native/cortexbot_dds.c).</summary>
public enum RosType
{
    JointState = 0,
    JointTrajectory = 1,
    Float64MultiArray = 2,
    Bool = 3,
    SceneStatus = 4,
    ResetRequest = 5,
    LinkStatus = 6,
    Image = 7,
    ControllerState = 8,
    GoalStatusArray = 9,
    CancelGoalRequest = 10,
    CancelGoalResponse = 11,
    SendGoalRequest = 12,
    SendGoalResponse = 13,
    GetResultRequest = 14,
    GetResultResponse = 15,
    FeedbackMessage = 16,
    ParticipantEntitiesInfo = 17,
    /// <summary>control_msgs/JointTrajectoryControllerState in control_msgs 5.x (Jazzy); <see cref="ControllerState"/> is 4.x (Humble).</summary>
    ControllerStateJazzy = 18,
    /// <summary>rmw_dds_common/ParticipantEntitiesInfo with Humble's 24-byte Gid; <see cref="ParticipantEntitiesInfo"/> is Iron and later.</summary>
    ParticipantEntitiesInfoHumble = 19,
    /// <summary>diagnostic_msgs/DiagnosticArray (<c>/diagnostics</c>).</summary>
    DiagnosticArray = 20,
    /// <summary>std_msgs/String (<c>robot_description</c>).</summary>
    String = 21,
    /// <summary>tf2_msgs/TFMessage (<c>/tf</c>).</summary>
    TfMessage = 22,
    /// <summary>vision_msgs/Detection3DArray (a perception node's <c>/detections</c>).</summary>
    Detection3DArray = 23,
    /// <summary>ros_gz_interfaces/srv/ControlWorld request and response (Gazebo's world control, bridged), behind rmw_cyclonedds' request header.</summary>
    ControlWorldRequest = 24,
    ControlWorldResponse = 25,
}

/// <summary>P/Invoke into libcortexbot_dds.so (idlc-generated ROS 2 types + a flat API over libddsc.so.0debian).</summary>
internal static unsafe partial class Native
{
    public const string Library = "cortexbot_dds";
    public const int AbiVersion = 11;
    public const int SizeofTrajectoryPoint = 100;
    public const int SizeofSampleInfo = 101;
    public const int SizeofMultiDofPoint = 102;
    public const int SizeofGoalStatus = 103;
    public const int SizeofGoalInfo = 104;
    public const int SizeofJointTolerance = 105;
    public const int SizeofJointComponentTolerance = 106;
    public const int SizeofFollowJointTrajectoryGoal = 107;
    public const int SizeofMultiDofTrajectory = 108;
    public const int SizeofFollowJointTrajectoryFeedback = 109;
    public const int SizeofGid = 110;
    public const int SizeofNodeEntitiesInfo = 111;
    public const int SizeofGidHumble = 112;
    public const int SizeofNodeEntitiesInfoHumble = 113;
    public const int SizeofDiagnosticStatus = 114;
    public const int SizeofKeyValue = 115;
    public const int SizeofTransformStamped = 116;
    public const int SizeofDetection3D = 117;
    public const int SizeofObjectHypothesisWithPose = 118;
    public const int SizeofWorldControl = 119;
    public const long Infinity = long.MaxValue;

    [LibraryImport(Library, EntryPoint = "cbd_abi_version")] public static partial int AbiVersionOf();
    [LibraryImport(Library, EntryPoint = "cbd_sizeof")] public static partial long SizeOf(int type);
    [LibraryImport(Library, EntryPoint = "cbd_type_name")] public static partial byte* TypeName(int type);
    [LibraryImport(Library, EntryPoint = "cbd_strretcode")] public static partial byte* StrRetcode(int rc);
    [LibraryImport(Library, EntryPoint = "cbd_participant", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Participant(uint domainId, string? config, string? userData, out int domain);
    [LibraryImport(Library, EntryPoint = "cbd_topic", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Topic(int participant, int type, string name);
    [LibraryImport(Library, EntryPoint = "cbd_writer", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Writer(int participant, int topic, int reliable, int depth, int transientLocal, string? userData);
    [LibraryImport(Library, EntryPoint = "cbd_reader", StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Reader(int participant, int topic, int reliable, int depth, int transientLocal, string? userData);
    [LibraryImport(Library, EntryPoint = "cbd_write")] public static partial int Write(int writer, void* sample);
    [LibraryImport(Library, EntryPoint = "cbd_take")] public static partial int Take(int reader, out void* sample, out long sourceTimestamp);
    [LibraryImport(Library, EntryPoint = "cbd_return_loan")] public static partial int ReturnLoan(int reader, void* sample);
    [LibraryImport(Library, EntryPoint = "cbd_set_data_listener")] public static partial int SetDataListener(int reader, delegate* unmanaged[Cdecl]<int, void*, void> fn, void* arg);
    [LibraryImport(Library, EntryPoint = "cbd_take_cdr")] public static partial long TakeCdr(int reader, byte* buffer, long capacity);
    [LibraryImport(Library, EntryPoint = "cbd_waitset")] public static partial int Waitset(int participant, int reader);
    [LibraryImport(Library, EntryPoint = "cbd_waitset_attach_reader")] public static partial int WaitsetAttach(int waitset, int reader);
    [LibraryImport(Library, EntryPoint = "cbd_wait")] public static partial int Wait(int waitset, long timeoutNs);
    [LibraryImport(Library, EntryPoint = "cbd_wake")] public static partial int Wake(int waitset);
    [LibraryImport(Library, EntryPoint = "cbd_echo")] public static partial long Echo(int waitset, int reader, int writer, int* stop);
    [LibraryImport(Library, EntryPoint = "cbd_matched")] public static partial int Matched(int entity, int isWriter);
    [LibraryImport(Library, EntryPoint = "cbd_guid")] public static partial int Guid(int entity, byte* guid16);
    [LibraryImport(Library, EntryPoint = "cbd_participant_reader")] public static partial int ParticipantReader(int participant);
    [LibraryImport(Library, EntryPoint = "cbd_take_participants")] public static partial int TakeParticipants(int reader, byte* guids16, int capacity);
    [LibraryImport(Library, EntryPoint = "cbd_delete")] public static partial int Delete(int entity);

    public static string Describe(int rc) => Marshal.PtrToStringUTF8((nint)StrRetcode(rc)) ?? $"DDS error {rc}";

    /// <summary>Compares a native NUL-terminated string with UTF-8 bytes without allocating.</summary>
    public static bool Equals(byte* s, ReadOnlySpan<byte> utf8)
    {
        if (s == null) return false;
        for (int i = 0; i < utf8.Length; i++)
            if (s[i] != utf8[i]) return false;
        return s[utf8.Length] == 0;
    }

    public static string? ToManaged(byte* s) => s == null ? null : Marshal.PtrToStringUTF8((nint)s);
}
