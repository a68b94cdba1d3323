using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using CortexBot.Brainstem.Ros2.Tests;
using Xunit.Abstractions;

namespace CortexBot.Sim.Ros2.Tests;

/// <summary>
/// `cortexbot bench ros2-episodes` as users run it: a process that starts `sim serve --as-robot` and `run` processes of its
/// own. One real episode per path gives real numbers; Ctrl-C and SIGTERM mid-episode leave no process behind.
/// Slow (real-time episodes), so alone and one at a time like the other two-process tests.
/// </summary>
[Collection("two-process")]
public sealed partial class EpisodeBenchTests(ITestOutputHelper output)
{
    // the bench takes 16 domains from the first it is given; this collection runs alone, so they cannot clash with others
    private static int FirstDomain() => TestBus.NewDomain() - 30;

    [Fact]
    public void One_topic_episode_gives_real_numbers_against_the_embedded_baseline_and_leaves_no_process()
    {
        using var bench = TestBus.StartCli($"bench ros2-episodes --episodes 1 --interfaces topic --first-seed 1 --ros-domain {FirstDomain()} --json");
        var stdout = bench.StandardOutput.ReadToEndAsync();
        var stderr = bench.StandardError.ReadToEndAsync();
        var seen = WatchDescendants(bench, TimeSpan.FromMinutes(4));
        string diag = $"exit {bench.ExitCode}\nstdout: {stdout.Result}\nstderr: {stderr.Result}";
        output.WriteLine(diag);
        Assert.True(bench.ExitCode == 0, diag);

        using var doc = JsonDocument.Parse(stdout.Result);
        var root = doc.RootElement;
        Assert.Equal(1, root.GetProperty("episodes").GetInt32());
        Assert.Equal(0.0, root.GetProperty("detection_noise_m").GetDouble());
        var baseline = root.GetProperty("baseline");
        Assert.Equal("embedded", baseline.GetProperty("interface").GetString());
        Assert.Equal(1, baseline.GetProperty("episodes").GetInt32());
        Assert.Equal(1, baseline.GetProperty("successes").GetInt32());
        var topic = Assert.Single(root.GetProperty("interfaces").EnumerateArray().ToList());
        Assert.Equal("topic", topic.GetProperty("interface").GetString());
        Assert.Equal(1, topic.GetProperty("episodes").GetInt32());
        Assert.True(topic.GetProperty("successes").GetInt32() == 1, diag);
        Assert.Equal(1.0, topic.GetProperty("success_rate").GetDouble());
        Assert.Equal(1.0, topic.GetProperty("success_rate_ratio").GetDouble());
        // one whole trajectory per motion segment: a handful, not one per tick
        double messages = topic.GetProperty("messages_p50").GetDouble();
        Assert.InRange(messages, 1, 50);
        double track = topic.GetProperty("tracking_error_p99_rad_p50").GetDouble();
        Assert.InRange(track, 1e-5, 0.5);
        Assert.Equal(Math.Round(track / baseline.GetProperty("tracking_error_p99_rad_p50").GetDouble(), 2), topic.GetProperty("tracking_error_p50_ratio").GetDouble());
        Assert.InRange(topic.GetProperty("robot_time_p50_s").GetDouble(), 1, 60);
        Assert.Empty(topic.GetProperty("failures").EnumerateArray());

        // the episode's own record: the node's counters saw what the run sent, on the domain it was given
        var samples = root.GetProperty("samples").EnumerateArray().ToList();
        Assert.Equal(2, samples.Count);
        var episode = samples.Single(s => s.GetProperty("interface").GetString() == "topic");
        var node = episode.GetProperty("node");
        Assert.True(node.GetProperty("trajectories").GetInt64() >= episode.GetProperty("messages").GetInt64(), diag);
        Assert.True(node.GetProperty("detection_frames").GetInt64() > 10, diag);
        Assert.Equal(0, node.GetProperty("rejected").GetInt64());
        Assert.Equal(JsonValueKind.Null, samples.Single(s => s.GetProperty("interface").GetString() == "embedded").GetProperty("node").ValueKind);

        // the baseline's run, the node and the ROS 2 run: three children, all gone
        Assert.True(seen.Count >= 3, $"children seen: {string.Join("; ", seen.Values)}");
        Assert.Contains(seen.Values, c => c.Contains("sim serve --as-robot", StringComparison.Ordinal));
        Assert.Contains(seen.Values, c => c.Contains("run --robot ros2", StringComparison.Ordinal));
        Assert.Contains(seen.Values, c => c.Contains("run --robot sim", StringComparison.Ordinal));
        AssertAllGone(seen);
    }

