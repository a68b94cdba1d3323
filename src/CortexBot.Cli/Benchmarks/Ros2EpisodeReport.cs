using System.Globalization;
using System.Text;
using CortexBot.Core.Stats;

namespace CortexBot.Cli.Benchmarks;

/// <summary>What `sim serve` counted over one episode (its closing line on stderr): what reached the robot side.</summary>
internal sealed record SimNodeCounters(
    long Ticks, long Trajectories, long ForwardCommands, long GripperCommands, long Rejected, long LateTicks,
    long GoalsReceived, long GoalsAccepted, long GoalsRejected, long GoalsSucceeded, long GoalsCanceled, long GoalsAborted,
    long? DetectionFrames);

/// <param name="Interface">embedded (the baseline: `run --robot sim`), topic, action or forward.</param>
/// <param name="RosDomain">The DDS domain of the episode's node and run; null for the embedded baseline.</param>
/// <param name="Messages">Arm messages of the episode: trajectories or goals sent (the run's control.trajectories), or with
/// forward the per-tick commands the node applied; null for the baseline (no messages) or when the run gave no report.</param>
/// <param name="TrackingErrorP99Rad">The run's control.tracking_error_p99_rad; null when the run gave no report.</param>
/// <param name="RobotTimeS">The episode's duration on the robot's clock; null when the run gave no report.</param>
/// <param name="Failure">Why the episode failed, in one line; null when it succeeded.</param>
/// <param name="Node">The simulator node's counters; null for the baseline or when the node did not stop cleanly.</param>
internal sealed record EpisodeSample(
    string Interface, int Seed, int? RosDomain, bool Success, long? Messages, double? TrackingErrorP99Rad, double? RobotTimeS,
    double WallS, string? Failure, SimNodeCounters? Node);

/// <summary>One path's episodes summarised; ratios are this path over the embedded baseline of the same seeds.</summary>
internal sealed record EpisodePathRow(
    string Interface,
    string Path,
    int Episodes,
    int Successes,
    double SuccessRate,
    double? MessagesP50,
    double? MessagesMax,
    double? TrackingErrorP99RadP50,
    double? TrackingErrorP99RadP99,
    double? RobotTimeP50S,
    IReadOnlyList<string> Failures)
{
    public double? SuccessRateRatio { get; init; }
    public double? TrackingErrorP50Ratio { get; init; }
    public double? TrackingErrorP99Ratio { get; init; }
    public double? RobotTimeP50Ratio { get; init; }
}

