using CortexBot.Brainstem.Ros2;

namespace CortexBot.Sim.Ros2;

/// <summary>
/// Gazebo's world control service as ros_gz_bridge bridges it (<c>sim serve --gazebo-control NAME</c>):
/// <c>/world/NAME/control</c>, ros_gz_interfaces/srv/ControlWorld, served on the tick thread the way Gazebo answers it
/// for a reset. A request with <c>reset.all</c> (or <c>reset.model_only</c>) puts the world back to its initial state
/// (Gazebo reloads the world; the double re-scatters the objects from the node's own seed, so every reset gives the same
/// world), the arm at home held there, commands queued before dropped, a goal in force aborted; then it answers
/// <c>success = true</c>. The double implements nothing else (pause, step, time-only resets, seeds, run-to times): such a
/// request is answered <c>success = false</c> and counted.
/// </summary>
public sealed unsafe partial class Ros2SimNode
{
    private int _gzRequestReader, _gzReplyWriter;
    private ControlWorldResponseMsg* _gzReply;
    private long _gzResets, _gzRefused;

    /// <summary>The world control service served (null: none).</summary>
    public string? GazeboControlService { get; private set; }

    /// <summary>World resets served through the Gazebo control service, and its requests refused (not a reset).</summary>
    public (long Resets, long Refused) GazeboControlCounters => (Interlocked.Read(ref _gzResets), Interlocked.Read(ref _gzRefused));

    private void CreateGazeboControl(string world)
    {
        var o = _o with { GazeboWorld = world };
        o.Validate();
        GazeboControlService = o.GazeboControlService;
        // a ROS 2 server pairs its request reader and reply writer (serviceid=...;) as rmw_cyclonedds does
        string pairing = RosActionTopics.PairingUserData(server: true);
        _gzRequestReader = _dds.DdsReader(RosType.ControlWorldRequest, Ros2GazeboWorldClient.RequestTopic(GazeboControlService), RosActionTopics.ServiceQos, pairing);
        _gzReplyWriter = _dds.DdsWriter(RosType.ControlWorldResponse, Ros2GazeboWorldClient.ReplyTopic(GazeboControlService), RosActionTopics.ServiceQos, pairing);
    }

    /// <summary>Tick thread: serves the world control requests that arrived. Returns whether the world was reset.</summary>
    private bool DrainGazeboControl()
    {
        if (_gzRequestReader == 0) return false;
        bool any = false;
        while (true)
        {
            int r = Native.Take(_gzRequestReader, out void* p, out _);
            if (r <= 0) return any;
            if (r != 1) continue;
            var req = (ControlWorldRequestMsg*)p;
            ulong guid = req->ClientGuid;
            long seq = req->Sequence;
            bool reset = req->WorldControl.ResetAll != 0 || req->WorldControl.ResetModelOnly != 0;
            Native.ReturnLoan(_gzRequestReader, p);
            if (reset)
            {
                _world.ResetScene(_seed);
                _world.Read(_state);
                HoldCurrent();
                // commands queued before the reset target the old world: drop them
                DiscardCommands();
                EndActiveGoal(GoalStatusCode.Aborted, FollowJointTrajectoryError.InvalidGoal, _msgReset);
                Interlocked.Increment(ref _resets);
                Interlocked.Increment(ref _gzResets);
                any = true;
            }
            else Interlocked.Increment(ref _gzRefused);
            _gzReply->ClientGuid = guid;
            _gzReply->Sequence = seq;
            _gzReply->Success = (byte)(reset ? 1 : 0);
            Native.Write(_gzReplyWriter, _gzReply);
        }
    }
}
