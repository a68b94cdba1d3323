using System.Text;
using CortexBot.Brainstem;
using CortexBot.Cerebellum.Control;
using CortexBot.Cerebellum.Kinematics;
using CortexBot.Cerebellum.Skills;
using CortexBot.Core;
using CortexBot.Core.Messages;
using CortexBot.Core.Robot;
using CortexBot.Sim.MuJoCo;
using Microsoft.Extensions.Logging.Abstractions;

namespace CortexBot.Host.Benchmarks;

public sealed record JitterRow(
    string Phase,
    long Ticks,
    long LateTicks,
    long P50Us,
    long P99Us,
    long MaxUs,
    double P99RatioToBaseline);

public sealed record ControlBenchReport(
    double RateHz,
    double SecondsPerPhase,
    bool RealtimePriority,
    IReadOnlyList<JitterRow> Rows)
{
    public string ToTable()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"control tick jitter at {RateHz:0} Hz, {SecondsPerPhase:0.#} s per phase, SCHED_FIFO {(RealtimePriority ? "on" : "refused")}");
        sb.AppendLine($"{"phase",-52} {"ticks",7} {"late",5} {"p50 us",7} {"p99 us",7} {"max us",7} {"p99/base",9}");
        foreach (var r in Rows)
            sb.AppendLine($"{r.Phase,-52} {r.Ticks,7} {r.LateTicks,5} {r.P50Us,7} {r.P99Us,7} {r.MaxUs,7} {r.P99RatioToBaseline,9:F2}");
        return sb.ToString();
    }
}

/// <summary>
/// Measures the real control loop (MuJoCo arm behind the safety gate, running pick-and-place programs) against a bare
/// deadline-sleep thread, first on a quiet machine, then with both cores saturated by other work (as when the cortex
/// thinks), all in one run.
/// </summary>
public static class ControlBenchmark
{
    public static ControlBenchReport Run(double rateHz, TimeSpan phase)
    {
        if (!(rateHz is >= 10 and <= 5000)) throw new ConfigurationException($"--rate must be between 10 and 5000 Hz, got {rateHz}");
        if (phase <= TimeSpan.Zero || phase > TimeSpan.FromMinutes(10)) throw new ConfigurationException("--seconds must be between 0 and 600");
        var rows = new List<JitterRow>();
        var baseline = DeadlineBaseline.Run(rateHz, phase, realtimePriority: true);
        rows.Add(Row("baseline: deadline sleep only", baseline.Ticks, baseline.LateTicks, baseline.P50Us, baseline.P99Us, baseline.MaxUs, baseline.P99Us));
        var control = RunControl(rateHz, phase, load: false);
        rows.Add(Row("control loop: arm + skills", control.Ticks, control.LateTicks, control.JitterP50Us, control.JitterP99Us, control.JitterMaxUs, baseline.P99Us));
        // What being watched costs the control process: the live feed (25 Hz state, 5 Hz scene, 2 Hz camera frames) and
        // a telemetry client reading every line, as `cortexbot view --attach` does (the view itself runs in its own process).
        var watched = RunControl(rateHz, phase, load: false, watch: Watched);
        rows.Add(Row("control loop, watched: live feed + camera + client", watched.Ticks, watched.LateTicks, watched.JitterP50Us, watched.JitterP99Us, watched.JitterMaxUs, baseline.P99Us));

        // Two kinds of busy neighbours: compute that allocates nothing (native model inference) and managed code that
        // allocates (garbage collections suspend every managed thread, the control thread included).
        foreach (var allocating in new[] { false, true })
        {
            string what = allocating ? "allocating load" : "compute load";
            using (Load(allocating))
            {
                var loadedBase = DeadlineBaseline.Run(rateHz, phase, realtimePriority: true);
                rows.Add(Row($"baseline, {what} on all cores", loadedBase.Ticks, loadedBase.LateTicks, loadedBase.P50Us, loadedBase.P99Us, loadedBase.MaxUs, baseline.P99Us));
                var loaded = RunControl(rateHz, phase, load: true);
                rows.Add(Row($"control loop, {what} on all cores", loaded.Ticks, loaded.LateTicks, loaded.JitterP50Us, loaded.JitterP99Us, loaded.JitterMaxUs, baseline.P99Us));
            }
        }
        return new ControlBenchReport(rateHz, phase.TotalSeconds, baseline.RealtimePriority, rows);
    }

