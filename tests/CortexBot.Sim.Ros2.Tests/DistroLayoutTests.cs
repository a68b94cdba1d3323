using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using CortexBot.Brainstem.Ros2;
using CortexBot.Brainstem.Ros2.Tests;
using CortexBot.Cli.Commands;
using CortexBot.Core;
using CortexBot.Sim.MuJoCo;
using Xunit.Abstractions;

namespace CortexBot.Sim.Ros2.Tests;

/// <summary>
/// Where ROS 2 distributions differ on the wire (--ros-distro, default ROS_DISTRO): the graph's rmw_dds_common/Gid
/// (Humble char[24], Iron on char[16]), endpoint type hashes (Iron on), control_msgs/JointTrajectoryControllerState
/// (control_msgs 4.x in Humble, 5.x in Jazzy). Each layout is decoded by the plain C peer with that distribution's IDL.
/// </summary>
public sealed class DistroLayoutTests(ITestOutputHelper output)
{
    private static (string Stdout, string Stderr) RunPeer(params string[] args)
    {
        var exe = Path.Combine(AppContext.BaseDirectory, "ros2_peer");
        Assert.True(File.Exists(exe), "ros2_peer is built with this test project");
        var psi = new ProcessStartInfo(exe) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        using var peer = Process.Start(psi)!;
        var err = peer.StandardError.ReadToEndAsync();
        var stdout = peer.StandardOutput.ReadToEnd();
        Assert.True(peer.WaitForExit(TimeSpan.FromSeconds(90)), "the peer exits");
        return (stdout, err.Result);
    }

    [Fact]
    public void Under_ROS_DISTRO_humble_sim_serve_is_listed_with_humbles_24_byte_gids_and_no_type_hashes()
    {
        int d = TestBus.NewDomain();
        using var node = TestBus.StartCli($"sim serve --ros-domain {d} --ros-loopback --no-camera --duration 60", rosDistro: "humble");
        var nodeErr = node.StandardError.ReadToEndAsync();
        try
        {
            var (stdout, stderr) = RunPeer(d.ToString(CultureInfo.InvariantCulture), "40", "humble", "graph", "cortexbot_sim");
            string diag = $"peer: {stdout} {stderr}";
            output.WriteLine(diag);
            var n = TestBus.ParseNode(stdout.Trim());
            Assert.True(n["found"] == "1", diag);
            Assert.Equal("24", n["gidbytes"]);
            Assert.True(n["gidtailnonzero"] == "0", $"the 8 bytes after the GUID are zero, as rmw_cyclonedds leaves them ({diag})");
            // the first 16 bytes of every GID are its entity's DDS GUID: every listed reader/writer is a real endpoint
            Assert.True(n["unmatched"] == "0" && n["unlisted"] == "0", diag);
            Assert.Contains("rt/joint_states,", n["topics"], StringComparison.Ordinal);
            Assert.True(n["jsuserdata"] == "-", $"Humble's rmw_cyclonedds announces no type hash ({diag})");

            // Iron's layout does not read it (one Gid is 16 bytes there): nothing is listed
            var (iron, _) = RunPeer(d.ToString(CultureInfo.InvariantCulture), "3", "-", "graph", "cortexbot_sim");
            Assert.Equal("0", TestBus.ParseNode(iron.Trim())["found"]);
        }
        finally
        {
            if (!node.HasExited) node.Kill(entireProcessTree: true);
            node.WaitForExit();
            output.WriteLine(nodeErr.Result);
        }
    }

    [Fact]
    public void A_jazzy_node_publishes_control_msgs_5_controller_state_a_jazzy_reader_decodes()
    {
        using var world = MuJoCoWorld.OpenDefault();
        int d = TestBus.NewDomain();
        var o = TestBus.Options(d) with { Distro = RosDistro.Jazzy, ControllerStateRateHz = 50 };
        using var node = new Ros2SimNode(world, o, 250, seed: 1);
        using var cts = new CancellationTokenSource();
        var t = new Thread(() => node.Run(cts.Token)) { IsBackground = true };
        t.Start();
        try
        {
            var (stdout, stderr) = RunPeer(d.ToString(CultureInfo.InvariantCulture), "20", o.Controller, "listen-jazzy");
            string diag = $"peer: {stdout} {stderr}";
            output.WriteLine(diag);
            var f = stdout.Trim().Split(' ')[1..]; // "state count N joints .." 
            var kv = new Dictionary<string, string>();
            for (int i = 0; i + 1 < f.Length; i += 2) kv[f[i]] = f[i + 1];
            Assert.True(long.Parse(kv["count"], CultureInfo.InvariantCulture) >= 20, diag);
            Assert.Equal(string.Join(',', MuJoCoWorld.ArmJoints), kv["joints"]);
            Assert.Equal("1", kv["lengths"]);
            Assert.Equal(0.0, double.Parse(kv["maxerr"], CultureInfo.InvariantCulture)); // error = reference - feedback, exactly
            Assert.Equal("1", kv["multidof_empty"]);
            Assert.Equal(1.0, double.Parse(kv["speed"], CultureInfo.InvariantCulture)); // the last field of 5.x: nothing scales the speed
        }
        finally
        {
            cts.Cancel();
            t.Join();
        }
        Assert.True(node.Counters.ControllerStates > 20);
    }

    [Fact]
    public void The_distro_is_the_flag_else_ROS_DISTRO_and_an_unknown_one_is_refused_by_name()
    {
        var ros = new Ros2CliOptions("cortexbot");
        var cmd = new RootCommand();
        foreach (var option in ros.All) cmd.Options.Add(option);
        Assert.Equal(RosDistro.Humble, ros.Build(cmd.Parse(["--ros-distro", "humble"])).Distro);
        Assert.Equal(RosDistro.Jazzy, ros.Build(cmd.Parse(["--ros-distro", "jazzy"])).Distro);
        var e = Assert.Throws<ConfigurationException>(() => ros.Build(cmd.Parse(["--ros-distro", "foxy"])));
        Assert.Equal("--ros-distro must be 'humble' or 'jazzy', got 'foxy'", e.Message);
        Assert.Equal(RosDistro.Jazzy, Ros2Options.ParseDistro("Jazzy"));

        // a launch environment on a distribution without layouts here: the process says what to do and exits 2
        int d = TestBus.NewDomain();
        using var p = TestBus.StartCli($"sim serve --ros-domain {d} --ros-loopback --no-camera --duration 1", rosDistro: "rolling");
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(2, p.ExitCode);
        Assert.Contains("ROS_DISTRO is 'rolling'", err, StringComparison.Ordinal);
        Assert.Contains("--ros-distro humble or --ros-distro jazzy", err, StringComparison.Ordinal);
        // ... and the flag overrides it
        using var q = TestBus.StartCli($"sim serve --ros-distro jazzy --ros-domain {d} --ros-loopback --no-camera --duration 1", rosDistro: "rolling");
        var qerr = q.StandardError.ReadToEnd();
        q.WaitForExit();
        Assert.True(q.ExitCode == 0, qerr);
    }
}
