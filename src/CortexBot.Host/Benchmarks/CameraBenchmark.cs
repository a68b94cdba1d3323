using System.Diagnostics;
using System.Text;
using CortexBot.Cerebellum.Control;
using CortexBot.Core;
using CortexBot.Sim.MuJoCo;
using CortexBot.Core.Stats;

namespace CortexBot.Host.Benchmarks;

public sealed record CameraBenchReport(
    double RateHz,
    double SecondsPerPhase,
    int Width,
    int Height,
    int Frames,
    double FrameMsP50,
    double FrameMsP99,
    IReadOnlyList<JitterRow> TickJitterRows)
{
    public string ToTable()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"camera {Width}x{Height} (EGL surfaceless): {Frames} frames, capture p50 {FrameMsP50:F1} ms, p99 {FrameMsP99:F1} ms");
        sb.AppendLine($"control tick jitter at {RateHz:0} Hz, {SecondsPerPhase:0.#} s per phase");
        sb.AppendLine($"{"phase",-40} {"ticks",7} {"late",5} {"p50 us",7} {"p99 us",7} {"max us",7} {"p99/base",9}");
        foreach (var r in TickJitterRows)
            sb.AppendLine($"{r.Phase,-40} {r.Ticks,7} {r.LateTicks,5} {r.P50Us,7} {r.P99Us,7} {r.MaxUs,7} {r.P99RatioToBaseline,9:F2}");
        return sb.ToString();
    }
}

/// <summary>
/// What camera frames cost and whether taking them disturbs the control loop: the loop's tick jitter without a camera
/// (baseline) and with a camera capturing back to back on its own thread, in one run, plus the capture latency.
/// </summary>
public static class CameraBenchmark
{
    public static CameraBenchReport Run(double rateHz, TimeSpan phase, int width, int height)
    {
        if (!(rateHz is >= 10 and <= 5000)) throw new ConfigurationException($"--rate must be between 10 and 5000 Hz, got {rateHz}");
        if (phase <= TimeSpan.Zero || phase > TimeSpan.FromMinutes(10)) throw new ConfigurationException("--seconds must be between 0 and 600");
        var baseline = ControlBenchmark.RunControl(rateHz, phase, load: false);
        var frameMs = new List<double>();
        var withCamera = ControlBenchmark.RunControl(rateHz, phase, load: false, world => Capturing(world, width, height, frameMs));
        if (frameMs.Count == 0) throw new InvalidOperationException("the camera delivered no frame during the phase");
        frameMs.Sort();
        var rows = new List<JitterRow>
        {
            Row("control loop, no camera (baseline)", baseline, baseline.JitterP99Us),
            Row("control loop, camera capturing nonstop", withCamera, baseline.JitterP99Us),
        };
        return new CameraBenchReport(rateHz, phase.TotalSeconds, width, height, frameMs.Count,
            Math.Round(Percentiles.NearestRank(frameMs, 0.50), 2), Math.Round(Percentiles.NearestRank(frameMs, 0.99), 2), rows);
    }

    private static JitterRow Row(string phase, ControlStats s, long baseP99) =>
        new(phase, s.Ticks, s.LateTicks, s.JitterP50Us, s.JitterP99Us, s.JitterMaxUs, Math.Round(s.JitterP99Us / (double)Math.Max(1, baseP99), 2));

    /// <summary>A camera on <paramref name="world"/> and a thread requesting frames back to back until disposed.</summary>
    private static IDisposable Capturing(MuJoCoWorld world, int width, int height, List<double> frameMs)
    {
        var camera = new MuJoCoCamera(world, new MuJoCoCameraOptions { Width = width, Height = height });
        var cts = new CancellationTokenSource();
        var requester = new Thread(() =>
        {
            while (!cts.IsCancellationRequested)
            {
                long t0 = Stopwatch.GetTimestamp();
                camera.CaptureAsync().GetAwaiter().GetResult();
                frameMs.Add(Stopwatch.GetElapsedTime(t0).TotalMilliseconds);
            }
        }) { IsBackground = true, Name = "camera-bench" };
        requester.Start();
        return new Stopper(() =>
        {
            cts.Cancel();
            requester.Join();
            camera.Dispose();
        });
    }

    private sealed class Stopper(Action stop) : IDisposable
    {
        public void Dispose() => stop();
    }
}
