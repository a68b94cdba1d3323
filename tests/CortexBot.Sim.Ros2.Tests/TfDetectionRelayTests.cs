using System.Diagnostics;
using CortexBot.Brainstem.Ros2;
using CortexBot.Brainstem.Ros2.Tests;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;

namespace CortexBot.Sim.Ros2.Tests;

/// <summary>
/// `sim detections`: ground-truth poses on TF relayed as vision_msgs/Detection3DArray, judged as the brain's
/// <see cref="Ros2DetectionReceiver"/> sees them: `sim serve`'s /tf relayed frame by frame (poses, sizes, rate), the
/// names it takes and ignores (Gazebo-shaped input written by the test), and stamps that age when the input stops.
/// </summary>
public sealed unsafe class TfDetectionRelayTests
{
    private static readonly RelayObject[] Cubes =
        [new("red_cube", new Vec3(0.04, 0.04, 0.04)), new("green_cube", new Vec3(0.04, 0.04, 0.04)), new("blue_cube", new Vec3(0.04, 0.04, 0.04))];

    /// <summary>The relay on a thread of its own.</summary>
    private sealed class RelayThread : IDisposable
    {
        public readonly TfDetectionRelay Relay;
        private readonly CancellationTokenSource _cts = new();
        private readonly Thread _thread;

        public RelayThread(DdsParticipant dds, IReadOnlyList<RelayObject> objects, TfRelayOptions options)
        {
            Relay = new TfDetectionRelay(dds, objects, options);
            _thread = new Thread(() => Relay.Run(_cts.Token)) { IsBackground = true };
            _thread.Start();
        }

        public void Dispose()
        {
            _cts.Cancel();
            _thread.Join();
            Relay.Dispose();
        }
    }

    private static RelayObject[] SceneObjects(Sim.MuJoCo.MuJoCoWorld world) =>
        [.. world.Snapshot().Objects.Select(o => new RelayObject(o.Name, o.HalfSize * 2))];

    private static List<DetectionFrame> Collect(Ros2DetectionReceiver receiver, TimeSpan span)
    {
        var frames = new List<DetectionFrame>();
        void Add(DetectionFrame f) { lock (frames) frames.Add(f); }
        receiver.FrameReceived += Add;
        Thread.Sleep(span);
        receiver.FrameReceived -= Add;
        lock (frames) return [.. frames];
    }

    [Fact]
    public void Sim_serves_tf_relayed_gives_the_simulated_poses_and_sizes_at_the_relay_rate()
    {
        const double rate = 20;
        using var sim = new SimNodeThread();
        using var dds = new DdsParticipant(sim.Domain, DdsParticipant.LoopbackConfig());
        using var relay = new RelayThread(dds, SceneObjects(sim.World), new TfRelayOptions { FromTopics = [Ros2SimNode.TfTopic], RateHz = rate });
        using var receiver = new Ros2DetectionReceiver(dds, sim.Options);
        TestBus.WaitUntil(() => receiver.FramesAccepted > 0, "the first relayed frame");
        Thread.Sleep(500); // the cubes settle on the table after the scene is placed
        var sw = Stopwatch.StartNew();
        var got = Collect(receiver, TimeSpan.FromSeconds(3));
        double seconds = sw.Elapsed.TotalSeconds;

        Assert.InRange(got.Count / seconds, 0.8 * rate, 1.1 * rate);
        Assert.Equal(0, receiver.FramesRejected);
        Assert.Equal(0, relay.Relay.UnknownTransforms + relay.Relay.UnnamedTransforms + relay.Relay.BadTransforms);
        var truth = sim.World.Snapshot().Objects;
        Assert.Equal(4, truth.Length); // three cubes and the bin
        foreach (var f in got)
        {
            Assert.Equal(truth.Select(o => o.Name), f.Detections.Select(d => d.ClassId));
            foreach (var d in f.Detections)
            {
                var o = truth.Single(t => t.Name == d.ClassId);
                Assert.True((d.Pose.Position - o.Pose.Position).Norm < 0.001, $"{o.Name} at {d.Pose.Position}, simulated at {o.Pose.Position}");
                double dot = Math.Abs(d.Pose.Orientation.W * o.Pose.Orientation.W + d.Pose.Orientation.X * o.Pose.Orientation.X +
                                      d.Pose.Orientation.Y * o.Pose.Orientation.Y + d.Pose.Orientation.Z * o.Pose.Orientation.Z);
                Assert.True(dot > 1 - 1e-6, $"{o.Name}'s orientation is the simulated one");
                Assert.Equal(o.HalfSize * 2, d.Size);
                Assert.Equal(1.0, d.Score);
            }
            // sim serve stamps /tf with the wall clock at 50 Hz: a relayed frame is at most a TF period plus a relay period old
            Assert.InRange((f.ReceivedNs - f.StampNs) / 1e6, 0, 250);
        }
    }

