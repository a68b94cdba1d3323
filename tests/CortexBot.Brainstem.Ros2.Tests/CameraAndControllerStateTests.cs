using System.Diagnostics;
using System.Globalization;
using CortexBot.Core;
using CortexBot.Core.Ports;
using CortexBot.Sim.MuJoCo;
using CortexBot.Sim.Ros2;
using CortexBot.Host;
using Microsoft.Extensions.DependencyInjection;

namespace CortexBot.Brainstem.Ros2.Tests;

/// <summary>
/// The simulator node's camera images (sensor_msgs/Image) and controller state (control_msgs/JointTrajectoryControllerState)
/// on the wire, read by the plain C peer in another process, and the link's camera side (<see cref="ISceneCamera"/>).
/// </summary>
public sealed unsafe class CameraAndControllerStateTests
{
    [Fact]
    public void A_plain_c_peer_reads_the_nodes_images_and_controller_state_and_the_link_hands_the_frame_to_the_planner()
    {
        var exe = Path.Combine(AppContext.BaseDirectory, "ros2_peer");
        Assert.True(File.Exists(exe), "ros2_peer is built with this test project");
        int d = TestBus.NewDomain();
        // the peer's listen mode reads control_msgs 4.x (Humble: desired/actual); Jazzy's layout is DistroLayoutTests'
        var o = TestBus.Options(d) with
        {
            StaleAfter = TimeSpan.FromMilliseconds(500), ReceiveImages = true, ImageRateHz = 10, ControllerStateRateHz = 50, Distro = RosDistro.Humble,
        };
        using var camera = new PatternCamera(40, 30);
        using var world = MuJoCoWorld.OpenDefault();
        using var node = new Ros2SimNode(world, o, 250, seed: 1, camera);
        using var cts = new CancellationTokenSource();
        var t = new Thread(() => node.Run(cts.Token)) { IsBackground = true };
        t.Start();
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { d.ToString(CultureInfo.InvariantCulture), "20", o.Controller, "listen" }) psi.ArgumentList.Add(a);
        using var peer = Process.Start(psi)!;
        try
        {
            using (var link = new Ros2RobotLink(MuJoCoWorld.ArmJoints, o))
            {
                ISceneCamera cam = link;
                TestBus.WaitUntil(() => link.Counters.ImagesAccepted > 0, "an image at the link");
                var frame = cam.CaptureAsync().GetAwaiter().GetResult();
                Assert.Equal((40, 30), (frame.Width, frame.Height));
                Assert.Equal(camera.Pattern, frame.Rgb);
                Assert.Equal(0, link.Counters.ImagesRejected);

                // a step of joint 0 while the peer listens, so the controller state carries a real tracking error
                link.Start(0.004);
                var s = new RobotStateBuffer(6);
                Assert.True(link.Read(s));
                var cmd = new JointCommandBuffer(6);
                for (int i = 0; i < 6; i++) cmd.Position[i] = s.Position[i];
                cmd.GripperOpening = s.GripperOpening;
                cmd.Position[0] += 0.3;
                while (!peer.HasExited)
                {
                    link.Read(s);
                    link.Write(cmd);
                    Thread.Sleep(4);
                }
            }

            var stdout = peer.StandardOutput.ReadToEnd();
            var stderr = peer.StandardError.ReadToEnd();
            peer.WaitForExit();
            var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(lines.Length == 2, $"peer output: {stdout} {stderr}");
            string diag = $"{stdout}\nnode: {node.Counters}, image problem: {node.ImageProblem}";
            var image = Fields(lines[0]);
            Assert.True(long.Parse(image["count"], CultureInfo.InvariantCulture) >= 3, diag);
            Assert.Equal("40", image["width"]);
            Assert.Equal("30", image["height"]);
            Assert.Equal("rgb8", image["encoding"]);
            Assert.Equal("120", image["step"]);
            Assert.Equal("0", image["bigendian"]);
            Assert.Equal("3600", image["bytes"]);
            Assert.Equal(Hash(camera.Pattern).ToString(CultureInfo.InvariantCulture), image["hash"]);

            var state = Fields(lines[1]);
            Assert.True(long.Parse(state["count"], CultureInfo.InvariantCulture) >= 20, diag);
            Assert.Equal(string.Join(',', MuJoCoWorld.ArmJoints), state["joints"]);
            Assert.Equal("1", state["lengths"]);
            Assert.Equal(0.0, double.Parse(state["maxerr"], CultureInfo.InvariantCulture)); // error = reference - feedback, exactly
            Assert.True(double.Parse(state["maxabserr"], CultureInfo.InvariantCulture) > 0.01, diag); // and the arm was seen tracking the step
            Assert.Equal("1", state["desired_ok"]);
            Assert.Equal("1", state["actual_ok"]);
            Assert.Equal("1", state["multidof_empty"]);
            // the reference is the commanded step on joint 0 (about 0.3 rad from where the arm started); the other joints hold
            var f = lines[1].Split(' ');
            int r = Array.IndexOf(f, "ref"), b = Array.IndexOf(f, "fb");
            var reference = f[(r + 1)..(r + 7)].Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray();
            var feedback = f[(b + 1)..(b + 7)].Select(x => double.Parse(x, CultureInfo.InvariantCulture)).ToArray();
            Assert.True(Math.Abs(reference[0] - 0.3) < 0.02, diag);
            for (int i = 1; i < 6; i++) Assert.True(Math.Abs(reference[i] - feedback[i]) < 0.05, diag);
            Assert.True(node.Counters.ImagesPublished > 0);
            Assert.Equal(0, node.Counters.ImageFailures);
        }
        finally
        {
            if (!peer.HasExited) peer.Kill();
            cts.Cancel();
            t.Join();
        }
    }

    [Fact]
    public void Garbled_images_are_counted_and_ignored_and_a_stale_frame_is_refused()
    {
        int d = TestBus.NewDomain();
        var o = TestBus.Options(d) with { ReceiveImages = true, ImageStaleAfter = TimeSpan.FromMilliseconds(400) };
        using var link = new Ros2RobotLink(Ros2Defaults.Arm, o);
        var none = Assert.Throws<InvalidOperationException>(() => link.CaptureAsync().GetAwaiter().GetResult());
        Assert.Contains("no valid image on /camera/image_raw", none.Message, StringComparison.Ordinal);

        using var dds = new DdsParticipant(d, DdsParticipant.LoopbackConfig());
        int writer = dds.Writer(RosType.Image, o.ImageTopic, RosQos.Default);
        using var mem = new NativeStrings();
        byte* rgb8 = mem.Add("rgb8"), frameId = mem.Add("camera");
        using var camera = new PatternCamera(8, 6);
        var good = camera.CaptureAsync().GetAwaiter().GetResult();
        // the node's own publishing path, repeated until the link has discovered this writer
        TestBus.WaitUntil(() =>
        {
            Assert.True(Ros2SimNode.WriteImage(writer, good, rgb8, frameId) >= 0);
            Thread.Sleep(20);
            return link.Counters.ImagesAccepted > 0;
        }, "the first image");
        Assert.Equal(good.Rgb, link.CaptureAsync().GetAwaiter().GetResult().Rgb);

        var data = mem.Alloc<byte>(1000);
        Write(writer, 8, 6, mem.Add("bgr8"), 24, data, 144);   // not rgb8
        Write(writer, 8, 6, rgb8, 20, data, 120);              // a row shorter than 8 pixels
        Write(writer, 8, 6, rgb8, 24, data, 143);              // a byte missing
        Write(writer, 0, 6, rgb8, 0, data, 0);                 // no pixels
        Write(writer, 100_000, 1, rgb8, 300_000, data, 1000);  // absurd size
        TestBus.WaitUntil(() => link.Counters.ImagesRejected >= 5, "the garbled images to be rejected");
        Assert.Equal(5, link.Counters.ImagesRejected);
        Assert.Contains("outside 1..8192", link.LastImageProblem, StringComparison.Ordinal);
        Assert.Equal(good.Rgb, link.CaptureAsync().GetAwaiter().GetResult().Rgb); // still the valid frame

        // row padding (step > 3 * width) is valid ROS and is stripped
        for (int y = 0; y < 6; y++)
            for (int x = 0; x < 28; x++) data[y * 28 + x] = x < 24 ? good.Rgb[y * 24 + x] : (byte)0xEE;
        Write(writer, 8, 6, rgb8, 28, data, 168);
        TestBus.WaitUntil(() => link.Counters.ImagesAccepted >= 2, "the padded image");
        Assert.Equal(good.Rgb, link.CaptureAsync().GetAwaiter().GetResult().Rgb);

        Thread.Sleep(600);
        var stale = Assert.Throws<InvalidOperationException>(() => link.CaptureAsync().GetAwaiter().GetResult());
        Assert.Contains("old", stale.Message, StringComparison.Ordinal);
        Assert.False(link.TryGetFrame(out _, out _));
    }

    [Fact]
    public void Options_refuse_bad_camera_and_state_rates()
    {
        Assert.Throws<ConfigurationException>(() => new Ros2Options { ImageRateHz = 0 }.Validate());
        Assert.Throws<ConfigurationException>(() => new Ros2Options { ControllerStateRateHz = double.NaN }.Validate());
        Assert.Throws<ConfigurationException>(() => new Ros2Options { ImageTopic = "/camera//raw" }.Validate());
        Assert.Equal("/arm/controller_state", new Ros2Options { Controller = "arm" }.ControllerStateTopic);
    }

    private static void Write(int writer, uint width, uint height, byte* encoding, uint step, byte* data, int length)
    {
        ImageMsg m = default;
        m.Header.FrameId = encoding;
        m.Width = width;
        m.Height = height;
        m.Encoding = encoding;
        m.Step = step;
        m.Data = DdsSequence.Of(data, length);
        Assert.True(Native.Write(writer, &m) >= 0);
        Thread.Sleep(20);
    }

    private static Dictionary<string, string> Fields(string line)
    {
        var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var map = new Dictionary<string, string>();
        for (int i = 1; i + 1 < f.Length; i += 2) map.TryAdd(f[i], f[i + 1]);
        return map;
    }

    /// <summary>The C peer's image hash (position-weighted byte sum).</summary>
    private static ulong Hash(byte[] d)
    {
        ulong h = 0;
        for (int i = 0; i < d.Length; i++) h += d[i] * (ulong)(i % 251 + 1);
        return h;
    }
}

