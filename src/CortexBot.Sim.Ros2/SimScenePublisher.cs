using CortexBot.Brainstem.Ros2;
using CortexBot.Sim.MuJoCo;

namespace CortexBot.Sim.Ros2;

/// <summary>
/// What only a simulator can publish about its world (not with <c>--as-robot</c>): cortexbot_msgs/SceneStatus on
/// <see cref="Ros2Options.SceneTopic"/> (every object's name, kind, colour, pose and half size, with the id of the last
/// reset served) and tf2_msgs/TFMessage on <see cref="Ros2SimNode.TfTopic"/> (each object's pose in <c>world</c>, child
/// frame: its name). The node's tick calls <see cref="Publish"/> at 50 Hz and right after a reset; it allocates, as it
/// did inside the node (the simulator's tick, never CortexBot's control loop).
/// </summary>
internal sealed unsafe class SimScenePublisher(MuJoCoWorld world, DdsParticipant dds, Ros2Options options)
{
    private readonly int _sceneWriter = dds.Writer(RosType.SceneStatus, options.SceneTopic, RosQos.Default);
    // tf2's TransformBroadcaster: reliable, volatile, keep last 100
    private readonly int _tfWriter = dds.Writer(RosType.TfMessage, Ros2SimNode.TfTopic, RosQos.Default with { Depth = 100 });

    /// <summary>Publishes the robot description once on <see cref="Ros2SimNode.RobotDescriptionTopic"/> as std_msgs/String,
    /// reliable and transient local with depth 1 (late subscribers get it, as from robot_state_publisher).</summary>
    public static void PublishRobotDescription(DdsParticipant dds, string urdf)
    {
        int writer = dds.Writer(RosType.String, Ros2SimNode.RobotDescriptionTopic, new RosQos(true, 1, TransientLocal: true));
        using var mem = new NativeStrings();
        StringMsg m = new() { Data = mem.Add(urdf) };
        int rc = Native.Write(writer, &m);
        if (rc < 0) throw new InvalidOperationException($"could not publish {Ros2SimNode.RobotDescriptionTopic}: {Native.Describe(rc)}");
    }

    /// <summary>Publishes the scene status and the objects' /tf.</summary>
    public void Publish(uint resetId, int seed)
    {
        var snap = world.Snapshot();
        int n = snap.Objects.Length;
        using var mem = new NativeStrings();
        var names = mem.AddArray([.. snap.Objects.Select(o => o.Name)]);
        var kinds = mem.AddArray([.. snap.Objects.Select(o => o.Kind)]);
        var colors = mem.AddArray([.. snap.Objects.Select(o => o.Color ?? "")]);
        var poses = mem.Alloc<double>(7 * n);
        var half = mem.Alloc<double>(3 * n);
        for (int i = 0; i < n; i++)
        {
            var o = snap.Objects[i];
            var p = poses + 7 * i;
            p[0] = o.Pose.Position.X; p[1] = o.Pose.Position.Y; p[2] = o.Pose.Position.Z;
            p[3] = o.Pose.Orientation.W; p[4] = o.Pose.Orientation.X; p[5] = o.Pose.Orientation.Y; p[6] = o.Pose.Orientation.Z;
            half[3 * i] = o.HalfSize.X; half[3 * i + 1] = o.HalfSize.Y; half[3 * i + 2] = o.HalfSize.Z;
        }
        SceneStatusMsg m = default;
        m.Header.FrameId = mem.Add("world");
        m.ResetId = resetId;
        m.Seed = seed;
        m.SimTime = world.SimTime;
        m.ObjectNames = DdsSequence.Of(names, n);
        m.ObjectKinds = DdsSequence.Of(kinds, n);
        m.ObjectColors = DdsSequence.Of(colors, n);
        m.Poses = DdsSequence.Of(poses, 7 * n);
        m.HalfSizes = DdsSequence.Of(half, 3 * n);
        Native.Write(_sceneWriter, &m);

        var tfs = mem.Alloc<TransformStampedMsg>(n);
        var stamp = RosTime.FromNanoseconds((DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100);
        for (int i = 0; i < n; i++)
        {
            var p = poses + 7 * i;
            tfs[i].Header.Stamp = stamp;
            tfs[i].Header.FrameId = m.Header.FrameId;
            tfs[i].ChildFrameId = names[i];
            tfs[i].Tx = p[0]; tfs[i].Ty = p[1]; tfs[i].Tz = p[2];
            tfs[i].Qw = p[3]; tfs[i].Qx = p[4]; tfs[i].Qy = p[5]; tfs[i].Qz = p[6];
        }
        TfMessageMsg tf = new() { Transforms = DdsSequence.Of(tfs, n) };
        Native.Write(_tfWriter, &tf);
    }
}
