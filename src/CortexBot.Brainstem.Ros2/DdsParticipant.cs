using System.Runtime.InteropServices;
using CortexBot.Core;

namespace CortexBot.Brainstem.Ros2;

/// <summary>ROS 2 QoS profiles as rmw_cyclonedds maps them.</summary>
public readonly record struct RosQos(bool Reliable, int Depth, bool TransientLocal = false)
{
    /// <summary>rclcpp's default: RELIABLE, VOLATILE, KEEP_LAST 10.</summary>
    public static RosQos Default => new(true, 10);
    /// <summary>SensorDataQoS: BEST_EFFORT, VOLATILE, KEEP_LAST 5.</summary>
    public static RosQos SensorData => new(false, 5);
    /// <summary>SystemDefaultsQoS (ros2_controllers' command subscriptions) in rmw_cyclonedds: RELIABLE, VOLATILE, KEEP_LAST 1.</summary>
    public static RosQos SystemDefault => new(true, 1);
}

/// <summary>
/// A DDS domain participant speaking ROS 2's conventions: topic <c>/a/b</c> is DDS topic <c>rt/a/b</c>, types are
/// <c>pkg::msg::dds_::Type_</c>, the participant's USER_DATA carries <c>enclave=/;</c>, and with a node name it announces
/// itself and its endpoints on <c>ros_discovery_info</c> as rmw_cyclonedds does.
/// </summary>
public sealed class DdsParticipant : IDisposable
{
    private int _participant;
    private int _domain;
    private readonly Dictionary<string, int> _topics = new();
    private readonly Lock _gate = new();

    private readonly Ros2GraphEntry? _graph;

    /// <param name="domainId">ROS_DOMAIN_ID (0..232).</param>
    /// <param name="config">Cyclone configuration XML (as in CYCLONEDDS_URI), or null for Cyclone's own (CYCLONEDDS_URI or defaults).</param>
    /// <param name="nodeName">The ROS 2 node this participant is (listed by `ros2 node list` through ros_discovery_info, with
    /// every reader and writer created here); null: no node, the topics still match.</param>
    /// <param name="nodeNamespace">The node's absolute namespace.</param>
    /// <param name="distro">Whose layouts differing types take: the graph's Gid, and endpoint type hashes (Iron on only).</param>
    public DdsParticipant(int domainId, string? config, string? nodeName = null, string nodeNamespace = "/", RosDistro distro = RosDistro.Jazzy)
    {
        if (distro == RosDistro.Unsupported) throw new ConfigurationException("no ROS 2 distribution given for the wire layouts (humble or jazzy)");
        Distro = distro;
        if (domainId < 0 || domainId > 232) throw new ConfigurationException($"ROS domain id must be in 0..232, got {domainId}");
        if (nodeName is not null)
        {
            RosNames.ValidateNodeName(nodeName, "ROS 2 node name");
            RosNames.ValidateNamespace(nodeNamespace);
        }
        CheckLayouts();
        DomainId = domainId;
        int pp = Native.Participant((uint)domainId, config, "enclave=/;", out int domain);
        if (pp < 0) throw new ConfigurationException($"Cyclone DDS could not create a participant on domain {domainId}: {Native.Describe(pp)}");
        _participant = pp;
        _domain = domain;
        if (nodeName is not null)
        {
            try
            {
                // rmw_cyclonedds' QoS for it: reliable, transient local, keep last 1 (one unkeyed instance: the newest wins)
                var infoType = distro == RosDistro.Humble ? RosType.ParticipantEntitiesInfoHumble : RosType.ParticipantEntitiesInfo;
                int w = Native.Writer(pp, TopicByDdsName(infoType, Ros2GraphEntry.Topic), 1, 1, 1, null);
                if (w < 0) throw new InvalidOperationException($"Cyclone DDS could not create the {Ros2GraphEntry.Topic} writer: {Native.Describe(w)}");
                _graph = new Ros2GraphEntry(pp, w, nodeName, nodeNamespace, humbleGids: distro == RosDistro.Humble);
                _graph.Publish();
            }
            catch
            {
                Dispose();
                throw;
            }
            NodeName = nodeName;
            NodeNamespace = nodeNamespace;
        }
    }

