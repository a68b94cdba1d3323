using System.Diagnostics;
using System.Text.Json;
using CortexBot.Core.Ports;
using CortexBot.Sim.MuJoCo;
using Xunit.Abstractions;

namespace CortexBot.Brainstem.Ros2.Tests;

/// <summary>
/// The real-robot path without a real robot: `cortexbot sim serve --as-robot` offers only what a ros2_control arm with a
/// perception node offers (joint states, the trajectory controller, detections; no reset, no scene topic), and
/// `cortexbot run --robot ros2 --reset none` completes the task from detections alone, as two processes over loopback DDS.
/// Slow (a real-time episode each), like <see cref="TwoProcessTests"/>, and in their collection.
/// </summary>
[Collection("two-process")]
public sealed class AsRobotTwoProcessTests(ITestOutputHelper output)
{
    private sealed record Run(int ExitCode, string Stdout, string Stderr, string Node);

    /// <summary>Starts `sim serve --as-robot` with <paramref name="nodeFlags"/>, then `run` with <paramref name="runFlags"/>;
    /// <paramref name="whileRunning"/> is called every 20 ms until the run exits.</summary>
    private static Run Episode(int domain, string nodeFlags, string runFlags, Action? whileRunning = null)
    {
        var memory = Path.Combine(Path.GetTempPath(), $"cortexbot-ros2-asrobot-{Guid.NewGuid():N}.db");
        var nodeErr = new System.Text.StringBuilder();
        using var node = TestBus.StartCli($"sim serve --as-robot --ros-domain {domain} --ros-loopback --rate 500 --duration 150 --seed 1 {nodeFlags}");
        node.ErrorDataReceived += (_, e) => { lock (nodeErr) nodeErr.AppendLine(e.Data); };
        node.BeginErrorReadLine();
        node.BeginOutputReadLine();
        try
        {
            // the default split: the robot part in the run's robot node child, its perception counters crossing in its status
            using var run = TestBus.StartCli($"run --robot ros2 --ros-domain {domain} --ros-loopback --stale-ms 250 --task \"put the red cube in the bin\" " +
                $"--seed 1 --json --memory \"{memory}\" {runFlags}");
            var stderr = run.StandardError.ReadToEndAsync();
            var stdout = run.StandardOutput.ReadToEndAsync();
            var sw = Stopwatch.StartNew();
            while (!run.WaitForExit(20))
            {
                whileRunning?.Invoke();
                if (sw.Elapsed > TimeSpan.FromMinutes(3)) { run.Kill(); throw new TimeoutException("the run did not finish within 3 minutes"); }
            }
            run.WaitForExit();
            string log;
            lock (nodeErr) log = nodeErr.ToString();
            return new Run(run.ExitCode, stdout.Result, stderr.Result, log);
        }
        finally
        {
            if (!node.HasExited) node.Kill();
            node.WaitForExit();
            foreach (var f in new[] { memory, memory + "-wal", memory + "-shm" }) if (File.Exists(f)) File.Delete(f);
        }
    }

    private void AssertSucceededFromDetections(Run r, string reset)
    {
        string diag = $"exit {r.ExitCode}\nstdout: {r.Stdout}\nstderr: {r.Stderr}\nsim serve: {r.Node}";
        output.WriteLine(diag);
        Assert.True(r.ExitCode == 0, diag);
        using var json = JsonDocument.Parse(r.Stdout);
        var root = json.RootElement;
        Assert.True(root.GetProperty("episodes")[0].GetProperty("success").GetBoolean(), diag);
        var world = root.GetProperty("world");
        Assert.Equal(reset, world.GetProperty("reset").GetString());
        Assert.Equal("detections", world.GetProperty("perception").GetString());
        // counted in the run's robot node child and carried across the wire in its status
        Assert.True(root.GetProperty("robot_node").GetProperty("child").GetBoolean(), diag);
        // the scene came from the node's detection frames: the cubes known, the bin recognised as the fixture it is
        var det = world.GetProperty("detections");
        Assert.True(det.GetProperty("frames_accepted").GetInt64() > 10, diag);
        Assert.True(det.GetProperty("fixture_detections").GetInt64() > 10, diag);
        Assert.Equal(0, det.GetProperty("unknown_detections").GetInt64());
        Assert.Equal(0, det.GetProperty("frames_refused_stale").GetInt64());
    }

    [Fact]
    public void Reset_none_completes_the_task_from_detections_alone()
    {
        var r = Episode(TestBus.NewDomain(), "", "--reset none");
        AssertSucceededFromDetections(r, "none");
        using var json = JsonDocument.Parse(r.Stdout);
        Assert.Contains("no simulator node on ROS domain", json.RootElement.GetProperty("world").GetProperty("reason").GetString());
    }