/// <summary>A camera double: a fixed pattern whose rows differ, so a flipped or shifted image shows.</summary>
internal sealed class PatternCamera : ISceneCamera
{
    public PatternCamera(int width, int height)
    {
        Width = width;
        Height = height;
        Pattern = new byte[width * height * 3];
        for (int i = 0; i < Pattern.Length; i++) Pattern[i] = (byte)((i * 7 + i / (3 * width) * 13) % 256);
    }

    public int Width { get; }
    public int Height { get; }
    public byte[] Pattern { get; }

    public Task<CameraFrame> CaptureAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult(new CameraFrame(Width, Height, (byte[])Pattern.Clone(), MonotonicClock.NowNs));

    public void Dispose() { }
}

/// <summary>The host's camera choice with a ROS 2 robot.</summary>
public sealed class HostCameraTests
{
    [Fact]
    public void With_an_mmproj_a_ros2_robot_is_the_cortexs_camera_and_subscribes_images()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddCortexBot(new CortexBotOptions
        {
            Robot = CortexBot.Host.RobotKind.Ros2, Planner = "llama", MmprojPath = "unused.gguf", Ros2 = TestBus.Options(TestBus.NewDomain()),
            // the simulator node's reset and scene (no discovery needed): no per-tick object poses then
            Reset = CortexBot.Host.WorldStart.Sim, Perception = CortexBot.Host.PerceptionSource.Sim,
        });
        using var sp = services.BuildServiceProvider();
        var camera = sp.GetRequiredService<ISceneCamera>();
        var link = Assert.IsType<Ros2RobotLink>(camera);
        Assert.Same(sp.GetRequiredService<IRobotLink>(), link);
        Assert.Same(sp.GetRequiredService<IWorldReset>(), link);
        Assert.Null(sp.GetService<IObjectPoses>());
        Assert.True(link.Options.ReceiveImages);
        Assert.False(link.TryGetFrame(out _, out var problem));
        Assert.Contains("/camera/image_raw", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_an_mmproj_a_ros2_robot_subscribes_no_images_and_the_cortex_gets_no_camera()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddCortexBot(new CortexBotOptions { Robot = CortexBot.Host.RobotKind.Ros2, Ros2 = TestBus.Options(TestBus.NewDomain()) });
        using var sp = services.BuildServiceProvider();
        Assert.Null(sp.GetService<ISceneCamera>());
        var link = Assert.IsType<Ros2RobotLink>(sp.GetRequiredService<IRobotLink>());
        Assert.False(link.Options.ReceiveImages);
    }
}