    public int DomainId { get; }
    public RosDistro Distro { get; }
    /// <summary>The ROS 2 node name announced on ros_discovery_info, or null when none is.</summary>
    public string? NodeName { get; }
    public string? NodeNamespace { get; }
    internal int Handle => _participant;

    /// <summary>
    /// A Cyclone configuration restricted to the loopback interface: no multicast, unicast discovery of 127.0.0.1,
    /// automatic participant indices (several processes on one host).
    /// </summary>
    public static string LoopbackConfig(int maxParticipants = 20) =>
        "<CycloneDDS><Domain id=\"any\"><General><Interfaces><NetworkInterface name=\"lo\"/></Interfaces>" +
        "<AllowMulticast>false</AllowMulticast></General><Discovery><ParticipantIndex>auto</ParticipantIndex>" +
        $"<MaxAutoParticipantIndex>{maxParticipants}</MaxAutoParticipantIndex><Peers><Peer address=\"127.0.0.1\"/></Peers>" +
        "</Discovery></Domain></CycloneDDS>";

    /// <summary>ROS 2 topic name (<c>/joint_states</c>, <c>joint_states</c>) to its DDS name (<c>rt/joint_states</c>).</summary>
    public static string DdsTopicName(string rosTopic)
    {
        var t = rosTopic.Trim();
        if (t.Length == 0 || t == "/" || t.Contains("//") || t.EndsWith('/') || t.Contains(' ') || t.Contains('~'))
            throw new ConfigurationException($"'{rosTopic}' is not a valid absolute ROS 2 topic name");
        foreach (char c in t)
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_' || c == '/'))
                throw new ConfigurationException($"'{rosTopic}' is not a valid ROS 2 topic name (letters, digits, '_' and '/')");
        return "rt" + (t[0] == '/' ? t : "/" + t);
    }

    /// <summary>The DDS type name of a message type, e.g. <c>sensor_msgs::msg::dds_::JointState_</c>.</summary>
    public static unsafe string TypeName(RosType type) => Native.ToManaged(Native.TypeName((int)type)) ?? throw new ArgumentOutOfRangeException(nameof(type));

    // endpoints carry their type's hash in USER_DATA, as rmw_cyclonedds does from Iron on (introspection only)
    public int Writer(RosType type, string rosTopic, RosQos qos) => DdsWriter(type, DdsTopicName(rosTopic), qos, TypeHashUserData(type));

    public int Reader(RosType type, string rosTopic, RosQos qos) => DdsReader(type, DdsTopicName(rosTopic), qos, TypeHashUserData(type));

    /// <summary>rmw_cyclonedds announces type hashes from Iron on; Humble's has none.</summary>
    private string? TypeHashUserData(RosType type) => Distro == RosDistro.Humble ? null : RosTypeHash.UserData(type);

    /// <summary>A writer on a DDS topic name as given (<c>rq/.../send_goalRequest</c>), with endpoint USER_DATA (rmw_cyclonedds'
    /// <c>clientid=...;</c> / <c>serviceid=...;</c> pairing of a service's request and reply endpoints).</summary>
    public int DdsWriter(RosType type, string ddsTopic, RosQos qos, string? userData)
    {
        int w = Native.Writer(_participant, TopicByDdsName(type, ddsTopic), qos.Reliable ? 1 : 0, qos.Depth, qos.TransientLocal ? 1 : 0, userData);
        if (w < 0) throw new InvalidOperationException($"Cyclone DDS could not create a writer on {ddsTopic}: {Native.Describe(w)}");
        _graph?.AddWriter(w);
        return w;
    }

    public int DdsReader(RosType type, string ddsTopic, RosQos qos, string? userData)
    {
        int r = Native.Reader(_participant, TopicByDdsName(type, ddsTopic), qos.Reliable ? 1 : 0, qos.Depth, qos.TransientLocal ? 1 : 0, userData);
        if (r < 0) throw new InvalidOperationException($"Cyclone DDS could not create a reader on {ddsTopic}: {Native.Describe(r)}");
        _graph?.AddReader(r);
        return r;
    }

