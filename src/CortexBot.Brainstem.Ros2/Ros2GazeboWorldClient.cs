using CortexBot.Core;

namespace CortexBot.Brainstem.Ros2;

/// <summary>
/// The client of Gazebo's world control service as ros_gz_bridge bridges it: <c>/world/&lt;world&gt;/control</c>,
/// ros_gz_interfaces/srv/ControlWorld (DDS topics <c>rq/world/&lt;world&gt;/controlRequest</c> and
/// <c>rr/.../controlReply</c>, rmw_cyclonedds' request header first in both). A world reset is one request with
/// <c>world_control.reset.all = true</c> (nothing else set: no pause, no step), answered with <c>success</c>.
/// The endpoints pair as an rclcpp client's do (<c>clientid=...;</c>), so a ROS 2 service server answers them; like the
/// action's services they announce no type hash (rmw_cyclonedds matches services by name and type).
/// <para>Threads: <see cref="ResetWorld"/> runs on the control thread and waits for the answer (the world is being
/// reset: nothing moves meanwhile); the rest on any thread.</para>
/// </summary>
internal sealed unsafe class Ros2GazeboWorldClient : IDisposable
{
    private readonly Ros2Options _o;
    private readonly Ros2JointStateReceiver _states;
    private readonly int _requestWriter, _replyReader;
    private readonly NativeStrings _mem = new();
    private readonly ControlWorldRequestMsg* _request;
    private readonly ulong _clientGuid;
    private long _seq, _resets;

    public Ros2GazeboWorldClient(DdsParticipant dds, Ros2Options options, Ros2JointStateReceiver states)
    {
        _o = options;
        _states = states;
        Service = options.GazeboControlService;
        var q = RosActionTopics.ServiceQos;
        string pairing = RosActionTopics.PairingUserData(server: false);
        _requestWriter = dds.DdsWriter(RosType.ControlWorldRequest, RequestTopic(Service), q, pairing);
        _replyReader = dds.DdsReader(RosType.ControlWorldResponse, ReplyTopic(Service), q, pairing);
        // every client of the service reads every reply: ours carry this guid
        _clientGuid = (ulong)Random.Shared.NextInt64() | 1;
        _request = _mem.Alloc<ControlWorldRequestMsg>(1);
        _request->ClientGuid = _clientGuid;
        _request->WorldControl.ResetAll = 1;
    }

    /// <summary>The ROS 2 service name (<c>/world/&lt;world&gt;/control</c>).</summary>
    public string Service { get; }

    /// <summary>The DDS topics of a ROS 2 service as rmw_cyclonedds names them.</summary>
    public static string RequestTopic(string service) => "rq" + DdsParticipant.DdsTopicName(service)[2..] + "Request";
    public static string ReplyTopic(string service) => "rr" + DdsParticipant.DdsTopicName(service)[2..] + "Reply";

    /// <summary>Resets confirmed by the service.</summary>
    public long Resets => Interlocked.Read(ref _resets);

    /// <summary>Whether a server of the service is on the graph now: its request reader and reply writer both matched.</summary>
    public bool ServerMatched => DdsParticipant.Matched(_requestWriter, true) > 0 && DdsParticipant.Matched(_replyReader, false) > 0;

    /// <summary>
    /// Control thread: asks Gazebo to reset the whole world (reset.all) and waits, at most <see cref="Ros2Options.ResetTimeout"/>,
    /// for its success and then for a joint state received after it. Throws, naming the service, when no server answers,
    /// it answers failure, or no joint state follows. Returns the monotonic time the success arrived: what was perceived
    /// before it shows the old world.
    /// </summary>
    public long ResetWorld()
    {
        long deadline = MonotonicClock.NowNs + (long)_o.ResetTimeout.TotalNanoseconds;
        string timeout = $"{_o.ResetTimeout.TotalSeconds:0.#} s";
        // a request written before the server matched our reply reader would be answered into the void
        while (!ServerMatched)
        {
            if (MonotonicClock.NowNs > deadline)
                throw new InvalidOperationException($"no Gazebo world control service {Service} (ros_gz_interfaces/srv/ControlWorld) on ROS domain {_o.DomainId} within {timeout}: " +
                    "is ros_gz_bridge bridging it, with RMW_IMPLEMENTATION=rmw_cyclonedds_cpp, and is the world named as --gazebo-world says?");
            Thread.Sleep(2);
        }
        // drop replies to requests of earlier resets that timed out
        while (Native.Take(_replyReader, out void* old, out _) is int r0 && r0 != 0)
        {
            if (r0 < 0) break;
            if (r0 == 1) Native.ReturnLoan(_replyReader, old);
        }
        long seq = ++_seq;
        _request->Sequence = seq;
        int rc = Native.Write(_requestWriter, _request);
        if (rc < 0) throw new InvalidOperationException($"could not send the world reset request to {Service}: {Native.Describe(rc)}");
        bool? success = null;
        long answeredNs = 0;
        while (success is null)
        {
            if (MonotonicClock.NowNs > deadline)
                throw new InvalidOperationException($"Gazebo's world control service {Service} did not answer the world reset within {timeout}");
            int r = Native.Take(_replyReader, out void* p, out _);
            if (r < 0) throw new InvalidOperationException($"reading {Service}'s reply failed: {Native.Describe(r)}");
            if (r == 0) { Thread.Sleep(1); continue; }
            if (r != 1) continue;
            var m = (ControlWorldResponseMsg*)p;
            if (m->ClientGuid == _clientGuid && m->Sequence == seq)
            {
                success = m->Success != 0;
                answeredNs = MonotonicClock.NowNs;
            }
            Native.ReturnLoan(_replyReader, p);
        }
        if (success == false) throw new InvalidOperationException($"Gazebo's world control service {Service} refused the world reset (success = false)");
        Interlocked.Increment(ref _resets);
        // a joint state received after the answer reflects the reset arm
        while (_states.LatestReceivedNs <= answeredNs || !_states.Fresh())
        {
            if (MonotonicClock.NowNs > deadline) throw new InvalidOperationException($"no joint state on {_o.JointStatesTopic} after Gazebo reset the world");
            Thread.Sleep(1);
        }
        _states.MarkFresh();
        return answeredNs;
    }

    /// <summary>Frees the request; only after the participant (and so the writer) is gone.</summary>
    public void Dispose() => _mem.Dispose();
}