    [Fact]
    public void Reset_none_still_succeeds_with_5_mm_detection_noise()
    {
        var r = Episode(TestBus.NewDomain(), "--detection-noise 0.005", "--reset none");
        AssertSucceededFromDetections(r, "none");
    }

    [Fact]
    public void By_default_a_robot_without_a_simulator_node_starts_home_and_perceives_detections()
    {
        var r = Episode(TestBus.NewDomain(), "", "");
        AssertSucceededFromDetections(r, "home");
    }

    [Fact]
    public void The_learned_skill_completes_the_task_over_ros2_from_noisy_detections()
    {
        // the policy observes its object every tick through the perceived scene's object poses
        var r = Episode(TestBus.NewDomain(), "--detection-noise 0.005", "--reset none --perception detections --learned");
        AssertSucceededFromDetections(r, "none");
        using var json = JsonDocument.Parse(r.Stdout);
        Assert.Equal("learned_pick_place(red_cube, bin)", json.RootElement.GetProperty("episodes")[0].GetProperty("plan")[0].GetString());
        Assert.Equal("as given", json.RootElement.GetProperty("world").GetProperty("reason").GetString());
    }

    [Fact]
    public void Reset_gazebo_resets_the_world_through_its_control_service_before_each_of_two_episodes()
    {
        // the node plays Gazebo behind the robot: /world/cortexbot_tabletop/control resets the world to its initial state
        var r = Episode(TestBus.NewDomain(), "--gazebo-control cortexbot_tabletop --verbose",
            "--reset gazebo --perception detections --episodes 2");
        AssertSucceededFromDetections(r, "gazebo");
        using var json = JsonDocument.Parse(r.Stdout);
        var episodes = json.RootElement.GetProperty("episodes");
        Assert.Equal(2, episodes.GetArrayLength());
        string diag = $"stdout: {r.Stdout}\nstderr: {r.Stderr}\nsim serve: {r.Node}";
        // the second episode started from the reset world: the red cube back on the table, picked and placed again
        foreach (var e in episodes.EnumerateArray())
        {
            Assert.True(e.GetProperty("success").GetBoolean(), diag);
            Assert.Equal("pick(red_cube)", e.GetProperty("plan")[0].GetString());
        }
        // the node served exactly one reset per episode through the service, and the run said it was Gazebo's
        var resets = System.Text.RegularExpressions.Regex.Matches(r.Node, @"resets (\d+)").Select(m => int.Parse(m.Groups[1].Value)).ToList();
        Assert.True(resets.Count > 0, diag);
        Assert.Equal(2, resets[^1]);
        Assert.Contains("world resets only through Gazebo's control service /world/cortexbot_tabletop/control", r.Node);
        Assert.Equal("as given", json.RootElement.GetProperty("world").GetProperty("reason").GetString());
    }

    [Fact]
    public void Without_detections_the_run_fails_clearly_and_the_arm_holds()
    {
        int d = TestBus.NewDomain();
        var o = TestBus.Options(d);
        using var dds = new DdsParticipant(d, DdsParticipant.LoopbackConfig());
        var states = new Ros2JointStateReceiver(dds, o, [.. MuJoCoWorld.ArmJoints]);
        var s = new RobotStateBuffer(6);
        double[]? first = null;
        double moved = 0;
        long samples = 0;
        void Sample()
        {
            states.Drain();
            if (!states.Read(s)) return;
            samples++;
            if (first is null) { first = [.. s.Position]; return; }
            for (int j = 0; j < 6; j++) moved = Math.Max(moved, Math.Abs(s.Position[j] - first[j]));
        }

        // the perception node publishes where nobody listens: no detection ever reaches CortexBot
        var r = Episode(d, "", "--reset none --detections-topic /nobody/detections", Sample);
        output.WriteLine($"exit {r.ExitCode}\nstdout: {r.Stdout}\nstderr: {r.Stderr}");
        Assert.Equal(2, r.ExitCode);
        Assert.Equal("", r.Stdout);
        Assert.Contains("error: cannot start from the scene as it is: perception stale: no detection frame accepted from detections on /nobody/detections (waited 10 s)",
            r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);   // no stack trace
        Assert.True(samples > 100, $"{samples} joint states sampled while the run waited");
        Assert.True(moved < 2e-3, $"the arm moved {moved:F4} rad while CortexBot waited for detections");
    }
}

/// <summary>
/// The tests that run `sim serve` and `cortexbot run` as real-time processes: alone and one at a time, after the others
/// (two such pairs at once on two cores starve each other's control loops).
/// </summary>
[CollectionDefinition("two-process", DisableParallelization = true)]
public sealed class TwoProcessCollection;
