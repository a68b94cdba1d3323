using System.Diagnostics;
using System.Runtime.Intrinsics;
using System.Text;
using CortexBot.Cerebellum.Control;
using CortexBot.Cerebellum.Learning.Runtime;
using CortexBot.Core;
using CortexBot.Core.Stats;

namespace CortexBot.Host.Benchmarks;

public sealed record PolicyBenchRow(
    string Implementation,
    double P50Us,
    double P99Us,
    double MaxUs,
    double MeanUs,
    double BytesPerChunk);

public sealed record PolicyBenchReport(
    string Policy,
    int ObservationSize,
    int Horizon,
    int ActionSize,
    int FlowSteps,
    int[] Hidden,
    int Chunks,
    int WarmupChunks,
    int ProcessorCount,
    string Simd,
    string Scheduling,
    IReadOnlyList<PolicyBenchRow> Rows,
    double ManagedOverOnnxP50,
    double ManagedOverOnnxP99,
    double MaxAbsDiff)
{
    public string ToTable()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"policy chunk inference: {Path.GetFileName(Policy)} (observation {ObservationSize}, chunk {Horizon}x{ActionSize}, " +
                      $"{FlowSteps} Euler steps, hidden [{string.Join(", ", Hidden)}])");
        sb.AppendLine($"{Chunks} chunks each after {WarmupChunks} warm-up, same inputs, alternating order; one thread ({Scheduling}), {ProcessorCount} cores, SIMD {Simd}");
        sb.AppendLine($"{"implementation",-28} {"p50 us",8} {"p99 us",8} {"max us",8} {"mean us",8} {"bytes/chunk",12}");
        foreach (var r in Rows)
            sb.AppendLine($"{r.Implementation,-28} {r.P50Us,8:F1} {r.P99Us,8:F1} {r.MaxUs,8:F1} {r.MeanUs,8:F1} {r.BytesPerChunk,12:0.#}");
        sb.AppendLine($"managed/onnx: p50 {ManagedOverOnnxP50:F2}x, p99 {ManagedOverOnnxP99:F2}x; max |managed - onnx| over all chunks {MaxAbsDiff:G3}");
        return sb.ToString();
    }
}

/// <summary>
/// Chunk inference of one policy file by ONNX Runtime (<see cref="OnnxActionExpert"/>, the baseline) and by the plain C#
/// interpreter (<see cref="ManagedActionExpert"/>) in the same run: the same observation and noise go to both, the order
/// alternates every chunk so neither always runs on a cache the other warmed, and only <c>Infer</c> is timed. Bytes are
/// the current thread's managed allocations across <c>Infer</c>. Back to back by default; paced (realtime mode), each
/// pair waits for a deadline 2 ms after the last one on a SCHED_FIFO thread, as the chunk worker wakes for a request:
/// caches are colder, but a p99 measured on shared cores is then the network's rather than the scheduler's time slice.
/// </summary>
public static class PolicyBenchmark
{
    public const string OnnxName = "onnxruntime (1 thread)";
    public const string ManagedName = "managed C#";
    private const int InputSets = 64;

    public const double PacedRateHz = 500;

