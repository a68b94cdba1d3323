using System.Diagnostics;
using System.Text.Json.Serialization;
using CortexBot.Core.Ports;

namespace CortexBot.Hippocampus.Recall;

/// <summary>Per-call latency of one embedder in microseconds.</summary>
public sealed record EmbedLatency(
    [property: JsonPropertyName("model")] string Model,
    [property: JsonPropertyName("dimension")] int Dimension,
    [property: JsonPropertyName("episode_p50_us")] double EpisodeP50Us,
    [property: JsonPropertyName("episode_p99_us")] double EpisodeP99Us,
    [property: JsonPropertyName("query_p50_us")] double QueryP50Us,
    [property: JsonPropertyName("query_p99_us")] double QueryP99Us);

/// <summary>An embedder against the hashing embedder (the baseline), timed on the same synthetic episodes in one run.</summary>
public sealed record EmbedderBenchmarkReport(
    [property: JsonPropertyName("episodes")] int Episodes,
    [property: JsonPropertyName("candidate")] EmbedLatency Candidate,
    [property: JsonPropertyName("baseline")] EmbedLatency Baseline)
{
    [JsonPropertyName("episode_p50_ratio")]
    public double EpisodeP50Ratio => Baseline.EpisodeP50Us > 0 ? Candidate.EpisodeP50Us / Baseline.EpisodeP50Us : double.NaN;
}

/// <summary>
/// How long embedding takes per stored episode and per recall query (what an append and a recall pay on top of the
/// store), for a model embedder against the hashing baseline, interleaved so both see the same machine load.
/// </summary>
public static class EmbedderBenchmark
{
    private const int Warmup = 10;

    public static EmbedderBenchmarkReport Run(IEpisodeEmbedder candidate, int episodes, IEpisodeEmbedder? baseline = null)
    {
        ArgumentNullException.ThrowIfNull(candidate);
        ArgumentOutOfRangeException.ThrowIfLessThan(episodes, 1);
        baseline ??= HashingEpisodeEmbedder.Default;
        var rnd = new Random(7);
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var sample = Enumerable.Range(0, episodes + Warmup).Select(i => MemoryBenchmark.Synthetic(rnd, t0, i)).ToArray();
        var c = new Timings(candidate, episodes);
        var b = new Timings(baseline, episodes);
        for (int i = 0; i < sample.Length; i++)
        {
            bool timed = i >= Warmup;
            c.Run(sample[i], timed ? i - Warmup : -1);
            b.Run(sample[i], timed ? i - Warmup : -1);
        }
        return new EmbedderBenchmarkReport(episodes, c.Result(), b.Result());
    }

    private sealed class Timings(IEpisodeEmbedder embedder, int n)
    {
        private readonly float[] _v = new float[embedder.Dimension];
        private readonly double[] _episode = new double[n];
        private readonly double[] _query = new double[n];

        public void Run(Core.Messages.EpisodeRecord e, int slot)
        {
            long t = Stopwatch.GetTimestamp();
            embedder.EmbedEpisode(e, _v);
            long u = Stopwatch.GetTimestamp();
            embedder.EmbedQuery(e.Instruction, _v);
            long w = Stopwatch.GetTimestamp();
            if (slot < 0)
                return;
            _episode[slot] = Stopwatch.GetElapsedTime(t, u).TotalMicroseconds;
            _query[slot] = Stopwatch.GetElapsedTime(u, w).TotalMicroseconds;
        }

        public EmbedLatency Result() => new(embedder.Model, embedder.Dimension,
            Percentile(_episode, 0.50), Percentile(_episode, 0.99), Percentile(_query, 0.50), Percentile(_query, 0.99));
    }

    private static double Percentile(double[] values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
    }
}