    private sealed class TfWriter : IDisposable
    {
        private readonly NativeStrings _mem = new();
        public readonly int Writer;

        public TfWriter(DdsParticipant dds, string topic) => Writer = dds.Writer(RosType.TfMessage, topic, RosQos.Default with { Depth = 100 });

        /// <summary>One TFMessage: (parent, child, x, y, z, yaw about Z, stamp ns) per transform.</summary>
        public void Publish(params (string Parent, string Child, double X, double Y, double Z, double Yaw, long StampNs)[] transforms)
        {
            var tfs = _mem.Alloc<TransformStampedMsg>(transforms.Length);
            for (int i = 0; i < transforms.Length; i++)
            {
                var t = transforms[i];
                tfs[i].Header.Stamp = RosTime.FromNanoseconds(t.StampNs);
                tfs[i].Header.FrameId = _mem.Add(t.Parent);
                tfs[i].ChildFrameId = _mem.Add(t.Child);
                tfs[i].Tx = t.X; tfs[i].Ty = t.Y; tfs[i].Tz = t.Z;
                tfs[i].Qw = Math.Cos(t.Yaw / 2); tfs[i].Qz = Math.Sin(t.Yaw / 2);
            }
            TfMessageMsg m = new() { Transforms = DdsSequence.Of(tfs, transforms.Length) };
            int rc = Native.Write(Writer, &m);
            Assert.True(rc >= 0, Native.Describe(rc));
        }

        public void Dispose() => _mem.Dispose();
    }

    private static long WallNow() => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;

    [Fact]
    public void Only_known_names_are_relayed_unnamed_unknown_and_link_poses_relative_to_their_object_are_ignored()
    {
        int domain = TestBus.NewDomain();
        var o = TestBus.Options(domain);
        using var dds = new DdsParticipant(domain, DdsParticipant.LoopbackConfig());
        using var gz = new TfWriter(dds, "/gazebo/poses");
        using var relay = new RelayThread(dds, Cubes, new TfRelayOptions { FromTopics = ["/gazebo/poses"], RateHz = 20 });
        using var receiver = new Ros2DetectionReceiver(dds, o);
        TestBus.WaitUntil(() => DdsParticipant.Matched(gz.Writer, true) > 0 && receiver.PublishersMatched > 0, "the relay's endpoints");
        Thread.Sleep(300);
        Assert.Equal(0, receiver.FramesAccepted); // nothing seen, nothing published

        long now = WallNow();
        gz.Publish(
            ("cortexbot_tabletop", "", 9, 9, 9, 0, now),                    // the scene broadcaster's poses through ros_gz_bridge: no name
            ("cortexbot_tabletop", "mystery_box", 1, 1, 1, 0, now),
            ("cortexbot_tabletop", "red_cube_2", 2, 2, 2, 0, now),          // a longer name is another object
            ("cortexbot_tabletop", "red_cube", 0.4, -0.1, 0.02, 0.5, now),   // Gazebo's pose publisher: the model in the world
            ("red_cube", "red_cube/link", 0, 0, 0, 0, now),                 // its link relative to the model: an offset
            ("cortexbot_tabletop", "/green_cube::link", 0.5, 0.2, 0.02, -0.25, now)); // a link in the world, scoped, rooted
        TestBus.WaitUntil(() => relay.Relay.TfMessages == 1 && receiver.Latest is { Detections.Length: 2 }, "a frame of the two known objects");

        var f = receiver.Latest!;
        Assert.Equal(["red_cube", "green_cube"], f.Detections.Select(d => d.ClassId)); // blue_cube never seen: left out
        var red = f.Detections[0];
        Assert.Equal(new Vec3(0.4, -0.1, 0.02), red.Pose.Position);
        Assert.Equal(Math.Sin(0.25), red.Pose.Orientation.Z, 12);
        Assert.Equal(new Vec3(0.04, 0.04, 0.04), red.Size);
        Assert.Equal(new Vec3(0.5, 0.2, 0.02), f.Detections[1].Pose.Position);
        Assert.Equal(2, relay.Relay.UnknownTransforms);
        Assert.Equal(1, relay.Relay.UnnamedTransforms);
        Assert.Equal(1, relay.Relay.RelativeTransforms);
        Assert.Equal(2, relay.Relay.TransformsUsed);

        // once the model itself is seen, a link pose in the world no longer moves it; the model's own pose does
        gz.Publish(("cortexbot_tabletop", "red_cube::link", 0.9, 0.9, 0.9, 0, WallNow()), ("cortexbot_tabletop", "green_cube", 0.45, 0.25, 0.02, 0, WallNow()));
        TestBus.WaitUntil(() => relay.Relay.TfMessages == 2 && receiver.Latest!.Detections[1].Pose.Position.X == 0.45, "green_cube's model pose");
        Thread.Sleep(150);
        Assert.Equal(new Vec3(0.4, -0.1, 0.02), receiver.Latest!.Detections[0].Pose.Position);
    }