    /// <summary>A waitset that triggers when any of <paramref name="readers"/> has data (or <see cref="Wake"/> is called).</summary>
    public int Waitset(params int[] readers)
    {
        int ws = Native.Waitset(_participant, readers[0]);
        if (ws < 0) throw new InvalidOperationException($"Cyclone DDS could not create a waitset: {Native.Describe(ws)}");
        for (int i = 1; i < readers.Length; i++)
        {
            int rc = Native.WaitsetAttach(ws, readers[i]);
            if (rc < 0) throw new InvalidOperationException($"Cyclone DDS could not attach a reader to a waitset: {Native.Describe(rc)}");
        }
        return ws;
    }

    public static int Matched(int entity, bool isWriter) => Native.Matched(entity, isWriter ? 1 : 0);

    private int TopicByDdsName(RosType type, string name)
    {
        lock (_gate)
        {
            if (_topics.TryGetValue(name, out int t)) return t;
            t = Native.Topic(_participant, (int)type, name);
            if (t < 0) throw new InvalidOperationException($"Cyclone DDS could not create topic {name} ({TypeName(type)}): {Native.Describe(t)}");
            _topics[name] = t;
            return t;
        }
    }

    /// <summary>Checks that the C# mirrors of the generated structs have the C sizes; throws a clear error otherwise.</summary>
    public static unsafe void CheckLayouts()
    {
        int abi;
        try { abi = Native.AbiVersionOf(); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            throw new ConfigurationException(
                $"The Cyclone DDS shim (lib{Native.Library}.so) could not be loaded: {e.Message} " +
                "Build CortexBot.Brainstem.Ros2 with Cyclone DDS installed: sudo apt-get install cyclonedds-dev cyclonedds-tools libddsc0debian gcc");
        }
        if (abi != Native.AbiVersion) throw new ConfigurationException($"lib{Native.Library}.so has ABI {abi}, expected {Native.AbiVersion}: rebuild");
        Check(RosType.JointState, sizeof(JointStateMsg));
        Check(RosType.JointTrajectory, sizeof(JointTrajectoryMsg));
        Check(RosType.Float64MultiArray, sizeof(Float64MultiArrayMsg));
        Check(RosType.Bool, sizeof(BoolMsg));
        Check(RosType.SceneStatus, sizeof(SceneStatusMsg));
        Check(RosType.ResetRequest, sizeof(ResetRequestMsg));
        Check(RosType.LinkStatus, sizeof(LinkStatusMsg));
        Check(RosType.Image, sizeof(ImageMsg));
        Check(RosType.ControllerState, sizeof(ControllerStateMsg));
        Check(RosType.ControllerStateJazzy, sizeof(ControllerStateJazzyMsg));
        Check(RosType.ParticipantEntitiesInfoHumble, sizeof(ParticipantEntitiesInfoHumbleMsg));
        Check((RosType)Native.SizeofGidHumble, sizeof(GidHumbleMsg));
        Check((RosType)Native.SizeofNodeEntitiesInfoHumble, sizeof(NodeEntitiesInfoMsg));
        Check((RosType)Native.SizeofMultiDofPoint, sizeof(MultiDofTrajectoryPointMsg));
        Check((RosType)Native.SizeofTrajectoryPoint, sizeof(JointTrajectoryPointMsg));
        Check(RosType.GoalStatusArray, sizeof(GoalStatusArrayMsg));
        Check(RosType.CancelGoalRequest, sizeof(CancelGoalRequestMsg));
        Check(RosType.CancelGoalResponse, sizeof(CancelGoalResponseMsg));
        Check(RosType.SendGoalRequest, sizeof(SendGoalRequestMsg));
        Check(RosType.SendGoalResponse, sizeof(SendGoalResponseMsg));
        Check(RosType.GetResultRequest, sizeof(GetResultRequestMsg));
        Check(RosType.GetResultResponse, sizeof(GetResultResponseMsg));
        Check(RosType.FeedbackMessage, sizeof(FeedbackMessageMsg));
        Check((RosType)Native.SizeofGoalStatus, sizeof(GoalStatusMsg));
        Check((RosType)Native.SizeofGoalInfo, sizeof(GoalInfoMsg));
        Check((RosType)Native.SizeofJointTolerance, sizeof(JointToleranceMsg));
        Check((RosType)Native.SizeofJointComponentTolerance, sizeof(JointComponentToleranceMsg));
        Check((RosType)Native.SizeofFollowJointTrajectoryGoal, sizeof(FollowJointTrajectoryGoalMsg));
        Check((RosType)Native.SizeofMultiDofTrajectory, sizeof(MultiDofJointTrajectoryMsg));
        Check((RosType)Native.SizeofFollowJointTrajectoryFeedback, sizeof(FollowJointTrajectoryFeedbackMsg));
        Check(RosType.ParticipantEntitiesInfo, sizeof(ParticipantEntitiesInfoMsg));
        Check((RosType)Native.SizeofGid, sizeof(GidMsg));
        Check((RosType)Native.SizeofNodeEntitiesInfo, sizeof(NodeEntitiesInfoMsg));
        Check(RosType.DiagnosticArray, sizeof(DiagnosticArrayMsg));
        Check((RosType)Native.SizeofDiagnosticStatus, sizeof(DiagnosticStatusMsg));
        Check((RosType)Native.SizeofKeyValue, sizeof(KeyValueMsg));
        Check(RosType.String, sizeof(StringMsg));
        Check(RosType.TfMessage, sizeof(TfMessageMsg));
        Check((RosType)Native.SizeofTransformStamped, sizeof(TransformStampedMsg));
        Check(RosType.Detection3DArray, sizeof(Detection3DArrayMsg));
        Check((RosType)Native.SizeofDetection3D, sizeof(Detection3DMsg));
        Check((RosType)Native.SizeofObjectHypothesisWithPose, sizeof(ObjectHypothesisWithPoseMsg));
        Check(RosType.ControlWorldRequest, sizeof(ControlWorldRequestMsg));
        Check(RosType.ControlWorldResponse, sizeof(ControlWorldResponseMsg));
        Check((RosType)Native.SizeofWorldControl, sizeof(WorldControlMsg));

        static void Check(RosType type, int managed)
        {
            long native = Native.SizeOf((int)type);
            if (native != managed) throw new InvalidOperationException($"layout mismatch for {type}: C {native} bytes, C# {managed} bytes");
        }
    }

