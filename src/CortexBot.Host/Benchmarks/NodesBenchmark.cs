using System.Globalization;
using System.Text;
using CortexBot.Core;

namespace CortexBot.Host.Benchmarks;

/// <summary>One placement's figures over the same seeds.</summary>
/// <param name="Placement">"in-process" or "robot node".</param>
/// <param name="EpisodesWallS">Wall seconds of the episodes themselves (from each request to its outcome), summed; hosts' starts and stops left out.</param>
/// <param name="EpisodesPerSecond">Episodes over <paramref name="EpisodesWallS"/>: the throughput compared.</param>
/// <param name="TotalWallS">Wall seconds of the whole placement, starts and stops included (the robot node child's once).</param>
/// <param name="RobotNodeGc">The robot node process's collections over its runs (gen0/1/2); null in process.</param>
/// <param name="CommandLatencyP50Us">Brain-to-robot command latency of the episodes' steps, median of the runs' medians (us).</param>
public sealed record NodesPlacementResult(
    string Placement, int Episodes, int Successes, double EpisodesWallS, double EpisodesPerSecond, double TotalWallS, GcCounts? RobotNodeGc,
    long CommandsTimed, long CommandLatencyP50Us, long CommandLatencyP99Us);

/// <param name="ThroughputRatio">Robot node episodes per second over in-process episodes per second (issue 12's goal: at least 0.9).</param>
public sealed record NodesBenchReport(string Task, int Episodes, int FirstSeed, int Block, NodesPlacementResult InProcess, NodesPlacementResult RobotNode,
    double ThroughputRatio)
{
    public string ToTable()
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"'{Task}': {Episodes} fast episodes from seed {FirstSeed} in each placement, alternating in blocks of {Block} (same seeds)");
        sb.AppendLine(CultureInfo.InvariantCulture,
            $"{"placement",-12} {"episodes",8} {"success",8} {"episodes s",10} {"episodes/s",10} {"total s",8} {"cmd p50 us",10} {"cmd p99 us",10}  robot node GC");
        foreach (var p in new[] { InProcess, RobotNode })
            sb.AppendLine(CultureInfo.InvariantCulture,
                $"{p.Placement,-12} {p.Episodes,8} {p.Successes / (double)Math.Max(1, p.Episodes),8:P0} {p.EpisodesWallS,10:F2} {p.EpisodesPerSecond,10:F2} {p.TotalWallS,8:F1} " +
                $"{p.CommandLatencyP50Us,10} {p.CommandLatencyP99Us,10}  {(p.RobotNodeGc is { } g ? $"{g.Gen0}/{g.Gen1}/{g.Gen2}" : "-")}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"throughput ratio, robot node / in-process: {ThroughputRatio:F3}");
        return sb.ToString();
    }
}

/// <summary>
/// `cortexbot bench nodes`: the same fast episodes (lockstep, as `run --fast` runs them) through the split (a robot node
/// child process, the default `run`) and in one process (`run --in-process`), on the same seeds. The placements alternate
/// in blocks so load on the machine hits both alike; the robot node stays up across the blocks' brains, as `robot serve`
/// does. Each placement has a memory of its own, so recall grows alike in both.
/// </summary>
public static class NodesBenchmark
{
    public const string DefaultTask = "put the red cube in the bin";

    public static async Task<NodesBenchReport> RunAsync(string task, int episodes, int firstSeed, int block, RobotNodeStarter start, string workDir,
        Action<string>? progress = null, CancellationToken ct = default)
    {
        if (episodes is < 1 or > 10_000) throw new ConfigurationException($"--episodes must be between 1 and 10000, got {episodes}");
        if (block < 1) throw new ConfigurationException($"--block must be at least 1, got {block}");
        block = Math.Min(block, episodes);
        var dir = Path.Combine(workDir, $"cortexbot-nodes-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var options = new CortexBotOptions { Pacing = Cerebellum.Control.Pacing.Fast, RealtimePriority = false };
            var inProcess = new Tally("in-process");
            var split = new Tally("robot node");
            var splitClock = System.Diagnostics.Stopwatch.StartNew();
            await using var node = await start(["--fast"], ct);
            split.TotalS += splitClock.Elapsed.TotalSeconds;
            GcCounts? gcStart = null, gcEnd = null;
            for (int first = 0; first < episodes; first += block)
            {
                int n = Math.Min(block, episodes - first);
                int seed = firstSeed + first;
                await inProcess.RunAsync(options with { MemoryPath = Path.Combine(dir, "in-process.db") }, task, n, seed, RobotPlacement.InProcess, ct);
                var report = await split.RunAsync(options with { MemoryPath = Path.Combine(dir, "robot-node.db") }, task, n, seed,
                    new RobotPlacement(node.Endpoint, Child: true), ct);
                if (report?.RobotNode is { } rn)
                {
                    gcStart ??= rn.GcBefore;
                    gcEnd = rn.GcAfter;
                }
                progress?.Invoke($"{first + n}/{episodes} episodes in each placement");
            }
            var a = inProcess.Result(null);
            var b = split.Result(gcStart is { } s && gcEnd is { } e ? new GcCounts(e.Gen0 - s.Gen0, e.Gen1 - s.Gen1, e.Gen2 - s.Gen2) : null);
            double ratio = a.EpisodesPerSecond > 0 ? Math.Round(b.EpisodesPerSecond / a.EpisodesPerSecond, 3) : 0;
            return new NodesBenchReport(task, episodes, firstSeed, block, a, b, ratio);
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>One placement's runs, added up.</summary>
    private sealed class Tally(string placement)
    {
        private readonly List<long> _p50 = [];
        private readonly List<long> _p99 = [];
        private int _episodes;
        private int _successes;
        private double _episodesS;
        private long _timed;
        public double TotalS;

        public async Task<RunReport?> RunAsync(CortexBotOptions options, string task, int n, int seed, RobotPlacement placement, CancellationToken ct)
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var run = await CortexBotRunner.RunAsync(options, task, n, seed, cancellationToken: ct, placement: placement);
            TotalS += clock.Elapsed.TotalSeconds;
            if (run.Report is not { } r)
                throw new InvalidOperationException($"{placement}: the run of seeds {seed}..{seed + n - 1} ended without a report: {run.Fatal ?? run.Rejection}");
            _episodes += r.Episodes.Count;
            _successes += r.Episodes.Count(e => e.Success);
            _episodesS += r.Episodes.Sum(e => e.WallS);
            _timed += r.Control.CommandsTimed;
            if (r.Control.CommandsTimed > 0)
            {
                _p50.Add(r.Control.CommandLatencyP50Us);
                _p99.Add(r.Control.CommandLatencyP99Us);
            }
            return r;
        }

        public NodesPlacementResult Result(GcCounts? gc) => new(placement, _episodes, _successes, Math.Round(_episodesS, 3),
            _episodesS > 0 ? Math.Round(_episodes / _episodesS, 3) : 0, Math.Round(TotalS, 1), gc, _timed, Median(_p50), Median(_p99));

        private static long Median(List<long> values)
        {
            if (values.Count == 0) return 0;
            var sorted = values.Order().ToList();
            return sorted[(sorted.Count - 1) / 2];
        }
    }
}
