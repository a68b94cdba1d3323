using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace CortexBot.Cli.Benchmarks;

internal sealed record Ros2EpisodeBenchOptions
{
    public required string Task { get; init; }
    public int Episodes { get; init; } = 20;
    public int FirstSeed { get; init; } = 1;
    public double DetectionNoise { get; init; }
    public double DetectionRateHz { get; init; } = 15;
    public IReadOnlyList<string> Interfaces { get; init; } = Ros2EpisodeBenchmark.InterfaceNames;
    /// <summary>The first of the DDS domains the episodes take in turn (each node and run pair on a domain of its own).</summary>
    public int FirstDomain { get; init; } = 120;
    /// <summary>A run that has not exited by then is killed and counted as failed.</summary>
    public TimeSpan EpisodeTimeout { get; init; } = TimeSpan.FromMinutes(3);
}

/// <summary>
/// Episodes as a user runs them against a robot under ros2_control: per seed and command interface, `sim serve --as-robot`
/// and `run --robot ros2 --reset none` as two processes of this same CLI over loopback DDS, one episode each; the baseline is
/// `run --robot sim` on the same seed, also as a process, interleaved seed by seed so load on the machine hits both alike.
/// Every run gets a fresh memory file (no recall from earlier episodes). Children are stopped in every case: the node with
/// SIGINT (so it prints its counters), anything still alive after the grace time or on cancellation is killed.
/// </summary>
internal static class Ros2EpisodeBenchmark
{
    public static readonly string[] InterfaceNames = ["topic", "action", "forward"];
    public const int DomainSpan = 16;
    private const double NodeRateHz = 500;

    public static int MaxFirstDomain => 232 - DomainSpan + 1;

    public static async Task<Ros2EpisodeReport> RunAsync(Ros2EpisodeBenchOptions o, Action<string>? progress, CancellationToken ct)
    {
        var samples = new List<EpisodeSample>();
        using var children = new ChildProcesses();
        int pair = 0;
        for (int k = 0; k < o.Episodes; k++)
        {
            int seed = o.FirstSeed + k;
            Add(await EmbeddedAsync(o, seed, children, ct));
            foreach (var iface in o.Interfaces)
                Add(await OverDdsAsync(o, seed, iface, o.FirstDomain + pair++ % DomainSpan, children, ct));
        }
        return Ros2EpisodeReport.Summarize(o.Task, o.Episodes, o.FirstSeed, o.DetectionNoise, o.DetectionRateHz, o.Interfaces, samples);

        void Add(EpisodeSample s)
        {
            samples.Add(s);
            progress?.Invoke($"seed {s.Seed} {s.Interface}: " + (s.Success
                ? $"success in {s.RobotTimeS:0.00} s robot time" + (s.Messages is { } m ? $", {m} messages" : "") + $", tracking p99 {s.TrackingErrorP99Rad:0.0000} rad"
                : $"FAILED: {s.Failure}") + $" ({s.WallS:0.0} s wall)");
        }
    }

    private static async Task<EpisodeSample> EmbeddedAsync(Ros2EpisodeBenchOptions o, int seed, ChildProcesses children, CancellationToken ct)
    {
        // --in-process: the paths compared are the robot links; a robot node child per run would only add its start and stop
        var r = await RunEpisodeAsync(children, ["run", "--robot", "sim", "--in-process"], o, seed, ct);
        return new EpisodeSample(Ros2EpisodeReport.EmbeddedName, seed, null, r.Success, null, r.TrackingErrorP99Rad, r.RobotTimeS, r.WallS, r.Failure, null);
    }