    public static PolicyBenchReport Run(string policyPath, int chunks, bool realtime = false, TimeSpan? minWarmup = null)
    {
        if (chunks is < 1 or > 1_000_000) throw new ConfigurationException($"--chunks must be between 1 and 1000000, got {chunks}");
        // A thread of its own: its scheduling policy is changed in realtime mode.
        PolicyBenchReport? report = null;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try { report = Measure(policyPath, chunks, realtime, minWarmup ?? TimeSpan.FromSeconds(1)); }
            catch (Exception e) { error = e; }
        }) { Name = "policy-bench" };
        thread.Start();
        thread.Join();
        if (error is not null) System.Runtime.ExceptionServices.ExceptionDispatchInfo.Capture(error).Throw();
        return report!;
    }

    private static PolicyBenchReport Measure(string policyPath, int chunks, bool realtime, TimeSpan warmFor)
    {
        using var onnx = new OnnxActionExpert(policyPath);
        using var managed = new ManagedActionExpert(policyPath);
        var m = onnx.Manifest;
        int o = onnx.ObservationSize, c = onnx.Horizon * onnx.ActionSize;

        // Observations spread around the training distribution (capped for the ignored, huge-std entries), standard-normal noise.
        var rng = new Random(1);
        var obs = new float[InputSets][];
        var noise = new float[InputSets][];
        for (int s = 0; s < InputSets; s++)
        {
            obs[s] = [.. Enumerable.Range(0, o).Select(k => m.ObservationMean[k] + Math.Min(m.ObservationStd[k], 1f) * (float)(4 * rng.NextDouble() - 2))];
            noise[s] = [.. Enumerable.Range(0, c).Select(_ => (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble())))];
        }
        var experts = new IActionExpert[] { onnx, managed };
        var outputs = new[] { new float[c], new float[c] };
        var ticks = new[] { new long[chunks], new long[chunks] };
        var bytes = new long[2];
        double maxDiff = 0;

        void Pair(int i, bool record)
        {
            int set = i % InputSets;
            for (int n = 0; n < 2; n++)
            {
                int e = (i & 1) == 0 ? n : 1 - n;
                var x = experts[e];
                obs[set].CopyTo(x.Observation);
                noise[set].CopyTo(x.Noise);
                long a0 = GC.GetAllocatedBytesForCurrentThread();
                long t0 = Stopwatch.GetTimestamp();
                var y = x.Infer(keepNoise: true);
                long t1 = Stopwatch.GetTimestamp();
                long a1 = GC.GetAllocatedBytesForCurrentThread();
                y.CopyTo(outputs[e]);
                if (record) { ticks[e][i] = t1 - t0; bytes[e] += a1 - a0; }
            }
            for (int k = 0; k < c; k++) maxDiff = Math.Max(maxDiff, Math.Abs(outputs[0][k] - outputs[1][k]));
        }

        // Warm-up long enough for tiered JIT to reach its optimised code (call counting starts after ~100 ms), back to back
        // and without real-time priority (a busy SCHED_FIFO thread would be throttled and would starve the other core's work).
        var warmStart = Stopwatch.StartNew();
        int warm = 0;
        while (warm < 200 || warmStart.Elapsed < warmFor) Pair(warm++, record: false);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        string scheduling = "normal priority, back to back";
        Pacer? pacer = null;
        if (realtime)
        {
            string? refused = Pacer.TryRealtimePriority(80);
            scheduling = (refused is null ? "SCHED_FIFO" : $"SCHED_FIFO refused: {refused}") + $", paced {PacedRateHz:0} pairs/s";
            pacer = new Pacer(PacedRateHz);
        }
        for (int i = 0; i < chunks; i++)
        {
            pacer?.WaitNext();
            Pair(i, record: true);
        }

        var rows = new[] { Row(OnnxName, ticks[0], bytes[0]), Row($"{ManagedName} ({Simd()})", ticks[1], bytes[1]) };
        return new PolicyBenchReport(managed.ModelPath, o, onnx.Horizon, onnx.ActionSize, m.FlowSteps, m.Hidden, chunks, warm,
            Environment.ProcessorCount, Simd(), scheduling, rows,
            Math.Round(rows[1].P50Us / rows[0].P50Us, 3), Math.Round(rows[1].P99Us / rows[0].P99Us, 3), maxDiff);
    }

    private static string Simd() => Vector512.IsHardwareAccelerated ? "Vector512" : Vector256.IsHardwareAccelerated ? "Vector256" : "scalar";

    private static PolicyBenchRow Row(string name, long[] ticks, long bytes)
    {
        var us = ticks.Select(t => t * 1e6 / Stopwatch.Frequency).Order().ToArray();
        double P(double p) => Percentiles.NearestRank(us, p);
        return new PolicyBenchRow(name, Math.Round(P(0.50), 1), Math.Round(P(0.99), 1), Math.Round(us[^1], 1), Math.Round(us.Average(), 1),
            Math.Round(bytes / (double)us.Length, 1));
    }
}
