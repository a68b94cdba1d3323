using System.Diagnostics;
using CortexBot.Brainstem.Ros2;
using CortexBot.Brainstem.Ros2.Tests;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using CortexBot.Sim.MuJoCo;

namespace CortexBot.Sim.Ros2.Tests;

/// <summary>
/// <c>sim serve --as-robot</c>: only what a ros2_control arm with a camera and a perception node offers. Detections are
/// judged as a subscriber sees them, over many frames: their rate, the spread of their positions about the simulated
/// truth, and their age at receipt.
/// </summary>
public sealed unsafe class AsRobotTests
{
    private sealed class RobotNode : IDisposable
    {
        public readonly int Domain = TestBus.NewDomain();
        public readonly Ros2Options Options;
        public readonly MuJoCoWorld World = MuJoCoWorld.OpenDefault();
        public readonly Ros2SimNode Sim;
        private readonly CancellationTokenSource _cts = new();
        private readonly Thread _thread;

        public RobotNode(SimDetectionOptions detections)
        {
            Options = TestBus.Options(Domain) with { StaleAfter = TimeSpan.FromMilliseconds(500), ResetTimeout = TimeSpan.FromSeconds(1.5) };
            Sim = new Ros2SimNode(World, Options, 250, seed: 1, asRobot: detections);
            _thread = new Thread(() => Sim.Run(_cts.Token)) { IsBackground = true };
            _thread.Start();
        }

        public void Dispose()
        {
            _cts.Cancel();
            _thread.Join();
            Sim.Dispose();
            World.Dispose();
        }
    }

    [Fact]
    public void Detections_come_at_the_rate_with_the_noise_and_the_latency_asked_for()
    {
        const double rate = 20, std = 0.005, latencyMs = 100;
        using var node = new RobotNode(new SimDetectionOptions { RateHz = rate, NoiseStd = std, LatencyMs = latencyMs, Seed = 7 });
        Assert.True(node.Sim.AsRobot);
        using var dds = new DdsParticipant(node.Domain, DdsParticipant.LoopbackConfig());
        using var receiver = new Ros2DetectionReceiver(dds, node.Options);
        var frames = new List<DetectionFrame>();
        TestBus.WaitUntil(() => receiver.FramesAccepted > 0, "the first detection frame");
        Thread.Sleep(500); // the cubes settle on the table after the scene is placed
        receiver.FrameReceived += f => { lock (frames) frames.Add(f); };
        var sw = Stopwatch.StartNew();
        Thread.Sleep(4000);
        double seconds = sw.Elapsed.TotalSeconds;
        DetectionFrame[] got;
        lock (frames) got = [.. frames];

        // rate: frames a subscriber received per second
        Assert.InRange(got.Length / seconds, 0.8 * rate, 1.1 * rate);
        Assert.Equal(0, receiver.FramesRejected);

        // every scene object, named, each frame; positions spread about the (resting) truth by the std on each axis
        var truth = node.World.Snapshot().Objects;
        var residuals = new List<double>();
        foreach (var f in got)
        {
            Assert.Equal(truth.Select(o => o.Name).Order(), f.Detections.Select(x => x.ClassId).Order());
            foreach (var det in f.Detections)
            {
                var o = truth.Single(t => t.Name == det.ClassId);
                var e = det.Pose.Position - o.Pose.Position;
                residuals.AddRange([e.X, e.Y, e.Z]);
                Assert.Equal(o.HalfSize * 2, det.Size);
                Assert.Equal(1.0, det.Score);
                Assert.True(Math.Abs(det.Pose.Orientation.W - o.Pose.Orientation.W) < 1e-3, $"{o.Name}'s orientation is the simulated one");
            }
        }
        int n = residuals.Count;
        Assert.True(n > 600, $"{n} position samples");
        double mean = residuals.Average();
        double sd = Math.Sqrt(residuals.Sum(r => (r - mean) * (r - mean)) / (n - 1));
        // the sample std of n normal samples is within about 3 standard errors (std / sqrt(2n)) of the true std
        Assert.InRange(sd, std * 0.88, std * 1.12);
        Assert.InRange(mean, -5 * std / Math.Sqrt(n), 5 * std / Math.Sqrt(n));
        // no object is detected with the same error twice in a row (fresh noise each frame)
        Assert.True(residuals.Distinct().Count() > 0.99 * n);

        // latency: each frame arrives at least the latency after its stamp (capture), a delivery later at most
        var ages = got.Select(f => (f.ReceivedNs - f.StampNs) / 1e6).Order().ToArray();
        Assert.True(ages[0] >= latencyMs - 1, $"youngest frame {ages[0]:0.0} ms old");
        Assert.InRange(ages[ages.Length / 2], latencyMs, latencyMs + 50);
    }

