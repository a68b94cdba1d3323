using CortexBot.Core.Robot;
using System.CommandLine;
using System.Text.Json;
using CortexBot.Cerebellum.Control;
using CortexBot.Core;
using CortexBot.Host;
using CortexBot.Sim.MuJoCo;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using CortexBot.Core.Json;
using CortexBot.Core.Messages;

namespace CortexBot.Cli.Commands;

/// <summary>`cortexbot run`: the run contract.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var task = new Option<string>("--task") { Description = "The instruction, e.g. \"put the red cube in the bin\"", Required = true };
        var episodes = new Option<int>("--episodes") { Description = "Number of episodes", DefaultValueFactory = _ => 1 };
        var seed = new Option<int>("--seed") { Description = "Seed of the first episode's scene (next episodes use seed+1, ...)", DefaultValueFactory = _ => 1 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout and nothing else" };
        var memory = new Option<string?>("--memory") { Description = "Episode memory: a SQLite file path, or postgres://user@host:port/db for a shared PostgreSQL memory" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log organ activity to stderr" };
        var learned = new Option<bool>("--learned") { Description = $"Rule planner: do \"put X in Y\" with the learned skill {SkillNames.LearnedPickPlace} (analytic pick + place after it fails)" };
        var noRecall = new Option<bool>("--no-recall") { Description = "Do not consult the memory (episodes are still stored): every episode starts from nothing remembered" };
        var maxReplans = new Option<int>("--max-replans") { Description = "Replans allowed per episode after an anomaly", DefaultValueFactory = _ => EpisodeTimeouts.Default.MaxReplans };
        var embeddingModel = EmbeddingCliOption.Create();
        var record = new Option<string?>("--record") { Description = "Write one MCAP recording per episode into DIR (open it in Foxglove)" };
        var video = new Option<string?>("--video") { Description = "Write one H.264 video per episode into DIR, rendered from its recorded motion (needs ffmpeg)" };
        var otlp = new Option<string?>("--otlp") { Description = "Push the CortexBot metrics to an OTLP/HTTP collector, e.g. http://127.0.0.1:4318 (off by default)" };
        var prometheus = new Option<int?>("--prometheus") { Description = "Serve the CortexBot metrics for Prometheus on http://127.0.0.1:PORT/metrics (off by default)" };
        var telemetry = new Option<string?>("--telemetry") { Description = "Serve the live telemetry stream on HOST:PORT for `cortexbot view --attach` (e.g. 127.0.0.1:7450)" };
        var robotNode = new Option<string?>("--robot-node")
        {
            Description = "Run as a brain joined to the robot node at HOST:PORT (`cortexbot robot serve`); the robot options are that node's, not this command's",
        };
        var inProcess = new Option<bool>("--in-process")
        {
            Description = "Run the robot part in this process (debugging). Default: a robot node child process on loopback, started, joined and ended by this run",
        };
        // the brain's own transport towards --robot-node: --listen, --public-host, --tls-cert, --tls-password-env/-file, --insecure
        var brainNode = new NodeCliOptions(defaultListen: null);
        var robotOptions = new RobotCliOptions();
        var cmd = new Command("run", "Run a task on the embedded MuJoCo simulator or, with --robot ros2, an arm under ros2_control.")
            { task, episodes, seed, json, memory, embeddingModel, verbose, learned, noRecall, maxReplans, record, video, telemetry, otlp, prometheus, robotNode, inProcess };
        brainNode.AddTo(cmd);
        foreach (var o in robotOptions.All) cmd.Options.Add(o);
        var planners = new PlannerCliOptions();
        foreach (var o in planners.All) cmd.Options.Add(o);
        var safety = new SafetyCliOptions(robotOptions.SafetyPolicy);
        foreach (var o in safety.All) cmd.Options.Add(o);
        cmd.SetAction(async (parse, ct) =>
        {
            var options = robotOptions.Apply(parse, new CortexBotOptions
            {
                MemoryPath = parse.GetValue(memory) ?? Hippocampus.SqliteEpisodeStore.DefaultPath,
                EmbeddingModelPath = parse.GetValue(embeddingModel) is { } em ? Path.GetFullPath(em) : null,
                PreferLearnedSkills = parse.GetValue(learned),
                Timeouts = EpisodeTimeouts.Default with { UseMemory = !parse.GetValue(noRecall), MaxReplans = parse.GetValue(maxReplans) },
                Live = new LiveFeedOptions
                {
                    RecordDirectory = parse.GetValue(record) is { } dir ? Path.GetFullPath(dir) : null,
                    Telemetry = parse.GetValue(telemetry) is { } at ? Recording.Telemetry.TelemetryServer.ParseEndpoint(at, "--telemetry") : null,
                },
            });
            options = options with
            {
                Metrics = new Host.Telemetry.MetricsExportOptions
                {
                    Otlp = parse.GetValue(otlp) is { } url ? (Uri.TryCreate(url, UriKind.Absolute, out var u) ? u
                        : throw new ConfigurationException($"--otlp wants an http(s) URL, got '{url}'")) : null,
                    PrometheusPort = parse.GetValue(prometheus),
                },
            };
            options.Metrics.Validate();
            string? videoDir = parse.GetValue(video) is { } vd ? Path.GetFullPath(vd) : null;
            if (videoDir is not null)
            {
                Video.Ffmpeg.Find("ffmpeg"); // missing ffmpeg is an input error before anything moves
                Directory.CreateDirectory(videoDir);
            }
            if (options.Timeouts.MaxReplans is < 0 or > 10) throw new ConfigurationException($"--max-replans must be between 0 and 10, got {options.Timeouts.MaxReplans}");
            options = safety.Apply(parse, planners.Apply(parse, options)).Validate();
            var robotAt = parse.GetValue(robotNode) is { } at2 ? Cluster.Remoting.NodeEndpoint.Parse(at2, "--robot-node") : null;
            if (robotAt is not null && parse.GetValue(inProcess)) throw new ConfigurationException("--robot-node and --in-process exclude each other");
            // Secure by default: a robot node elsewhere needs TLS (or --insecure), refused here before anything connects.
            var brainTransport = robotAt is not null ? brainNode.Build(parse, robotAt) : null;
            if (robotAt is null && brainNode.FirstGiven(parse) is { } nodeFlag)
                throw new ConfigurationException($"{nodeFlag} sets up a brain's link to a robot node and needs --robot-node HOST:PORT; " +
                    (parse.GetValue(inProcess) ? "with --in-process there is no link" : "this run's own robot node child is on loopback, where no TLS is needed"));
            var localOnly = RunPlacement.InProcessOnly(options);
            if (robotAt is not null && localOnly is not null)
                throw new ConfigurationException($"{localOnly} cannot be used with --robot-node yet: it needs the robot part in this process (use --in-process)");
            bool asJson = parse.GetValue(json);
            var level = GlobalOptions.Level(parse, verbose);
            // A model planner is loaded once, here, before anything moves; a bad model file is a clear error.
            using var loggers = PlannerCliOptions.StderrLoggers(level);
            using var modelPlanner = PlannerCliOptions.CreateModelPlanner(options, loggers);
            using var embedder = EmbeddingCliOption.Load(options.EmbeddingModelPath, loggers);
            var log = loggers.CreateLogger("CortexBot.Cli.Run");
            if (brainTransport?.Warning is { } insecureLink) Console.Error.WriteLine(insecureLink);
            if (robotAt is null && !parse.GetValue(inProcess) && localOnly is not null)
                log.LogWarning("running in-process: {What} cannot cross to a robot node yet (it needs the robot part in this process)", localOnly);
            // The default isolation: this run's own robot node child on loopback, ended with the run (and with this
            // process: the child watches it), unless the user points at a robot node or wants everything in this process.
            await using var child = robotAt is null && !parse.GetValue(inProcess) && localOnly is null
                ? await RobotNodeChild.StartAsync(robotOptions.Forward(parse), level, ct) : null;
            var placement = child is not null ? new RobotPlacement(child.Endpoint, Child: true)
                : robotAt is not null ? new RobotPlacement(robotAt) { Transport = brainTransport } : RobotPlacement.InProcess;
            var result = await CortexBotRunner.RunAsync(options, parse.GetValue(task)!, parse.GetValue(episodes), parse.GetValue(seed),
                configure: services =>
                {
                    if (modelPlanner is not null) services.AddSingleton<Core.Ports.IPlanner>(modelPlanner);
                    if (embedder is not null) services.AddSingleton<Core.Ports.IEpisodeEmbedder>(embedder);
                },
                logLevel: level, cancellationToken: ct, placement: placement,
                onEpisode: videoDir is null ? null : o =>
                {
                    var file = Path.Combine(videoDir, $"episode-{(o.StoredId > 0 ? o.StoredId.ToString() : o.Episode.TaskId.ToString()[..8])}-seed{o.Episode.Seed}.mp4");
                    try { Host.Media.EpisodeVideo.Render(o.Episode, options.ScenePath, file); }
                    catch (ConfigurationException e) { Console.Error.WriteLine($"warning: no video of seed {o.Episode.Seed}: {e.Message}"); }
                });
            if (result.Fatal is not null)
            {
                Console.Error.WriteLine($"error: {result.Fatal}");
                return 1;
            }
            if (result.Rejection is not null)
            {
                Console.Error.WriteLine($"error: {result.Rejection}");
                return 2;
            }
            var report = result.Report!;
            if (asJson) Console.WriteLine(JsonSerializer.Serialize(report, CortexBotJson.Options));
            else PrintSummary(report);
            return RunContract.ExitCode(report.Episodes.Select(e => e.Success));
        });
        return cmd;
    }

    private static void PrintSummary(RunReport r)
    {
        Console.WriteLine($"task: {r.Task}");
        foreach (var e in r.Episodes)
        {
            Console.WriteLine($"  seed {e.Seed}: {(e.Success ? "SUCCESS" : "FAILED")} in {e.DurationS:F2} s robot time ({e.WallS:F2} s wall), plan [{string.Join(", ", e.Plan)}], anomalies {e.Anomalies}" +
                (e.Failure is null ? "" : $" -- {e.Failure}"));
        }
        Console.WriteLine($"success rate: {r.SuccessRate:P0} over {r.Episodes.Count} episode(s)");
        var c = r.Control;
        Console.WriteLine($"control: {c.AchievedHz:F1} Hz achieved of {c.TargetHz:F0} Hz target ({c.Pacing}{(c.RealtimePriority ? ", SCHED_FIFO" : "")}), " +
            $"{c.Ticks} ticks, jitter p50 {c.JitterP50Us} us / p99 {c.JitterP99Us} us / max {c.JitterMaxUs} us, late ticks {c.LateTicks}");
        Console.WriteLine($"safety gate: {c.ClampedCommands} clamped, {c.SpeedScaledCommands} speed-scaled, {c.EnvelopeHolds} envelope holds" +
            (c.MaxToolSpeed is { } v ? $"; peak tool speed {c.PeakToolSpeed:0.###} m/s (limit {v:0.###})" : ""));
        Console.WriteLine($"cortex: planner '{r.Cortex.Planner}', {r.Cortex.Plans} plan(s), latency p50 {r.Cortex.PlanLatencyMsP50:F2} ms");
        if (r.Safety is { } s)
            Console.WriteLine($"safety: {s.Verdict} over {s.ScreenedPlans} screened plan(s) ({s.ModifiedPlans} modified, {s.RefusedPlans} refused, {s.EscalatedPlans} escalated), " +
                $"{c.ZoneHolds} keep-out zone holds" + (s.Reasons.Count == 0 ? "" : $": {string.Join("; ", s.Reasons)}"));
        Console.WriteLine($"hippocampus: {r.Hippocampus.EpisodesStored} episode(s) stored in {r.Hippocampus.Path}");
        if (r.World is { } w)
        {
            Console.WriteLine($"world: reset {w.Reset}, scene from {w.Perception}{(w.PerceptionFile is null ? "" : $" ({w.PerceptionFile})")}: {w.Reason}");
            if (w.Detections is { } d)
                Console.WriteLine($"detections: {d.FramesAccepted} frames accepted, {d.FramesRefusedStale} refused as stale, {d.UnknownDetections} of unknown classes, " +
                    $"{d.RejectedDetections} rejected, {d.Jumps} jumps, {d.Vanished} vanishings");
        }
        if (r.RobotNode is { } n)
            Console.WriteLine($"robot node: {(n.Separate ? $"{n.Address}, pid {n.Pid}{(n.Child ? ", child of this run" : "")}" : "in this process")}; " +
                $"GC gen0/1/2 {n.GcBefore.Gen0}/{n.GcBefore.Gen1}/{n.GcBefore.Gen2} -> {n.GcAfter.Gen0}/{n.GcAfter.Gen1}/{n.GcAfter.Gen2}" +
                (n.InterruptedEpisodeStored is { } i ? $"; stored the interrupted episode {i} of a previous brain" : ""));
        if (r.Policy is { } p)
            Console.WriteLine($"policy: {p.Path} on {p.Device}" + (p.Fallback is null ? "" : $" ({p.RequestedDevice} unavailable: {p.Fallback})"));
    }
}