    private static async Task<EpisodeSample> OverDdsAsync(Ros2EpisodeBenchOptions o, int seed, string iface, int domain, ChildProcesses children, CancellationToken ct)
    {
        string d = domain.ToString(CultureInfo.InvariantCulture);
        var nodeLog = new List<string>();
        // --duration: the node's own bound should this process die without stopping it
        var node = children.Start(["sim", "serve", "--as-robot", "--ros-domain", d, "--ros-loopback", "--rate", Num(NodeRateHz),
            "--duration", Num(Math.Ceiling(o.EpisodeTimeout.TotalSeconds) + 60), "--seed", Num(seed),
            "--detection-noise", Num(o.DetectionNoise), "--detection-rate", Num(o.DetectionRateHz)]);
        node.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (nodeLog) nodeLog.Add(e.Data); };
        node.OutputDataReceived += (_, _) => { };
        node.BeginErrorReadLine();
        node.BeginOutputReadLine();
        RunOutcome r;
        try
        {
            string[] command = iface switch
            {
                "topic" => ["--trajectory-interface", "topic"],
                "action" => ["--trajectory-interface", "action"],
                "forward" => ["--command-interface", "forward"],
                _ => throw new ArgumentException($"unknown interface {iface}", nameof(iface)),
            };
            r = await RunEpisodeAsync(children, ["run", "--robot", "ros2", "--in-process", "--ros-domain", d, "--ros-loopback", "--stale-ms", "250", "--reset", "none", .. command], o, seed, ct);
        }
        finally
        {
            await children.StopAsync(node, TimeSpan.FromSeconds(5));
        }
        string[] log;
        lock (nodeLog) log = [.. nodeLog];
        var counters = ParseNodeCounters(log);
        long? messages = iface == "forward" ? counters?.ForwardCommands : r.Trajectories;
        return new EpisodeSample(iface, seed, domain, r.Success, r.HasReport ? messages : null, r.TrackingErrorP99Rad, r.RobotTimeS, r.WallS, r.Failure, counters);
    }

    private sealed record RunOutcome(bool HasReport, bool Success, long? Trajectories, double? TrackingErrorP99Rad, double? RobotTimeS, double WallS, string? Failure);

    private static async Task<RunOutcome> RunEpisodeAsync(ChildProcesses children, string[] robot, Ros2EpisodeBenchOptions o, int seed, CancellationToken ct)
    {
        var memory = Path.Combine(Path.GetTempPath(), $"cortexbot-bench-episode-{Guid.NewGuid():N}.db");
        var sw = Stopwatch.StartNew();
        var run = children.Start([.. robot, "--task", o.Task, "--seed", Num(seed), "--json", "--memory", memory]);
        try
        {
            var stdout = run.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var stderr = run.StandardError.ReadToEndAsync(CancellationToken.None);
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(o.EpisodeTimeout);
            try { await run.WaitForExitAsync(limit.Token); }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                children.Kill(run);
                return new RunOutcome(false, false, null, null, null, Wall(sw), $"the run did not exit within {o.EpisodeTimeout.TotalSeconds:0} s (killed)");
            }
            run.WaitForExit();
            return ParseRun(run.ExitCode, await stdout, await stderr, Wall(sw));
        }
        finally
        {
            children.Kill(run);
            foreach (var f in new[] { memory, memory + "-wal", memory + "-shm" })
                try { File.Delete(f); } catch (IOException) { }
        }
    }

    private static double Wall(Stopwatch sw) => Math.Round(sw.Elapsed.TotalSeconds, 3);

    /// <summary>The outcome of one `run --json` (exit code, stdout, stderr): the report's numbers, or why there is none.</summary>
    private static RunOutcome ParseRun(int code, string stdout, string stderr, double wall)
    {
        string? line = stdout.Split('\n').LastOrDefault(l => l.TrimStart().StartsWith('{'));
        if (line is not null)
        {
            try
            {
                using var doc = JsonDocument.Parse(line);
                var root = doc.RootElement;
                var e = root.GetProperty("episodes")[0];
                var c = root.GetProperty("control");
                bool ok = e.GetProperty("success").GetBoolean();
                string? failure = ok ? null : e.GetProperty("failure").GetString() ?? OneLine(stderr) ?? $"failed (exit code {code})";
                return new RunOutcome(true, ok, c.GetProperty("trajectories").GetInt64(), c.GetProperty("tracking_error_p99_rad").GetDouble(),
                    e.GetProperty("duration_s").GetDouble(), wall, failure);
            }
            catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or IndexOutOfRangeException)
            {
                return new RunOutcome(false, false, null, null, null, wall, $"unreadable report ({ex.Message})");
            }
        }
        return new RunOutcome(false, false, null, null, null, wall, OneLine(stderr) ?? $"exit code {code}, no report");
    }

    /// <summary>The line that says why a run ended: its `error:` line, else its last line.</summary>
    internal static string? OneLine(string stderr)
    {
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var error = lines.LastOrDefault(l => l.StartsWith("error: ", StringComparison.Ordinal));
        return error is not null ? error["error: ".Length..] : lines.LastOrDefault();
    }

    private static readonly Regex Stopped = new(
        @"stopped after (\d+) ticks; trajectories (\d+), forward commands (\d+), gripper commands (\d+), rejected (\d+), resets \d+, late ticks (\d+), " +
        @".*goals (\d+) received, (\d+) accepted, (\d+) rejected(?: \(last: .*\))?, (\d+) succeeded, (\d+) canceled, (\d+) aborted(?:; detection frames (\d+))?",
        RegexOptions.CultureInvariant);

    /// <summary>The counters of `sim serve`'s closing line ("sim serve: stopped after ..."), or null when it printed none.</summary>
    internal static SimNodeCounters? ParseNodeCounters(IEnumerable<string> nodeStderr)
    {
        foreach (var l in nodeStderr.Reverse())
        {
            var m = Stopped.Match(l);
            if (!m.Success) continue;
            long G(int i) => long.Parse(m.Groups[i].Value, CultureInfo.InvariantCulture);
            return new SimNodeCounters(G(1), G(2), G(3), G(4), G(5), G(6), G(7), G(8), G(9), G(10), G(11), G(12), m.Groups[13].Success ? G(13) : null);
        }
        return null;
    }

    private static string Num(double v) => v.ToString(CultureInfo.InvariantCulture);
}