    [Fact]
    public void As_a_robot_there_is_no_scene_topic_no_reset_and_no_object_tf_and_the_trajectory_path_works()
    {
        using var node = new RobotNode(new SimDetectionOptions());
        var o = node.Options;
        using (var dds = new DdsParticipant(node.Domain, DdsParticipant.LoopbackConfig()))
        {
            int scene = dds.Reader(RosType.SceneStatus, o.SceneTopic, RosQos.Default);
            int reset = dds.Writer(RosType.ResetRequest, o.ResetTopic, RosQos.Default);
            int tf = dds.Reader(RosType.TfMessage, Ros2SimNode.TfTopic, RosQos.Default);
            int states = dds.Reader(RosType.JointState, o.JointStatesTopic, RosQos.Default);
            int detections = dds.Reader(RosType.Detection3DArray, o.DetectionsTopic, RosQos.SensorData);
            // the node is discovered (its joint states and detections match) ...
            TestBus.WaitUntil(() => DdsParticipant.Matched(states, false) > 0 && DdsParticipant.Matched(detections, false) > 0, "the node's publishers");
            Thread.Sleep(500);
            // ... and offers no scene status, no reset and no /tf
            Assert.Equal(0, DdsParticipant.Matched(scene, false));
            Assert.Equal(0, DdsParticipant.Matched(reset, true));
            Assert.Equal(0, DdsParticipant.Matched(tf, false));
        }

        using var link = new Ros2RobotLink(MuJoCoWorld.ArmJoints, o);
        link.Start(0.004);
        var error = Assert.Throws<InvalidOperationException>(() => link.ResetScene(3));
        Assert.Contains("cannot reset its world", error.Message);

        // drive joint 0 by 0.2 rad over ~1 s through trajectories; the node's arm follows
        var s = new RobotStateBuffer(6);
        Assert.True(link.Read(s));
        var cmd = new JointCommandBuffer(6);
        for (int i = 0; i < 6; i++) cmd.Position[i] = s.Position[i];
        cmd.GripperOpening = s.GripperOpening;
        double start = s.Position[0];
        for (int k = 1; k <= 250; k++)
        {
            cmd.Position[0] = start + 0.2 * k / 250.0;
            link.Read(s);
            link.Write(cmd);
            Thread.Sleep(4);
        }
        TestBus.WaitUntil(() => link.Read(s) && Math.Abs(s.Position[0] - (start + 0.2)) < 0.02, "the arm to follow");
        Assert.True(node.Sim.Counters.TrajectoriesApplied > 0);
        Assert.Equal(0, node.Sim.Counters.CommandsRejected);
        Assert.Equal(0, node.Sim.Counters.Resets);
        Assert.True(node.Sim.DetectionFramesPublished > 0);
    }

