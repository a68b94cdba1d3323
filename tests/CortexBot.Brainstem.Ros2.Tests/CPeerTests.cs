using System.Diagnostics;
using System.Globalization;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

namespace CortexBot.Brainstem.Ros2.Tests;

/// <summary>
/// Wire compatibility proven by a second implementation: a plain C program (native/ros2_peer.c) built from idlc's
/// types with ROS 2's type and topic names receives CortexBot's trajectories and publishes joint states CortexBot accepts.
/// </summary>
public sealed class CPeerTests
{
    [Fact]
    public void A_plain_c_ros2_peer_and_the_link_understand_each_other()
    {
        var exe = Path.Combine(AppContext.BaseDirectory, "ros2_peer");
        Assert.True(File.Exists(exe), "ros2_peer is built with this test project");
        int d = TestBus.NewDomain();
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(d.ToString(CultureInfo.InvariantCulture));
        psi.ArgumentList.Add("6");
        using var peer = Process.Start(psi)!;
        try
        {
            using var link = new Ros2RobotLink(Ros2Defaults.Arm, TestBus.Options(d) with { StaleAfter = TimeSpan.FromMilliseconds(500) });
            link.Start(0.002);
            var s = new RobotStateBuffer(6);
            Assert.True(link.Read(s));
            Assert.Equal([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], s.Position); // the C peer's joint states, mapped by name
            Assert.Equal(0.04, s.GripperOpening, 12);

            // the peer echoes our trajectory's point back as its joint positions
            var cmd = new JointCommandBuffer(6);
            double[] target = [0.15, -0.25, 0.35, -0.45, 0.55, -0.65];
            target.CopyTo(cmd.Position, 0);
            TestBus.WaitUntil(() =>
            {
                link.Read(s);
                link.Write(cmd);
                Thread.Sleep(2);
                return s.Position.SequenceEqual(target);
            }, "the peer to echo the trajectory", 5);
        }
        finally
        {
            var output = peer.StandardOutput.ReadToEnd();
            peer.WaitForExit();
            var f = output.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.True(f.Length >= 11 && f[0] == "trajectories", $"peer output: {output} {peer.StandardError.ReadToEnd()}");
            Assert.True(long.Parse(f[1], CultureInfo.InvariantCulture) > 0);
            Assert.Equal("0", f[3]); // no trajectory the peer could not understand
            Assert.Equal(6_000_000L, long.Parse(f[^1], CultureInfo.InvariantCulture)); // 3 periods of 2 ms
        }
    }

    /// <summary>Starts the C peer with its arguments; stdout and stderr are redirected.</summary>
    internal static Process StartPeer(params string[] args)
    {
        var exe = Path.Combine(AppContext.BaseDirectory, "ros2_peer");
        Assert.True(File.Exists(exe), "ros2_peer is built with this test project");
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        return Process.Start(psi)!;
    }

    [Fact]
    public void A_plain_c_gazebo_control_service_decodes_our_world_reset_and_its_success_completes_it()
    {
        int d = TestBus.NewDomain();
        // the peer plays Gazebo's bridged /world/cortexbot_tabletop/control and the arm's joint states
        using var peer = StartPeer(d.ToString(CultureInfo.InvariantCulture), "10", "cortexbot_tabletop", "gz-control");
        string output;
        using (var link = new Ros2RobotLink(Ros2Defaults.Arm, TestBus.Options(d) with { StaleAfter = TimeSpan.FromMilliseconds(500) }))
        {
            link.Start(0.002);
            long before = CortexBot.Core.MonotonicClock.NowNs;
            long confirmed = link.ResetGazeboWorld();
            Assert.True(confirmed > before);
            Assert.Equal(1, link.GazeboResets);
            output = peer.StandardOutput.ReadToEnd();
            peer.WaitForExit();
        }
        var line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        var f = line.Split(' ');
        Assert.True(f[0] == "request", $"peer output: {output} {peer.StandardError.ReadToEnd()}");
        Assert.NotEqual("0", f[2]);   // the client's guid, as rmw_cyclonedds' header carries it
        // the first request (seq 1) asks for reset.all and nothing else: no pause, no step, no seed, no run-to time
        Assert.Equal("request guid G seq 1 pause 0 step 0 multi_step 0 reset 1 0 0 seed 0 run_to 0 0", string.Join(' ', f.Select((x, i) => i == 2 ? "G" : x)));
    }

    [Fact]
    public void A_plain_c_ros2_tool_decodes_the_detections_we_write()
    {
        int d = TestBus.NewDomain();
        using var peer = StartPeer(d.ToString(CultureInfo.InvariantCulture), "10", "/detections", "detections");
        using var dds = new DdsParticipant(d, DdsParticipant.LoopbackConfig());
        using var writer = new Ros2DetectionWriter(dds, "/detections", "world", positionStd: 0.005);
        var q = Quat.FromAxisAngle(Vec3.UnitZ, 0.7);
        Detection[] frame =
        [
            new("red_cube", 0.875, new Pose(new Vec3(0.41, -0.12, 0.425), q), new Vec3(0.04, 0.05, 0.06)),
            new("bin", 1.0, new Pose(new Vec3(0.55, 0.25, 0.40), Quat.Identity), new Vec3(0.2, 0.16, 0.08)),
        ];
        const long stamp = 1_765_000_000_123_456_789L;
        TestBus.WaitUntil(() => DdsParticipant.Matched(writer.Writer, true) > 0, "the peer's reader to match");
        for (int i = 0; i < 8 && !peer.HasExited; i++)
        {
            Assert.True(writer.Write(stamp, frame) >= 0);
            Thread.Sleep(20);
        }
        string output = peer.StandardOutput.ReadToEnd();
        peer.WaitForExit();
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 3, $"peer output: {output} {peer.StandardError.ReadToEnd()}");
        var head = lines[0].Split(' ');
        Assert.Equal("5", head[1]);
        Assert.Equal("world", head[3]);
        Assert.Equal(stamp.ToString(CultureInfo.InvariantCulture), head[5]);
        Assert.Equal("2", head[7]);
        for (int k = 0; k < 2; k++)
        {
            var x = lines[k + 1].Split(' ');
            string S(string key, int offset = 0) => x[Array.IndexOf(x, key) + 1 + offset];
            double At(string key, int offset = 0) => double.Parse(S(key, offset), CultureInfo.InvariantCulture);
            var e = frame[k];
            Assert.Equal("1", S("hyps"));
            Assert.Equal(e.ClassId, S("class"));
            Assert.Equal(e.ClassId, S("id"));
            Assert.Equal(e.Score, At("score"));
            double[] pose = [e.Pose.Position.X, e.Pose.Position.Y, e.Pose.Position.Z, e.Pose.Orientation.X, e.Pose.Orientation.Y, e.Pose.Orientation.Z, e.Pose.Orientation.W];
            for (int i = 0; i < 7; i++)
            {
                Assert.Equal(pose[i], At("pose", i));
                Assert.Equal(pose[i], At("bbox", i)); // the box is centred on the pose
            }
            for (int i = 0; i < 3; i++) Assert.Equal(0.005 * 0.005, At("cov", i), 15);
            Assert.Equal(0, At("coff"));
            Assert.Equal(e.Size.X, At("size"));
            Assert.Equal(e.Size.Y, At("size", 1));
            Assert.Equal(e.Size.Z, At("size", 2));
            Assert.Equal("world", S("dframe"));
            Assert.Equal(stamp.ToString(CultureInfo.InvariantCulture), S("dstamp"));
        }
    }
}
