using System.Diagnostics;
using System.Globalization;
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
}
