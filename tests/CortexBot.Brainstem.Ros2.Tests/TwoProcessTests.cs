using System.Diagnostics;
using System.Text.Json;

namespace CortexBot.Brainstem.Ros2.Tests;

/// <summary>
/// The simulator node and CortexBot as two processes on a loopback-only DDS domain: `cortexbot sim serve` and
/// `cortexbot run --robot ros2 --json` complete the default task over the wire with the usual run contract.
/// </summary>
public sealed class TwoProcessTests
{
    private static string Cli => Path.Combine(AppContext.BaseDirectory, "cortexbot.dll");

    private static Process Start(string args, bool redirectStdout)
    {
        var psi = new ProcessStartInfo("dotnet", $"\"{Cli}\" {args}")
        {
            RedirectStandardOutput = redirectStdout,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.Environment.Remove("CYCLONEDDS_URI");
        return Process.Start(psi)!;
    }

    [Fact]
    public void Sim_node_and_cortexbot_complete_the_default_task_over_dds()
    {
        Assert.True(File.Exists(Cli), $"{Cli} is built with this test project");
        int d = TestBus.NewDomain();
        var memory = Path.Combine(Path.GetTempPath(), $"cortexbot-ros2-e2e-{Guid.NewGuid():N}.db");
        var nodeErr = new System.Text.StringBuilder();
        using var node = Start($"sim serve --ros-domain {d} --ros-loopback --rate 500 --duration 120 -v", redirectStdout: false);
        node.ErrorDataReceived += (_, e) => { lock (nodeErr) nodeErr.AppendLine(e.Data); };
        node.BeginErrorReadLine();
        try
        {
            using var run = Start($"run --robot ros2 --ros-domain {d} --ros-loopback --stale-ms 250 --task \"put the red cube in the bin\" " +
                $"--seed 1 --json --memory \"{memory}\"", redirectStdout: true);
            var stderr = run.StandardError.ReadToEndAsync();
            var stdout = run.StandardOutput.ReadToEnd();
            Assert.True(run.WaitForExit(TimeSpan.FromMinutes(3)), "the run finishes");
            // the node prints its counters every second: let the last messages show up
            Thread.Sleep(1500);
            var log = Snapshot(nodeErr);
            string diag = $"exit {run.ExitCode}\nstdout: {stdout}\nstderr: {stderr.Result}\nsim serve: {log}";
            Assert.True(run.ExitCode == 0, diag);
            using var json = JsonDocument.Parse(stdout);
            var ep = json.RootElement.GetProperty("episodes")[0];
            Assert.True(ep.GetProperty("success").GetBoolean(), diag);
            Assert.Equal(1.0, json.RootElement.GetProperty("success_rate").GetDouble());
            var control = json.RootElement.GetProperty("control");
            Assert.Equal("realtime", control.GetProperty("pacing").GetString());
            // one JointTrajectory message per motion segment, none per tick
            long motions = control.GetProperty("trajectories").GetInt64();
            Assert.True(motions >= 6, diag); // pick and place: approach, descend, lift, carry, lower, retreat at least
            Assert.Equal(motions, TopicTrajectories(log));
            Assert.Equal(0, Goals(log, "accepted"));
        }
        finally
        {
            if (!node.HasExited) node.Kill();
            node.WaitForExit();
            foreach (var f in new[] { memory, memory + "-wal", memory + "-shm" }) if (File.Exists(f)) File.Delete(f);
        }
    }

    private static long Goals(string nodeLog, string which)
    {
        var m = System.Text.RegularExpressions.Regex.Matches(nodeLog, @"goals (\d+) accepted / (\d+) rejected");
        return m.Count == 0 ? 0 : long.Parse(m[^1].Groups[which == "accepted" ? 1 : 2].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void Sim_node_and_cortexbot_complete_the_default_task_over_the_follow_joint_trajectory_action()
    {
        int d = TestBus.NewDomain();
        var memory = Path.Combine(Path.GetTempPath(), $"cortexbot-ros2-e2e-{Guid.NewGuid():N}.db");
        var nodeErr = new System.Text.StringBuilder();
        using var node = Start($"sim serve --ros-domain {d} --ros-loopback --rate 500 --duration 120 -v", redirectStdout: false);
        node.ErrorDataReceived += (_, e) => { lock (nodeErr) nodeErr.AppendLine(e.Data); };
        node.BeginErrorReadLine();
        try
        {
            using var run = Start($"run --robot ros2 --trajectory-interface action --ros-domain {d} --ros-loopback --stale-ms 250 " +
                $"--task \"put the red cube in the bin\" --seed 1 --json --memory \"{memory}\"", redirectStdout: true);
            var stderr = run.StandardError.ReadToEndAsync();
            var stdout = run.StandardOutput.ReadToEnd();
            Assert.True(run.WaitForExit(TimeSpan.FromMinutes(3)), "the run finishes");
            // the node prints its counters every second: let the last goals show up
            Thread.Sleep(1500);
            var log = Snapshot(nodeErr);
            string diag = $"exit {run.ExitCode}\nstdout: {stdout}\nstderr: {stderr.Result}\nsim serve: {log}";
            Assert.True(run.ExitCode == 0, diag);
            using var json = JsonDocument.Parse(stdout);
            Assert.True(json.RootElement.GetProperty("episodes")[0].GetProperty("success").GetBoolean(), diag);
            // one goal per motion segment executed, none per tick
            long motions = json.RootElement.GetProperty("control").GetProperty("trajectories").GetInt64();
            Assert.True(motions >= 6, diag);
            Assert.Equal(motions, Goals(log, "accepted"));
            Assert.Equal(0, Goals(log, "rejected"));
            // nothing went over the topic
            var topic = System.Text.RegularExpressions.Regex.Matches(log, @"trajectories (\d+), rejected");
            Assert.NotEmpty(topic);
            Assert.Equal("0", topic[^1].Groups[1].Value);
        }
        finally
        {
            if (!node.HasExited) node.Kill();
            node.WaitForExit();
            foreach (var f in new[] { memory, memory + "-wal", memory + "-shm" }) if (File.Exists(f)) File.Delete(f);
        }
    }

    private static long TopicTrajectories(string nodeLog)
    {
        var m = System.Text.RegularExpressions.Regex.Matches(nodeLog, @"trajectories (\d+), rejected");
        return m.Count == 0 ? -1 : long.Parse(m[^1].Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void A_tolerance_abort_from_the_controller_becomes_an_anomaly_and_the_cortex_replans()
    {
        int d = TestBus.NewDomain();
        var memory = Path.Combine(Path.GetTempPath(), $"cortexbot-ros2-e2e-{Guid.NewGuid():N}.db");
        var nodeErr = new System.Text.StringBuilder();
        using var node = Start($"sim serve --ros-domain {d} --ros-loopback --rate 500 --duration 120 -v", redirectStdout: false);
        node.ErrorDataReceived += (_, e) => { lock (nodeErr) nodeErr.AppendLine(e.Data); };
        node.BeginErrorReadLine();
        try
        {
            // a path tolerance of 0.2 mrad: the simulated servos lag every motion by more, so the controller aborts each goal
            using var run = Start($"run --robot ros2 --trajectory-interface action --path-tolerance 0.0002 --ros-domain {d} --ros-loopback --stale-ms 250 " +
                $"--task \"put the red cube in the bin\" --seed 1 --json --memory \"{memory}\"", redirectStdout: true);
            var stderr = run.StandardError.ReadToEndAsync();
            var stdout = run.StandardOutput.ReadToEnd();
            Assert.True(run.WaitForExit(TimeSpan.FromMinutes(3)), "the run finishes");
            Thread.Sleep(1500);
            var log = Snapshot(nodeErr);
            string diag = $"exit {run.ExitCode}\nstdout: {stdout}\nstderr: {stderr.Result}\nsim serve: {log}";
            Assert.True(run.ExitCode == 1, diag);
            using var json = JsonDocument.Parse(stdout);
            var ep = json.RootElement.GetProperty("episodes")[0];
            Assert.False(ep.GetProperty("success").GetBoolean(), diag);
            Assert.Contains("PATH_TOLERANCE_VIOLATED", ep.GetProperty("failure").GetString(), StringComparison.Ordinal);
            // the first plan and a replan after each abort, up to the bound (2)
            Assert.Equal(3, ep.GetProperty("anomalies").GetInt32());
            Assert.Equal(3, json.RootElement.GetProperty("cortex").GetProperty("plans").GetInt32());
            // the aborted goals are the only goals: each replan's first motion, aborted at once
            Assert.Equal(3, Goals(log, "accepted"));
        }
        finally
        {
            if (!node.HasExited) node.Kill();
            node.WaitForExit();
            foreach (var f in new[] { memory, memory + "-wal", memory + "-shm" }) if (File.Exists(f)) File.Delete(f);
        }
    }

    [Theory]
    [InlineData("--trajectory-interface bogus", "--trajectory-interface must be one of topic, action, got 'bogus'")]
    [InlineData("--trajectory-interface action --command-interface forward", "needs --command-interface trajectory")]
    [InlineData("--trajectory-interface action --path-tolerance -0.5", "--path-tolerance must be a joint position error in radians")]
    [InlineData("--trajectory-interface action --goal-tolerance 7", "--goal-tolerance must be a joint position error in radians")]
    [InlineData("--trajectory-interface action --goal-time-tolerance -1", "--goal-time-tolerance must be between 0 and 60 s, got -1")]
    public void Bad_trajectory_interface_flags_are_clear_errors(string flags, string message)
    {
        using var run = Start($"run --robot ros2 {flags} --ros-loopback --task \"put the red cube in the bin\" --json", redirectStdout: true);
        var stderr = run.StandardError.ReadToEndAsync();
        var stdout = run.StandardOutput.ReadToEndAsync();
        Assert.True(run.WaitForExit(TimeSpan.FromMinutes(1)), "the run finishes");
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, stderr.Result + stdout.Result, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr.Result, StringComparison.Ordinal); // no stack trace
    }

    private static string Snapshot(System.Text.StringBuilder sb) { lock (sb) return sb.ToString(); }

    private static long Trajectories(string nodeLog)
    {
        var m = System.Text.RegularExpressions.Regex.Matches(nodeLog, @"trajectories (\d+), rejected \d+, resets 1");
        return m.Count == 0 ? 0 : long.Parse(m[^1].Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void When_the_sim_node_dies_mid_task_cortexbot_holds_and_fails_the_episode_cleanly()
    {
        int d = TestBus.NewDomain();
        var memory = Path.Combine(Path.GetTempPath(), $"cortexbot-ros2-e2e-{Guid.NewGuid():N}.db");
        using var node = Start($"sim serve --ros-domain {d} --ros-loopback --rate 500 --duration 120 -v", redirectStdout: false);
        var nodeErr = new System.Text.StringBuilder();
        node.ErrorDataReceived += (_, e) => { lock (nodeErr) nodeErr.AppendLine(e.Data); };
        node.BeginErrorReadLine();
        try
        {
            using var run = Start($"run --robot ros2 --ros-domain {d} --ros-loopback --task \"put the red cube in the bin\" " +
                $"--seed 1 --json --memory \"{memory}\"", redirectStdout: true);
            var stderr = run.StandardError.ReadToEndAsync();
            var stdoutTask = run.StandardOutput.ReadToEndAsync();
            // a few motions into the task (the node's counters, printed every second), the robot disappears (SIGKILL)
            TestBus.WaitUntil(() => run.HasExited || Trajectories(Snapshot(nodeErr)) >= 2,
                "the arm to move", 60);
            node.Kill();
            var stdout = stdoutTask.Result;
            Assert.True(run.WaitForExit(TimeSpan.FromMinutes(2)), "the run finishes");
            string diag = $"exit {run.ExitCode}\nstdout: {stdout}\nstderr: {stderr.Result}\nsim serve (domain {d}): {nodeErr}";
            Assert.True(run.ExitCode == 1, diag);
            using var json = JsonDocument.Parse(stdout);
            var ep = json.RootElement.GetProperty("episodes")[0];
            Assert.False(ep.GetProperty("success").GetBoolean(), diag);
            Assert.Contains("joint state missing", ep.GetProperty("failure").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            if (!node.HasExited) node.Kill();
            node.WaitForExit();
            foreach (var f in new[] { memory, memory + "-wal", memory + "-shm" }) if (File.Exists(f)) File.Delete(f);
        }
    }
}