/// <summary>
/// `cortexbot bench ros2-episodes`: episodes over DDS (`run --robot ros2 --reset none` against `sim serve --as-robot`) per
/// command interface, against the same seeds on the embedded simulator in the same run.
/// </summary>
internal sealed record Ros2EpisodeReport(
    string Benchmark,
    string Task,
    int Episodes,
    int FirstSeed,
    double DetectionNoiseM,
    double DetectionRateHz,
    EpisodePathRow Baseline,
    IReadOnlyList<EpisodePathRow> Interfaces,
    IReadOnlyList<EpisodeSample> Samples)
{
    public const string EmbeddedName = "embedded";

    private static readonly Dictionary<string, string> Paths = new()
    {
        [EmbeddedName] = "run --robot sim (embedded MuJoCo, no DDS)",
        ["topic"] = "trajectories on ~/joint_trajectory (messages: trajectories sent)",
        ["action"] = "FollowJointTrajectory goals (messages: goals sent)",
        ["forward"] = "per-tick commands on ~/commands (messages: commands the node applied)",
    };

    /// <summary>Summarises <paramref name="samples"/> per interface, in the order of <paramref name="interfaces"/>.</summary>
    public static Ros2EpisodeReport Summarize(string task, int episodes, int firstSeed, double noise, double rateHz,
        IReadOnlyList<string> interfaces, IReadOnlyList<EpisodeSample> samples)
    {
        var baseline = Row(EmbeddedName, samples.Where(s => s.Interface == EmbeddedName).ToList(), null);
        var rows = interfaces.Select(i => Row(i, samples.Where(s => s.Interface == i).ToList(), baseline)).ToList();
        return new Ros2EpisodeReport("episodes over DDS (run --robot ros2 --reset none vs sim serve --as-robot, loopback) vs the embedded simulator",
            task, episodes, firstSeed, noise, rateHz, baseline, rows, samples);
    }

    private static EpisodePathRow Row(string name, List<EpisodeSample> s, EpisodePathRow? baseline)
    {
        static double? P(IEnumerable<double> values, double p)
        {
            var sorted = values.Order().ToArray();
            return sorted.Length == 0 ? null : Percentiles.NearestRank(sorted, p);
        }
        var messages = s.Where(e => e.Messages is not null).Select(e => (double)e.Messages!.Value).ToList();
        var tracking = s.Where(e => e.TrackingErrorP99Rad is not null).Select(e => e.TrackingErrorP99Rad!.Value).ToList();
        int ok = s.Count(e => e.Success);
        var row = new EpisodePathRow(name, Paths.GetValueOrDefault(name, name), s.Count, ok, s.Count == 0 ? 0 : Math.Round(ok / (double)s.Count, 4),
            P(messages, 0.5), messages.Count == 0 ? null : messages.Max(), P(tracking, 0.5), P(tracking, 0.99),
            P(s.Where(e => e.RobotTimeS is not null).Select(e => e.RobotTimeS!.Value), 0.5),
            [.. s.Where(e => !e.Success).Select(e => $"seed {e.Seed}: {e.Failure ?? "failed (no reason given)"}")]);
        if (baseline is null) return row;
        return row with
        {
            SuccessRateRatio = Ratio(row.SuccessRate, baseline.SuccessRate),
            TrackingErrorP50Ratio = Ratio(row.TrackingErrorP99RadP50, baseline.TrackingErrorP99RadP50),
            TrackingErrorP99Ratio = Ratio(row.TrackingErrorP99RadP99, baseline.TrackingErrorP99RadP99),
            RobotTimeP50Ratio = Ratio(row.RobotTimeP50S, baseline.RobotTimeP50S),
        };
    }

    private static double? Ratio(double? x, double? baseline) => x is { } a && baseline is { } b && b > 0 ? Math.Round(a / b, 2) : null;

    public string ToTable()
    {
        static string F(double? v, string format) => v is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : "-";
        var sb = new StringBuilder();
        int last = FirstSeed + Episodes - 1;
        sb.AppendLine($"episodes over DDS: \"{Task}\", seeds {FirstSeed}-{last}, run --robot ros2 --reset none against sim serve --as-robot " +
            $"(loopback, detections {DetectionRateHz:0.#} Hz, noise {DetectionNoiseM * 1000:0.#} mm); baseline: the same seeds on the embedded simulator");
        sb.AppendLine($"{"path",-9} {"success",8} {"/base",6} {"msgs p50",9} {"msgs max",9} {"track p99 (rad): p50",21} {"p99",8} {"/base p50",10} {"/base p99",10} {"robot s p50",12} {"/base",6}");
        foreach (var r in (IEnumerable<EpisodePathRow>)[Baseline, .. Interfaces])
            sb.AppendLine($"{r.Interface,-9} {$"{r.Successes}/{r.Episodes}",8} {F(r.SuccessRateRatio, "0.00"),6} {F(r.MessagesP50, "0"),9} {F(r.MessagesMax, "0"),9} " +
                $"{F(r.TrackingErrorP99RadP50, "0.0000"),21} {F(r.TrackingErrorP99RadP99, "0.0000"),8} {F(r.TrackingErrorP50Ratio, "0.00"),10} {F(r.TrackingErrorP99Ratio, "0.00"),10} " +
                $"{F(r.RobotTimeP50S, "0.00"),12} {F(r.RobotTimeP50Ratio, "0.00"),6}");
        foreach (var r in Interfaces) sb.AppendLine($"  {r.Interface}: {r.Path}");
        var failures = ((IEnumerable<EpisodePathRow>)[Baseline, .. Interfaces]).SelectMany(r => r.Failures.Select(f => $"  {r.Interface} {f}")).ToList();
        sb.AppendLine(failures.Count == 0 ? "failures: none" : "failures:");
        foreach (var f in failures) sb.AppendLine(f);
        return sb.ToString();
    }
}