    [Fact]
    public void A_tf_input_that_stops_gives_frames_that_age_instead_of_fresh_stamps()
    {
        int domain = TestBus.NewDomain();
        var o = TestBus.Options(domain);
        using var dds = new DdsParticipant(domain, DdsParticipant.LoopbackConfig());
        using var tf = new TfWriter(dds, "/tf");
        using var simTime = new TfWriter(dds, "/gazebo/poses");
        using var source = new RelayThread(dds, Cubes, new TfRelayOptions { FromTopics = ["/tf"], RateHz = 20 });
        using var receipt = new RelayThread(dds, Cubes, new TfRelayOptions { FromTopics = ["/gazebo/poses"], ToTopic = "/gz_detections", RateHz = 20, Stamp = TfStampSource.Receipt });
        using var fromSource = new Ros2DetectionReceiver(dds, o);
        using var fromReceipt = new Ros2DetectionReceiver(dds, o with { DetectionsTopic = "/gz_detections" });
        TestBus.WaitUntil(() => DdsParticipant.Matched(tf.Writer, true) > 0 && DdsParticipant.Matched(simTime.Writer, true) > 0
                                && fromSource.PublishersMatched > 0 && fromReceipt.PublishersMatched > 0, "the relays' endpoints");

        // wall-clock stamps as given: a pose published once, stamped 2 s ago, is 2 s old and keeps ageing
        long twoSecondsAgo = WallNow() - 2_000_000_000;
        tf.Publish(("world", "red_cube", 0.4, 0, 0.02, 0, twoSecondsAgo), ("world", "blue_cube", 0.3, 0, 0.02, 0, WallNow()));
        // Gazebo's: simulated time (12.5 s after start) means nothing to a wall clock; the relay stamps the receipt
        simTime.Publish(("cortexbot_tabletop", "red_cube", 0.4, 0, 0.02, 0, 12_500_000_000));
        TestBus.WaitUntil(() => fromSource.Latest is not null && fromReceipt.Latest is not null, "frames from both relays");
        var first = fromSource.Latest!;
        var firstReceipt = fromReceipt.Latest!;
        Thread.Sleep(1000);
        var later = fromSource.Latest!;
        var laterReceipt = fromReceipt.Latest!;

        Assert.True(later.ReceivedNs - first.ReceivedNs > 800_000_000, "frames kept coming");
        // the frame is as old as its oldest pose
        Assert.InRange((first.ReceivedNs - first.StampNs) / 1e9, 2.0, 2.5);
        Assert.InRange(Math.Abs(later.StampNs - first.StampNs), 0, 2_000_000); // the same stamp re-published (its conversion to monotonic time jitters by microseconds)
        Assert.InRange((later.ReceivedNs - later.StampNs) / 1e9, 2.8, 3.5);
        Assert.InRange((firstReceipt.ReceivedNs - firstReceipt.StampNs) / 1e6, 0, 300);
        Assert.InRange((laterReceipt.ReceivedNs - laterReceipt.StampNs) / 1e6, 800, 1500);
        Assert.InRange(Math.Abs(laterReceipt.StampNs - firstReceipt.StampNs), 0, 2_000_000);
        Assert.Equal(new Vec3(0.4, 0, 0.02), laterReceipt.Detections.Single().Pose.Position);
    }

