using System.Text;
using System.Text.Json.Serialization;
using Akka.Actor;
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
    double P99RatioToBaseline)
{
    /// <summary>Rows measured in a robot node process: its garbage collections during the phase (gen0/1/2); null for rows in this process.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public GcCounts? RobotNodeGc { get; init; }

    /// <summary>Whether that robot node's control thread ran SCHED_FIFO; null for rows in this process (the report's flag).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public bool? RobotNodeRealtimePriority { get; init; }
}

/// <summary>
/// Brain-to-robot command latency: stamped skill commands sent by a brain node to a robot node over loopback, from the
/// send to the first control tick that wrote their motion (the robot node's own record; messaging, the skill's
/// compilation and the wait for that tick).
/// </summary>
/// <param name="Commands">Commands sent.</param>
/// <param name="Timed">Commands whose first tick the robot recorded.</param>
/// <param name="NotAppliedInTime">Commands the follow-up abort reached before their first tick (each is a latency of more than
/// <see cref="ControlBenchmark.LatencyAbortAfter"/>, left out of the percentiles): 0 means the percentiles are whole.</param>
public sealed record CommandLatencyRow(string Phase, int Commands, long Timed, int NotAppliedInTime, long P50Us, long P99Us, long MaxUs);

public sealed record ControlBenchReport(
    double RateHz,
    double SecondsPerPhase,
    bool RealtimePriority,
    IReadOnlyList<JitterRow> Rows)
{
    /// <summary>With a robot node: the brain-to-robot command latency, quiet and with the brain node loaded; empty without one.</summary>
    public IReadOnlyList<CommandLatencyRow> CommandLatency { get; init; } = [];

    public string ToTable()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"control tick jitter at {RateHz:0} Hz, {SecondsPerPhase:0.#} s per phase, SCHED_FIFO {(RealtimePriority ? "on" : "refused")}");
        sb.AppendLine($"{"phase",-66} {"ticks",7} {"late",5} {"p50 us",7} {"p99 us",7} {"max us",7} {"p99/base",9}");
        foreach (var r in Rows)
            sb.AppendLine($"{r.Phase,-66} {r.Ticks,7} {r.LateTicks,5} {r.P50Us,7} {r.P99Us,7} {r.MaxUs,7} {r.P99RatioToBaseline,9:F2}" +
                (r.RobotNodeGc is { } gc ? $"  robot node GC {gc.Gen0}/{gc.Gen1}/{gc.Gen2}{(r.RobotNodeRealtimePriority == false ? ", no SCHED_FIFO" : "")}" : ""));
        if (CommandLatency.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("brain-to-robot command latency (loopback): send to the first control tick that wrote the command");
            sb.AppendLine($"{"phase",-66} {"sent",5} {"timed",6} {"late",5} {"p50 us",7} {"p99 us",7} {"max us",7}");
            foreach (var l in CommandLatency)
                sb.AppendLine($"{l.Phase,-66} {l.Commands,5} {l.Timed,6} {l.NotAppliedInTime,5} {l.P50Us,7} {l.P99Us,7} {l.MaxUs,7}");
        }
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
    /// <summary>The row issue 12 asks for: the control loop in its own process while this (brain) process allocates.</summary>
    public const string RobotNodeLoadedPhase = "control loop (robot node), allocating load in the brain node";

    /// <summary>How long after a latency command is sent the benchmark aborts it, so the next can follow (a command the
    /// abort reaches first is counted, not timed).</summary>
    public static readonly TimeSpan LatencyAbortAfter = TimeSpan.FromMilliseconds(50);

    /// <param name="robotNode">Starts a robot node process for the split rows (the CLI's `robot serve` child); null: none (rows in this process only).</param>
    /// <param name="latencyCommands">Skill commands timed per command latency phase (with a robot node).</param>
    public static ControlBenchReport Run(double rateHz, TimeSpan phase, RobotNodeStarter? robotNode = null, int latencyCommands = 100)
    {
        if (!(rateHz is >= 10 and <= 5000)) throw new ConfigurationException($"--rate must be between 10 and 5000 Hz, got {rateHz}");
        if (phase <= TimeSpan.Zero || phase > TimeSpan.FromMinutes(10)) throw new ConfigurationException("--seconds must be between 0 and 600");
        if (latencyCommands is < 1 or > 100_000) throw new ConfigurationException($"--commands must be between 1 and 100000, got {latencyCommands}");
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
        var latency = new List<CommandLatencyRow>();
        if (robotNode is not null)
            RunSplitAsync(robotNode, rateHz, phase, latencyCommands, baseline.P99Us, rows, latency).GetAwaiter().GetResult();
        return new ControlBenchReport(rateHz, phase.TotalSeconds, baseline.RealtimePriority, rows) { CommandLatency = latency };
    }

    /// <summary>
    /// The split rows (issue 12): the same control loop (arm + skills) in a robot node process of its own, driven over the
    /// wire from this process, first quiet, then with this process running the same allocating load as the in-process
    /// row; its GC pauses cannot reach the robot node's control thread. Each also times brain-to-robot commands.
    /// </summary>
    private static async Task RunSplitAsync(RobotNodeStarter start, double rateHz, TimeSpan phase, int latencyCommands, long baseP99,
        List<JitterRow> rows, List<CommandLatencyRow> latency)
    {
        await using var node = await start(["--realtime", "--rate", rateHz.ToString(System.Globalization.CultureInfo.InvariantCulture)], CancellationToken.None);
        await using var client = await RobotNodeClient.ConnectAsync(node.Endpoint, CancellationToken.None);
        await client.ResetWorldAsync(1);
        await client.ExecuteAsync(SkillInvocation.Of(SkillNames.MoveHome), 0); // warm-up: both sides' code paths and the association
        foreach (var allocating in new[] { false, true })
        {
            string phaseName = allocating ? RobotNodeLoadedPhase : "control loop (robot node): arm + skills, quiet brain node";
            using (allocating ? Load(allocating: true) : null)
            {
                var before = await client.StatusAsync(resetControlStats: true);
                await DriveAsync(client, phase);
                var after = await client.StatusAsync(resetControlStats: false);
                var c = after.Control;
                rows.Add(Row(phaseName, c.Ticks, c.LateTicks, c.JitterP50Us, c.JitterP99Us, c.JitterMaxUs, baseP99) with
                {
                    RobotNodeGc = new GcCounts(after.Gen0 - before.Gen0, after.Gen1 - before.Gen1, after.Gen2 - before.Gen2),
                    RobotNodeRealtimePriority = c.RealtimePriority,
                });
                latency.Add(await TimeCommandsAsync(client, latencyCommands,
                    allocating ? "commands, allocating load in the brain node" : "commands, quiet brain node"));
            }
        }
    }

    /// <summary>Keeps the robot node's arm busy over the wire as <see cref="RunControl"/> does in process: moves above the cubes and the bin.</summary>
    private static async Task DriveAsync(RobotNodeClient client, TimeSpan phase)
    {
        string[] targets = ["red_cube", "bin", "green_cube", "bin", "blue_cube"];
        var end = DateTime.UtcNow + phase;
        for (int k = 0; DateTime.UtcNow < end; k++)
        {
            // the result (success or not) only paces the loop; the robot node's statistics are what is measured, and the
            // phase ends on time as in process (a move still running then is measured no further)
            var done = client.ExecuteAsync(SkillInvocation.Of(SkillNames.MoveAbove, targets[k % targets.Length]), k + 1);
            var left = end - DateTime.UtcNow;
            if (left <= TimeSpan.Zero || await Task.WhenAny(done, Task.Delay(left)) != done)
            {
                client.Cerebellum.Tell(new AbortSkill("bench control: the phase ended"), ActorRefs.NoSender);
                await done;
            }
        }
    }

    /// <summary>
    /// Times <paramref name="n"/> stamped commands from their send to their first control tick (the robot node's record).
    /// Each is a move home from home and is aborted <see cref="LatencyAbortAfter"/> after its send, so the next can follow;
    /// one the abort reached before its first tick comes back with no robot time and is counted, not timed.
    /// </summary>
    private static async Task<CommandLatencyRow> TimeCommandsAsync(RobotNodeClient client, int n, string phase)
    {
        await client.StatusAsync(resetControlStats: true);
        int notApplied = 0;
        for (int i = 0; i < n; i++)
        {
            var result = client.ExecuteAsync(SkillInvocation.Of(SkillNames.MoveHome), 1000 + i);
            await Task.Delay(LatencyAbortAfter);
            client.Cerebellum.Tell(new AbortSkill("bench control: next latency command"), ActorRefs.NoSender);
            var r = await result;
            if (r.Outcome != SkillOutcome.Succeeded && r.Duration == TimeSpan.Zero) notApplied++;
        }
        var c = (await client.StatusAsync(resetControlStats: false)).Control;
        return new CommandLatencyRow(phase, n, c.CommandsTimed, notApplied, c.CommandLatencyP50Us, c.CommandLatencyP99Us, c.CommandLatencyMaxUs);
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