    [Theory]
    [InlineData(2)]   // SIGINT, as Ctrl-C sends it
    [InlineData(15)]  // SIGTERM, as `timeout` or a CI runner sends it
    public void A_signal_mid_episode_ends_the_bench_and_every_child(int signal)
    {
        using var bench = TestBus.StartCli($"bench ros2-episodes --episodes 3 --interfaces topic --ros-domain {FirstDomain()}");
        var stdout = bench.StandardOutput.ReadToEndAsync();
        var stderr = bench.StandardError.ReadToEndAsync();
        var seen = new Dictionary<int, string>();
        var sw = Stopwatch.StartNew();
        // wait for the episode over DDS: the node and the ROS 2 run both alive
        while (!(seen.Values.Any(c => c.Contains("sim serve", StringComparison.Ordinal)) && seen.Values.Any(c => c.Contains("run --robot ros2", StringComparison.Ordinal))))
        {
            // (messages built only on failure: stderr.Result waits for the bench's end)
            if (bench.HasExited) Assert.Fail($"the bench exited early: {stderr.Result}");
            if (sw.Elapsed > TimeSpan.FromMinutes(2)) Assert.Fail($"no episode over DDS started; children seen: {string.Join("; ", seen.Values)}");
            foreach (var (pid, cmd) in Descendants(bench.Id)) seen[pid] = cmd;
            Thread.Sleep(100);
        }
        Thread.Sleep(1000); // well inside the episode
        foreach (var (pid, cmd) in Descendants(bench.Id)) seen[pid] = cmd;
        Assert.Equal(0, SendSignal(bench.Id, signal));
        Assert.True(bench.WaitForExit(TimeSpan.FromSeconds(20)), "the bench did not exit within 20 s of the signal");
        bench.WaitForExit();
        output.WriteLine($"exit {bench.ExitCode}\nstdout: {stdout.Result}\nstderr: {stderr.Result}\nchildren: {string.Join("; ", seen.Values)}");
        Assert.Equal(130, bench.ExitCode);
        Assert.Equal("", stdout.Result);
        Assert.EndsWith("cancelled", stderr.Result.TrimEnd(), StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr.Result, StringComparison.Ordinal);
        AssertAllGone(seen);
    }

    /// <summary>Records every descendant of <paramref name="root"/> (pid and command line) until it exits.</summary>
    private static Dictionary<int, string> WatchDescendants(Process root, TimeSpan limit)
    {
        var seen = new Dictionary<int, string>();
        var sw = Stopwatch.StartNew();
        while (!root.WaitForExit(100))
        {
            foreach (var (pid, cmd) in Descendants(root.Id)) seen[pid] = cmd;
            if (sw.Elapsed > limit)
            {
                root.Kill(entireProcessTree: true);
                throw new TimeoutException($"the bench did not finish within {limit.TotalMinutes} minutes");
            }
        }
        root.WaitForExit();
        return seen;
    }

    private static void AssertAllGone(Dictionary<int, string> seen)
    {
        // a pid may be reused by an unrelated process: gone means no process with that pid runs that command line
        var sw = Stopwatch.StartNew();
        List<string> alive;
        do
        {
            alive = [.. seen.Where(kv => CommandLine(kv.Key) == kv.Value).Select(kv => $"{kv.Key}: {kv.Value}")];
            if (alive.Count == 0) return;
            Thread.Sleep(100);
        } while (sw.Elapsed < TimeSpan.FromSeconds(5));
        Assert.Fail($"left behind: {string.Join("; ", alive)}");
    }

    /// <summary>All processes below <paramref name="root"/> in the process tree, from /proc.</summary>
    private static List<(int Pid, string Command)> Descendants(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                parents[pid] = int.Parse(fields[1]);   // state, then ppid
            }
            catch (IOException) { }          // exited meanwhile
            catch (UnauthorizedAccessException) { }
        }
        var result = new List<(int, string)>();
        var frontier = new Queue<int>([root]);
        while (frontier.TryDequeue(out int p))
            foreach (var (child, parent) in parents)
                if (parent == p && CommandLine(child) is { } cmd)
                {
                    result.Add((child, cmd));
                    frontier.Enqueue(child);
                }
        return result;
    }

    private static string? CommandLine(int pid)
    {
        try
        {
            var raw = File.ReadAllText($"/proc/{pid}/cmdline");
            return raw.Length == 0 ? null : raw.TrimEnd('\0').Replace('\0', ' ');   // a zombie has none
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    [LibraryImport("libc", EntryPoint = "kill")]
    private static partial int SendSignal(int pid, int signal);
}

/// <summary>
/// The tests that run `cortexbot` episodes as real-time processes: alone and one at a time, after the others (two such
/// processes at once on two cores starve each other's control loops).
/// </summary>
[CollectionDefinition("two-process", DisableParallelization = true)]
public sealed class TwoProcessCollection;
