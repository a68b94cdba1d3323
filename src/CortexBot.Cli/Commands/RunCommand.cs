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
        var realtime = new Option<bool>("--realtime") { Description = "Pace the simulation in real time (default)" };
        var fast = new Option<bool>("--fast") { Description = "Lockstep as fast as physics allows (evaluation)" };
        var rate = new Option<double>("--rate") { Description = "Control rate in Hz", DefaultValueFactory = _ => 500 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout and nothing else" };
        var memory = new Option<string?>("--memory") { Description = "Episode memory: a SQLite file path, or postgres://user@host:port/db for a shared PostgreSQL memory" };
        var noRt = new Option<bool>("--no-rt-priority") { Description = "Do not ask for SCHED_FIFO for the control thread" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log organ activity to stderr" };
        var scene = CommonOptions.SceneOption();
        var policy = new Option<string?>("--policy") { Description = $"ONNX policy served as the skill {SkillNames.LearnedPickPlace} (default: policies/pick_place.onnx when present)" };
        var learned = new Option<bool>("--learned") { Description = $"Rule planner: do \"put X in Y\" with the learned skill {SkillNames.LearnedPickPlace} (analytic pick + place after it fails)" };
        var onnxDevice = Choices.Enum("--onnx-device", "Where ONNX Runtime runs the learned policy: cpu, or cuda (falls back to the CPU with a warning where CUDA is unavailable)",
            Cerebellum.Learning.Runtime.OnnxDevice.Cpu);
        var robot = Choices.Enum("--robot", "The arm: sim (embedded MuJoCo) or ros2 (an arm under ros2_control over DDS)", RobotKind.Sim);
        var perturb = new Option<string[]>("--perturb")
        {
            Description = "Change an object's physics in the simulator for the whole run, unseen by the planner: OBJECT:slippery or OBJECT:mass=KG,friction=MU (repeatable)",
        };
        var noRecall = new Option<bool>("--no-recall") { Description = "Do not consult the memory (episodes are still stored): every episode starts from nothing remembered" };
        var maxReplans = new Option<int>("--max-replans") { Description = "Replans allowed per episode after an anomaly", DefaultValueFactory = _ => EpisodeTimeouts.Default.MaxReplans };
        var embeddingModel = EmbeddingCliOption.Create();
        var record = new Option<string?>("--record") { Description = "Write one MCAP recording per episode into DIR (open it in Foxglove)" };
        var video = new Option<string?>("--video") { Description = "Write one H.264 video per episode into DIR, rendered from its recorded motion (needs ffmpeg)" };
        var otlp = new Option<string?>("--otlp") { Description = "Push the CortexBot metrics to an OTLP/HTTP collector, e.g. http://127.0.0.1:4318 (off by default)" };
        var prometheus = new Option<int?>("--prometheus") { Description = "Serve the CortexBot metrics for Prometheus on http://127.0.0.1:PORT/metrics (off by default)" };
        var telemetry = new Option<string?>("--telemetry") { Description = "Serve the live telemetry stream on HOST:PORT for `cortexbot view --attach` (e.g. 127.0.0.1:7450)" };
        var maxToolSpeed = new Option<double?>("--max-tool-speed") { Description = "Tool speed limit the safety gate enforces, in m/s (default 1.0; 0.25 is the collaborative reduced speed of ISO 10218-1, which the skills are not yet timed for)" };
        var workspace = new Option<string?>("--workspace") { Description = "Workspace box for the tool and fingertips, xmin,ymin,zmin,xmax,ymax,zmax in metres (world frame; default: the table top, up to 1.2 m above it)" };
        var reset = Choices.OptionalEnum<WorldStart>("--reset",
            "How each episode starts: sim (the simulator resets the world), home (the arm moves home first), none (the scene as it is), " +
            "gazebo (Gazebo resets its world through the bridged /world/NAME/control service, then the episode waits for perception of it). " +
            "Default: sim with --robot sim or when the simulator node is discovered on the DDS graph, else gazebo when that service is discovered, else home");
        var gazeboWorld = new Option<string?>("--gazebo-world")
        {
            Description = $"With --reset gazebo (or its discovery): the Gazebo world whose /world/NAME/control service resets it (default {Brainstem.Ros2.Ros2Options.DefaultGazeboWorld})",
        };
        var perception = Choices.OptionalEnum<PerceptionSource>("--perception",
            "Where a ROS 2 robot's scene comes from: sim (the simulator node's scene topic), detections (vision_msgs/Detection3DArray " +
            "mapped by --perception-config) or tf (tf2_msgs/TFMessage object poses on /tf, child_frame_id = class id, stamped with wall-clock time; in Gazebo use the `sim detections` relay instead). " +
            "Default: sim when the simulator node is discovered, else detections");
        var perceptionConfig = new Option<string?>("--perception-config")
        {
            Description = "With detections or tf: the class-id-to-object mapping, static fixtures (table, bins) and staleness/vanish/jump bounds (JSON; default sim/perception.json)",
        };
        var ros = new Ros2CliOptions("cortexbot");
        var cmd = new Command("run", "Run a task on the embedded MuJoCo simulator or, with --robot ros2, an arm under ros2_control.")
            { task, episodes, seed, realtime, fast, rate, json, memory, embeddingModel, scene, noRt, verbose, robot, policy, learned, onnxDevice, perturb, noRecall, maxReplans,
              record, video, telemetry, otlp, prometheus, maxToolSpeed, workspace, reset, gazeboWorld, perception, perceptionConfig };
        foreach (var o in ros.All) cmd.Options.Add(o);
        var planners = new PlannerCliOptions();
        foreach (var o in planners.All) cmd.Options.Add(o);
        var safety = new SafetyCliOptions();
        foreach (var o in safety.All) cmd.Options.Add(o);
        cmd.SetAction(async (parse, ct) =>
        {
            if (parse.GetValue(realtime) && parse.GetValue(fast)) throw new ConfigurationException("--realtime and --fast exclude each other");
            var options = new CortexBotOptions
            {
                RateHz = parse.GetValue(rate),
                Pacing = parse.GetValue(fast) ? Pacing.Fast : Pacing.Realtime,
                RealtimePriority = !parse.GetValue(noRt),
                ScenePath = Path.GetFullPath(parse.GetValue(scene) ?? RepoPaths.DefaultScene),
                MemoryPath = parse.GetValue(memory) ?? Hippocampus.SqliteEpisodeStore.DefaultPath,
                EmbeddingModelPath = parse.GetValue(embeddingModel) is { } em ? Path.GetFullPath(em) : null,
                Robot = parse.GetValue(robot),
                PolicyPath = parse.GetValue(policy) is { } p ? Path.GetFullPath(p) : null,
                PreferLearnedSkills = parse.GetValue(learned),
                OnnxDevice = parse.GetValue(onnxDevice),
                Perturbations = [.. (parse.GetValue(perturb) ?? []).Select(Sim.MuJoCo.ObjectPerturbation.Parse)],
                Reset = parse.GetValue(reset),
                Perception = parse.GetValue(perception),
                PerceptionConfigPath = parse.GetValue(perceptionConfig) is { } pc ? Path.GetFullPath(pc) : null,
                Timeouts = EpisodeTimeouts.Default with { UseMemory = !parse.GetValue(noRecall), MaxReplans = parse.GetValue(maxReplans) },
                Live = new LiveFeedOptions
                {
                    RecordDirectory = parse.GetValue(record) is { } dir ? Path.GetFullPath(dir) : null,
                    Telemetry = parse.GetValue(telemetry) is { } at ? Recording.Telemetry.TelemetryServer.ParseEndpoint(at, "--telemetry") : null,
                },
            };
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
            options = options with
            {
                MaxToolSpeed = parse.GetValue(maxToolSpeed),
                Workspace = parse.GetValue(workspace) is { } ws ? SafetyEnvelope.ParseWorkspace(ws) : null,
            };
            string? videoDir = parse.GetValue(video) is { } vd ? Path.GetFullPath(vd) : null;
            if (videoDir is not null)
            {
                Video.Ffmpeg.Find("ffmpeg"); // missing ffmpeg is an input error before anything moves
                Directory.CreateDirectory(videoDir);
            }
            if (options.Timeouts.MaxReplans is < 0 or > 10) throw new ConfigurationException($"--max-replans must be between 0 and 10, got {options.Timeouts.MaxReplans}");
            if (options.Robot == RobotKind.Ros2) options = options with { Ros2 = ros.Build(parse) };
            if (parse.GetValue(gazeboWorld) is { } gw)
            {
                if (options.Robot != RobotKind.Ros2) throw new ConfigurationException("--gazebo-world needs --robot ros2 (and a Gazebo world behind ros_gz_bridge)");
                if (options.Reset is { } r && r != WorldStart.Gazebo)
                    throw new ConfigurationException($"--gazebo-world is only used with --reset gazebo, not --reset {r.ToString().ToLowerInvariant()}");
                options = options with { Ros2 = options.Ros2 with { GazeboWorld = gw } };
            }
            options = safety.Apply(parse, planners.Apply(parse, options)).Validate();
            bool asJson = parse.GetValue(json);
            var level = GlobalOptions.Level(parse, verbose);
            // A model planner is loaded once, here, before anything moves; a bad model file is a clear error.
            using var loggers = PlannerCliOptions.StderrLoggers(level);
            using var modelPlanner = PlannerCliOptions.CreateModelPlanner(options, loggers);
            using var embedder = EmbeddingCliOption.Load(options.EmbeddingModelPath, loggers);
            var result = await CortexBotRunner.RunAsync(options, parse.GetValue(task)!, parse.GetValue(episodes), parse.GetValue(seed),
                configure: services =>
                {
                    if (modelPlanner is not null) services.AddSingleton<Core.Ports.IPlanner>(modelPlanner);
                    if (embedder is not null) services.AddSingleton<Core.Ports.IEpisodeEmbedder>(embedder);
                },
                logLevel: level, cancellationToken: ct,
                onEpisode: videoDir is null ? null : o =>
                {
                    var file = Path.Combine(videoDir, $"episode-{(o.StoredId > 0 ? o.StoredId.ToString() : o.Episode.TaskId.ToString()[..8])}-seed{o.Episode.Seed}.mp4");
                    try { Host.Media.EpisodeVideo.Render(o.Episode, options.ScenePath, file); }
                    catch (ConfigurationException e) { Console.Error.WriteLine($"warning: no video of seed {o.Episode.Seed}: {e.Message}"); }
                });
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
        if (r.Policy is { } p)
            Console.WriteLine($"policy: {p.Path} on {p.Device}" + (p.Fallback is null ? "" : $" ({p.RequestedDevice} unavailable: {p.Fallback})"));
    }
}