    public void Dispose()
    {
        int pp = Interlocked.Exchange(ref _participant, 0);
        if (pp > 0) Native.Delete(pp);
        int d = Interlocked.Exchange(ref _domain, 0);
        if (d > 0) Native.Delete(d);
    }
}

/// <summary>UTF-8 strings in unmanaged memory, allocated once and freed on dispose (message fields point into them).</summary>
internal sealed unsafe class NativeStrings : IDisposable
{
    private readonly List<nint> _owned = new();

    public byte* Add(string s)
    {
        var p = Marshal.StringToCoTaskMemUTF8(s);
        _owned.Add(p);
        return (byte*)p;
    }

    /// <summary>An array of char* to <paramref name="values"/> (a ROS string sequence's buffer).</summary>
    public byte** AddArray(IReadOnlyList<string> values)
    {
        var arr = (byte**)Marshal.AllocCoTaskMem(Math.Max(1, values.Count) * sizeof(nint));
        _owned.Add((nint)arr);
        for (int i = 0; i < values.Count; i++) arr[i] = Add(values[i]);
        return arr;
    }

    public T* Alloc<T>(int count) where T : unmanaged
    {
        var p = (T*)NativeMemory.AllocZeroed((nuint)Math.Max(1, count), (nuint)sizeof(T));
        _native.Add((nint)p);
        return p;
    }

    private readonly List<nint> _native = new();

    public void Dispose()
    {
        foreach (var p in _owned) Marshal.FreeCoTaskMem(p);
        _owned.Clear();
        foreach (var p in _native) NativeMemory.Free((void*)p);
        _native.Clear();
    }
}