    [Fact]
    public void Taking_tf_and_publishing_frames_allocates_nothing_at_steady_state()
    {
        int domain = TestBus.NewDomain();
        using var dds = new DdsParticipant(domain, DdsParticipant.LoopbackConfig());
        using var tf = new TfWriter(dds, "/tf");
        using var relay = new TfDetectionRelay(dds, Cubes, new TfRelayOptions { FromTopics = ["/tf"] });
        TestBus.WaitUntil(() => relay.PublishersMatched > 0, "the relay's reader");
        void Round()
        {
            for (int i = 0; i < 20; i++)
                tf.Publish(("world", "red_cube", 0.4, 0, 0.02, 0, WallNow()), ("world", "green_cube", 0.5, 0, 0.02, 0, WallNow()),
                    ("world", "blue_cube", 0.3, 0, 0.02, 0, WallNow()), ("world", "mystery_box", 0, 0, 0, 0, WallNow()));
            Thread.Sleep(50);
        }
        Round();
        relay.Drain(); // warm-up: JIT, the class ids converted once
        Assert.Equal(3, relay.Publish());
        long allocated = 0;
        for (int k = 0; k < 10; k++)
        {
            Round();
            long before = GC.GetAllocatedBytesForCurrentThread();
            relay.Drain();
            relay.Publish();
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
        }
        Assert.Equal(0, allocated);
        Assert.True(relay.TfMessages >= 200, $"{relay.TfMessages} TF messages taken");
        Assert.Equal(11, relay.FramesPublished);
    }