    private static JitterRow Row(string phase, long ticks, long late, long p50, long p99, long max, long baseP99) =>
        new(phase, ticks, late, p50, p99, max, Math.Round(p99 / (double)Math.Max(1, baseP99), 2));

    /// <param name="alongside">Started with the loop on its world and disposed when the phase ends (e.g. a camera capturing).</param>
    /// <param name="watch">Started on the running loop and disposed when the phase ends (e.g. the live feed and a client).</param>
    /// <param name="gate">Builds the safety gate over the world (default: joint limits only).</param>
    internal static ControlStats RunControl(double rateHz, TimeSpan phase, bool load, Func<MuJoCoWorld, IDisposable>? alongside = null,
        Func<MuJoCoWorld, ControlLoop, SafetyGate, IDisposable>? watch = null, Func<MuJoCoWorld, ArmModel, SafetyGate>? gate = null)
    {
        var arm = ArmModel.FromMjcf(RepoPaths.DefaultScene);
        using var world = new MuJoCoWorld(RepoPaths.DefaultScene);
        world.ResetScene(1);
        using var side = alongside?.Invoke(world);
        var safety = gate?.Invoke(world, arm) ?? new SafetyGate(world, arm);
        using var loop = new ControlLoop(safety, new ControlLoopOptions { RateHz = rateHz, Pacing = Pacing.Realtime }, NullLogger<ControlLoop>.Instance);
        var compiler = new SkillCompiler(new ArmKinematics(arm));
        loop.Start();
        using var watcher = watch?.Invoke(world, loop, safety);
        loop.ResetStats();
        var end = DateTime.UtcNow + phase;
        // Keep the arm busy with real motion: alternate moves above the cubes and the bin.
        string[] targets = ["red_cube", "bin", "green_cube", "bin", "blue_cube"];
        int k = 0;
        while (DateTime.UtcNow < end)
        {
            var done = new ManualResetEventSlim();
            var c = compiler.Compile(SkillInvocation.Of(SkillNames.MoveAbove, targets[k++ % targets.Length]), world.Snapshot(), loop.CurrentArm());
            if (c.Program is null) break;
            loop.Submit(c.Program, _ => done.Set());
            done.Wait(end - DateTime.UtcNow > TimeSpan.Zero ? end - DateTime.UtcNow : TimeSpan.Zero);
        }
        return loop.Stats();
    }

    private static IDisposable Watched(MuJoCoWorld world, ControlLoop loop, SafetyGate gate)
    {
        Core.Ports.ISceneCamera? camera = null;
        try { camera = new MuJoCoCamera(world); } catch (ConfigurationException) { } // no GL: the feed runs without images
        var feed = new LiveEpisodeFeed(loop, gate, world, camera, world.JointNames,
            new LiveFeedOptions { Telemetry = new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0) }, NullLogger.Instance, ownsCamera: true);
        feed.Start();
        feed.OnProgress(new Core.Messages.EpisodeProgress(Guid.NewGuid(), "bench control", 0, "running", 0, loop.TotalTicks, "bench", []));
        var cts = new CancellationTokenSource();
        var client = Task.Run(async () =>
        {
            try { await foreach (var _ in Recording.Telemetry.TelemetryClient.ReadAsync(feed.TelemetryEndpoint!, cts.Token)) { } }
            catch (Exception e) when (e is OperationCanceledException or IOException or System.Net.Sockets.SocketException) { }
        });
        return new Stopper(() => { cts.Cancel(); client.Wait(2000); feed.Dispose(); });
    }

    /// <summary>Saturate every core with busy work until disposed.</summary>
    private static IDisposable Load(bool allocating)
    {
        var cts = new CancellationTokenSource();
        var threads = Enumerable.Range(0, Environment.ProcessorCount).Select(i => new Thread(() =>
        {
            var list = new List<double[]>();
            double x = 1;
            while (!cts.IsCancellationRequested)
            {
                if (allocating) { list.Add(new double[256]); if (list.Count > 4096) list.Clear(); }
                else for (int j = 0; j < 10_000; j++) x = Math.Sqrt(x + j);
            }
            GC.KeepAlive(x);
        }) { IsBackground = true, Name = $"load-{i}" }).ToList();
        threads.ForEach(t => t.Start());
        return new Stopper(() => { cts.Cancel(); threads.ForEach(t => t.Join()); });
    }

    private sealed class Stopper(Action stop) : IDisposable
    {
        public void Dispose() => stop();
    }
}