    [Fact]
    public void The_cli_serves_as_a_robot_and_refuses_bad_detection_flags_with_one_line()
    {
        (int Code, string Err) Run(string args)
        {
            using var p = TestBus.StartCli(args);
            var err = p.StandardError.ReadToEndAsync();
            var outp = p.StandardOutput.ReadToEndAsync();
            Assert.True(p.WaitForExit(TimeSpan.FromMinutes(1)), "cortexbot exits");
            return (p.ExitCode, err.Result + outp.Result);
        }
        int d = TestBus.NewDomain();
        var ok = Run($"sim serve --as-robot --ros-domain {d} --ros-loopback --no-camera --duration 1 --detection-rate 10 --detection-noise 0.005 --detection-latency 50");
        Assert.True(ok.Code == 0, ok.Err);
        Assert.Contains("as a robot: publishing /joint_states", ok.Err, StringComparison.Ordinal);
        Assert.Contains("/detections (10 Hz, noise 0.005 m, latency 50 ms)", ok.Err, StringComparison.Ordinal);
        Assert.Contains("no scene status, no resets, no object /tf", ok.Err, StringComparison.Ordinal);
        Assert.Matches(@"detection frames [1-9]\d*", ok.Err);
        // playing Gazebo behind the robot: its world control service instead of the simulator's reset
        var gz = Run($"sim serve --as-robot --gazebo-control cortexbot_tabletop --ros-domain {d} --ros-loopback --no-camera --duration 1");
        Assert.True(gz.Code == 0, gz.Err);
        Assert.Contains("no scene status, no object /tf; world resets only through Gazebo's control service /world/cortexbot_tabletop/control", gz.Err, StringComparison.Ordinal);
        Assert.Contains("/world/cortexbot_tabletop/control: 0 resets, 0 other requests refused", gz.Err, StringComparison.Ordinal);

        foreach (var (args, message) in new[]
        {
            ("--as-robot --detection-noise -0.001", "--detection-noise must be between 0 and 0.5 metres, got -0.001"),
            ("--as-robot --detection-rate 0", "--detection-rate must be in (0, 100] Hz, got 0"),
            ("--as-robot --detection-latency NaN", "--detection-latency must be between 0 and 5000 ms, got NaN"),
            ("--detection-rate 10", "--detection-rate needs --as-robot (only the robot mode publishes detections)"),
            ("--gazebo-control cortexbot_tabletop", "--gazebo-control needs --as-robot (it plays Gazebo's world behind a plain ros2_control robot, which has no simulator reset)"),
            ("--as-robot --gazebo-control world/one",
                "--gazebo-control must be a world name of letters, digits and underscores (it names the service /world/NAME/control), got 'world/one'"),
        })
        {
            var bad = Run($"sim serve --ros-domain {d} --ros-loopback --no-camera --duration 0.2 {args}");
            Assert.True(bad.Code == 2, $"{args}: exit {bad.Code}: {bad.Err}");
            var lines = bad.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(lines);
            Assert.Equal($"error: {message}", lines[0]);
        }
    }
}

/// <summary>The detection publisher's steady state and its wire, read by the plain C peer from a real `sim serve --as-robot`.</summary>
public sealed class AsRobotWireTests
{
    [Fact]
    public void Capturing_and_publishing_detections_allocates_nothing()
    {
        int d = TestBus.NewDomain();
        using var world = MuJoCoWorld.OpenDefault();
        using var dds = new DdsParticipant(d, DdsParticipant.LoopbackConfig());
        using var publisher = new SimDetectionPublisher(world, dds, "/detections", new SimDetectionOptions { NoiseStd = 0.005 });
        for (int i = 0; i < 50; i++) publisher.CaptureAndPublish(); // warm-up: JIT, class ids converted once
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 500; i++) publisher.CaptureAndPublish();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.Equal(550, publisher.FramesPublished);
    }

    [Fact]
    public void A_plain_c_ros2_tool_reads_sim_serve_as_robots_detections()
    {
        int d = TestBus.NewDomain();
        using var sim = TestBus.StartCli($"sim serve --as-robot --ros-domain {d} --ros-loopback --no-camera --duration 6");
        var simErr = sim.StandardError.ReadToEndAsync();
        var psi = new ProcessStartInfo(Path.Combine(AppContext.BaseDirectory, "ros2_peer"))
            { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { d.ToString(System.Globalization.CultureInfo.InvariantCulture), "15", "/detections", "detections" }) psi.ArgumentList.Add(a);
        using var peer = Process.Start(psi)!;
        string output = peer.StandardOutput.ReadToEnd();
        peer.WaitForExit();
        sim.WaitForExit();
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length > 1 && lines[0].StartsWith("frames 5 frame world ", StringComparison.Ordinal), $"peer: {output} {peer.StandardError.ReadToEnd()}; sim serve: {simErr.Result}");
        using var world = MuJoCoWorld.OpenDefault();
        var names = world.Snapshot().Objects.Select(o => o.Name).Order().ToArray();
        Assert.Equal($"count {names.Length}", string.Join(' ', lines[0].Split(' ')[^2..]));
        var seen = new List<string>();
        foreach (var line in lines[1..])
        {
            var x = line.Split(' ');
            string At(string key) => x[Array.IndexOf(x, key) + 1];
            Assert.Equal("1", At("hyps"));
            Assert.Equal(At("class"), At("id"));
            Assert.Equal("1", At("score"));
            Assert.Equal("0", At("cov")); // no noise asked for
            Assert.Equal("world", At("dframe"));
            seen.Add(At("class"));
        }
        Assert.Equal(names, seen.Order().ToArray());
        Assert.Equal(0, sim.ExitCode);
    }
}