    [Fact]
    public void Gazebo_shaped_poses_from_a_plain_c_ros2_publisher_are_relayed_by_the_cli_as_gazebo_launch_runs_it()
    {
        int d = TestBus.NewDomain();
        var o = TestBus.Options(d);
        using var dds = new DdsParticipant(d, DdsParticipant.LoopbackConfig());
        using var receiver = new Ros2DetectionReceiver(dds, o);
        // ros_gz_bridge's TFMessages of red_cube's pose publisher (sim-time stamps) and of the nameless dynamic_pose/info
        var psi = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "ros2_peer")) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { d.ToString(System.Globalization.CultureInfo.InvariantCulture), "8", "/gazebo/objects/red_cube/pose", "publish-gz-poses" }) psi.ArgumentList.Add(a);
        using var peer = Process.Start(psi)!;
        using var cli = TestBus.StartCli($"sim detections --from-tf /gazebo/objects/red_cube/pose,/gazebo/objects/green_cube/pose --stamp receipt " +
                                         $"--ros-domain {d} --ros-loopback --duration 5");
        var err = cli.StandardError.ReadToEndAsync();
        TestBus.WaitUntil(() => receiver.FramesAccepted >= 10, "ten frames relayed from the C publisher", 20);
        var f = receiver.Latest!;
        Assert.True(cli.WaitForExit(TimeSpan.FromMinutes(1)), "cortexbot exits");
        string output = peer.StandardOutput.ReadToEnd();
        peer.WaitForExit();
        Assert.True(cli.ExitCode == 0, err.Result);
        Assert.StartsWith("published ", output, StringComparison.Ordinal);

        var red = Assert.Single(f.Detections); // the scene's other objects were never seen
        Assert.Equal("red_cube", red.ClassId);
        Assert.Equal(new Vec3(0.4, -0.1, 0.02), red.Pose.Position);
        Assert.Equal(Math.Sin(0.25), red.Pose.Orientation.Z, 9);
        Assert.Equal(new Vec3(0.04, 0.04, 0.04), red.Size, new Vec3Tolerance(1e-12)); // from sim/scene.xml
        // stamped at receipt, not 12.5 s after the epoch
        Assert.InRange((f.ReceivedNs - f.StampNs) / 1e6, 0, 300);
        Assert.Matches(@"\d+ unnamed", err.Result);
        Assert.DoesNotMatch(@" 0 unnamed", err.Result);
        Assert.Contains("transforms with an empty child_frame_id are ignored", err.Result, StringComparison.Ordinal);
        Assert.Contains("objects seen 1/4", err.Result, StringComparison.Ordinal);
    }

    private sealed class Vec3Tolerance(double tolerance) : IEqualityComparer<Vec3>
    {
        public bool Equals(Vec3 a, Vec3 b) => (a - b).Norm <= tolerance;
        public int GetHashCode(Vec3 v) => 0;
    }

    [Fact]
    public void The_cli_relays_sim_serves_tf_and_refuses_bad_flags_with_one_line()
    {
        using var sim = new SimNodeThread();
        using var dds = new DdsParticipant(sim.Domain, DdsParticipant.LoopbackConfig());
        using var receiver = new Ros2DetectionReceiver(dds, sim.Options with { DetectionsTopic = "/perception/detections" });
        using (var cli = TestBus.StartCli($"sim detections --from-tf /tf --to /perception/detections --classes red_cube,bin --rate 10 " +
                                          $"--ros-domain {sim.Domain} --ros-loopback --duration 4"))
        {
            var err = cli.StandardError.ReadToEndAsync();
            TestBus.WaitUntil(() => receiver.FramesAccepted >= 5, "five frames from the relay process", 20);
            Assert.True(cli.WaitForExit(TimeSpan.FromMinutes(1)), "cortexbot exits");
            Assert.True(cli.ExitCode == 0, err.Result);
            Assert.Contains("reading /tf (tf2_msgs/TFMessage), publishing /perception/detections at 10 Hz in frame world, stamps: source", err.Result, StringComparison.Ordinal);
            // --classes without --scene: the names asked for, sizes unknown
            Assert.Contains("objects: red_cube, bin", err.Result, StringComparison.Ordinal);
            Assert.Matches(@"objects seen 2/2; frames [1-9]\d* \(failed 0\)", err.Result);
        }
        var f = receiver.Latest!;
        Assert.Equal(["red_cube", "bin"], f.Detections.Select(d => d.ClassId));
        Assert.All(f.Detections, d => Assert.Equal(Vec3.Zero, d.Size));
        Assert.True((f.Detections[0].Pose.Position - sim.World.Snapshot().Objects.Single(x => x.Name == "red_cube").Pose.Position).Norm < 0.001);

        (int Code, string Err) Run(string args)
        {
            using var p = TestBus.StartCli(args);
            var err = p.StandardError.ReadToEndAsync();
            var output = p.StandardOutput.ReadToEndAsync();
            Assert.True(p.WaitForExit(TimeSpan.FromMinutes(1)), "cortexbot exits");
            return (p.ExitCode, err.Result + output.Result);
        }
        foreach (var (args, message) in new[]
        {
            ("--rate 0", "--rate must be in (0, 100] Hz, got 0"),
            ("--to /tf", "--to /tf is also a --from-tf topic"),
            ("--classes red_cube,,bin", "--classes must be comma-separated names without empty entries, got 'red_cube,,bin'"),
            ("--classes red_cube/link", "object name 'red_cube/link' must be one TF frame name (no '/', '::' or spaces)"),
            ("--stamp later", "--stamp must be one of source, receipt, got 'later'"),
            ("--scene /nonexistent/scene.xml", "--scene: no such file: /nonexistent/scene.xml"),
            ("--frame \"\"", "--frame must be a frame id without spaces, got ''"),
        })
        {
            var bad = Run($"sim detections --from-tf /tf --ros-domain {sim.Domain} --ros-loopback --duration 0.2 {args}");
            Assert.True(bad.Code == 2, $"{args}: exit {bad.Code}: {bad.Err}");
            var lines = bad.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(lines);
            Assert.Equal($"error: {message}", lines[0]);
        }
        var none = Run($"sim detections --ros-domain {sim.Domain} --duration 0.2");
        Assert.Equal(2, none.Code);
        Assert.Single(none.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("--from-tf", none.Err, StringComparison.Ordinal);
    }
}
