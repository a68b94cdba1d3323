using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using CortexBot.Core;
using CortexBot.Core.Json;
using CortexBot.Hippocampus.Recall;
using CortexBot.Host.Benchmarks;

namespace CortexBot.Cli.Commands;

/// <summary>`cortexbot bench ...`: performance measured against a baseline taken in the same run.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var bench = new Command("bench", "Benchmarks, reported as ratios against a baseline measured in the same run.");
        bench.Subcommands.Add(Control());
        bench.Subcommands.Add(PlannerBenchCommand.Create());
        bench.Subcommands.Add(Policy());
        bench.Subcommands.Add(Camera());
        bench.Subcommands.Add(Memory());
        bench.Subcommands.Add(Embed());
        bench.Subcommands.Add(Ros2BenchCommand.Create());
        bench.Subcommands.Add(Ros2EpisodeBenchCommand.Create());
        bench.Subcommands.Add(TasksBenchCommand.Create());
        bench.Subcommands.Add(Safety());
        bench.Subcommands.Add(Nodes());
        return bench;
    }

    private static Command Nodes()
    {
        var task = new Option<string>("--task") { Description = "The instruction every episode runs", DefaultValueFactory = _ => NodesBenchmark.DefaultTask };
        var episodes = new Option<int>("--episodes") { Description = "Fast episodes in each placement", DefaultValueFactory = _ => 100 };
        var seed = new Option<int>("--first-seed") { Description = "Seed of the first episode (both placements run the same seeds)", DefaultValueFactory = _ => TaskBenchmark.DefaultFirstSeed };
        var block = new Option<int>("--block") { Description = "Episodes per run; the placements alternate run by run", DefaultValueFactory = _ => 10 };
        var folder = new Option<string?>("--dir") { Description = "Folder for the placements' temporary memories (default: the temp folder)" };
        var json = CliOutput.JsonOption();
        var cmd = new Command("nodes",
            "The same fast episodes through a robot node child process (the default `run`) and in one process (`run --in-process`), same seeds: " +
            "episodes per second of each and their ratio, the robot node's GC counts and the brain-to-robot command latency.")
            { task, episodes, seed, block, folder, json };
        cmd.SetAction(async (parse, ct) =>
        {
            var note = GlobalOptions.Progress(parse);
            var report = await NodesBenchmark.RunAsync(parse.GetValue(task)!, parse.GetValue(episodes), parse.GetValue(seed), parse.GetValue(block),
                RobotNodeChild.ForBenchmarks, parse.GetValue(folder) ?? Path.GetTempPath(), note, ct);
            if (parse.GetValue(json)) CliOutput.WriteJson(report);
            else Console.Write(report.ToTable());
            return 0;
        });
        return cmd;
    }

    private static Command Control()
    {
        var rate = new Option<double>("--rate") { Description = "Control rate in Hz", DefaultValueFactory = _ => 500 };
        var seconds = new Option<double>("--seconds") { Description = "Seconds per phase", DefaultValueFactory = _ => 5 };
        var commands = new Option<int>("--commands") { Description = "Skill commands timed brain to robot per latency phase", DefaultValueFactory = _ => 100 };
        var noNode = new Option<bool>("--no-robot-node") { Description = "Leave out the rows measured in a robot node process (the split: a `robot serve` child on loopback)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var cmd = new Command("control",
            "Tick jitter of the real control loop (MuJoCo arm, safety gate) vs a bare deadline-sleep thread, idle and with both cores loaded; " +
            "then the same loop in a robot node child process driven from this one, quiet and with this process allocating, and the brain-to-robot command latency.")
            { rate, seconds, commands, noNode, json };
        cmd.SetAction(parse =>
        {
            var report = ControlBenchmark.Run(parse.GetValue(rate), TimeSpan.FromSeconds(parse.GetValue(seconds)),
                parse.GetValue(noNode) ? null : RobotNodeChild.ForBenchmarks, parse.GetValue(commands));
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(report, CortexBotJson.Options));
            else Console.Write(report.ToTable());
            return 0;
        });
        return cmd;
    }

    private static Command Safety()
    {
        var policy = new Option<string>("--safety-policy") { Description = "Safety policy the suite is built from and screened against", DefaultValueFactory = _ => Path.Combine(RepoPaths.Agents, "safety.sample.json") };
        var seeds = new Option<int>("--seeds") { Description = "Scenes (simulator seeds 1..N) the plans are built in", DefaultValueFactory = _ => 20 };
        var repeats = new Option<int>("--repeats") { Description = "Times each plan is screened for the latency percentiles", DefaultValueFactory = _ => 200 };
        var rate = new Option<double>("--rate") { Description = "Control rate in Hz for the jitter phases", DefaultValueFactory = _ => 500 };
        var seconds = new Option<double>("--seconds") { Description = "Seconds per jitter phase (0: skip the control loop)", DefaultValueFactory = _ => 5 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var safetyModel = new Option<string?>("--safety-model") { Description = "GGUF model of the slow safety reviewer: flagged plans are escalated to it (once per case) and its answers re-screened" };
        var cmd = new Command("safety", "The safety screen on a suite of benign and hazardous plans (latency p50/p99, escalation rate, false refusals, unsafe plans allowed), and tick jitter with the policy's zones enforced vs not.")
            { policy, seeds, repeats, rate, seconds, json, safetyModel };
        cmd.SetAction(parse =>
        {
            var modelPath = parse.GetValue(safetyModel) is { } m ? Path.GetFullPath(m) : null;
            if (modelPath is not null && !File.Exists(modelPath)) throw new ConfigurationException($"safety model file not found: {modelPath}");
            using var loggers = PlannerCliOptions.StderrLoggers(Microsoft.Extensions.Logging.LogLevel.Warning);
            using var reviewer = SafetyCliOptions.CreateReviewer(new Host.CortexBotOptions { SafetyModelPath = modelPath }, loggers);
            var report = SafetyBenchmark.Run(Path.GetFullPath(parse.GetValue(policy)!), parse.GetValue(seeds), parse.GetValue(repeats), parse.GetValue(rate),
                TimeSpan.FromSeconds(parse.GetValue(seconds)), reviewer);
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(report, CortexBotJson.Options));
            else Console.Write(report.ToTable());
            return 0;
        });
        return cmd;
    }

    private static Command Policy()
    {
        var policy = new Option<string>("--policy") { Description = "Policy file (.onnx with its .json manifest beside it)", DefaultValueFactory = _ => Path.Combine(RepoPaths.Policies, "pick_place.onnx") };
        var chunks = new Option<int>("--chunks") { Description = "Chunks measured per implementation (after warm-up)", DefaultValueFactory = _ => 10000 };
        var realtime = new Option<bool>("--realtime") { Description = $"Measure on a SCHED_FIFO thread, one pair of chunks every {1000 / PolicyBenchmark.PacedRateHz:0.#} ms (as the chunk worker wakes), not back to back" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var cmd = new Command("policy", "Chunk latency (p50/p99/max) and bytes allocated per chunk: the plain C# action expert vs ONNX Runtime on the same policy and inputs.") { policy, chunks, realtime, json };
        cmd.SetAction(parse =>
        {
            var report = PolicyBenchmark.Run(parse.GetValue(policy)!, parse.GetValue(chunks), parse.GetValue(realtime));
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(report, CortexBotJson.Options));
            else Console.Write(report.ToTable());
            return 0;
        });
        return cmd;
    }

    private static Command Camera()
    {
        var rate = new Option<double>("--rate") { Description = "Control rate in Hz", DefaultValueFactory = _ => 500 };
        var seconds = new Option<double>("--seconds") { Description = "Seconds per phase", DefaultValueFactory = _ => 5 };
        var size = new Option<string>("--image-size") { Description = "Frame size WIDTHxHEIGHT", DefaultValueFactory = _ => "320x240" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var cmd = new Command("camera", "Camera frame latency, and the control loop's tick jitter with the camera capturing nonstop vs without a camera.") { rate, seconds, size, json };
        cmd.SetAction(parse =>
        {
            var (w, h) = CommonOptions.ParseFrameSize(parse.GetValue(size)!, "--image-size");
            var report = CameraBenchmark.Run(parse.GetValue(rate), TimeSpan.FromSeconds(parse.GetValue(seconds)), w, h);
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(report, CortexBotJson.Options));
            else Console.Write(report.ToTable());
            return 0;
        });
        return cmd;
    }

    private static Command Memory()
    {
        var sizes = new Option<string>("--sizes") { Description = "Memory sizes in episodes, comma-separated", DefaultValueFactory = _ => "100000,1000000" };
        var dim = new Option<int>("--dim") { Description = "Embedding dimension", DefaultValueFactory = _ => HashingEpisodeEmbedder.DefaultDimension };
        var queries = new Option<int>("--queries") { Description = "Recall queries timed per size", DefaultValueFactory = _ => 200 };
        var threads = new Option<int>("--threads") { Description = "Threads building the HNSW index", DefaultValueFactory = _ => Environment.ProcessorCount };
        var m = new Option<int>("--connectivity") { Description = "HNSW connectivity (M)", DefaultValueFactory = _ => HnswOptions.Default.Connectivity };
        var efAdd = new Option<int>("--expansion-add") { Description = "HNSW expansion while adding (ef_construction)", DefaultValueFactory = _ => HnswOptions.Default.ExpansionAdd };
        var ef = new Option<string>("--expansion-search") { Description = "HNSW expansions while searching (ef), comma-separated: each is measured on the same graph", DefaultValueFactory = _ => "64,128,256,512" };
        var folder = new Option<string?>("--dir") { Description = "Folder for the temporary store (default: the temp folder)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var cmd = new Command("memory", "Episodic recall at several memory sizes in one run: durable appends and SQLite import throughput, index load, exact (SIMD) recall p50/p99 against a scalar-loop baseline, HNSW build time, approximate recall p50/p99 and its recall@10 against exact search, and a prune.")
            { sizes, dim, queries, threads, m, efAdd, ef, folder, json };
        cmd.SetAction(parse =>
        {
            var list = ParseList("--sizes", parse.GetValue(sizes) ?? "");
            var expansions = ParseList("--expansion-search", parse.GetValue(ef) ?? "");
            var dir = parse.GetValue(folder) ?? Path.Combine(Path.GetTempPath(), "cortexbot-memory-bench");
            bool asJson = parse.GetValue(json);
            bool bar = CliOutput.ShowProgress(parse, asJson);
            var note = asJson ? null : GlobalOptions.Progress(parse);
            // a bar for each graph build (the long step); the other steps are one line each on stderr
            var report = CliOutput.WithProgressAsync(bar, "HNSW graph build", list.Sum(), report => Task.FromResult(
                MemoryRecallBenchmark.Run(list, parse.GetValue(dim), parse.GetValue(queries), parse.GetValue(threads),
                    new HnswOptions(parse.GetValue(m), parse.GetValue(efAdd), expansions[0]), expansions, dir,
                    bar ? null : note,
                    (size, added, total) => report(list.TakeWhile(s => s != size).Sum() + added, $"{size} episodes, {added}/{total} added")))).GetAwaiter().GetResult();
            if (asJson) Console.WriteLine(JsonSerializer.Serialize(report, CortexBotJson.Options));
            else Console.Write(report.ToTable());
            return 0;
        });
        return cmd;
    }

    private static Command Embed()
    {
        var model = new Option<string>("--embedding-model") { Description = "GGUF model to time (generate a tiny test model with `cortexbot model tiny`)", Required = true };
        var episodes = new Option<int>("--episodes") { Description = "Synthetic episodes embedded (after 10 warm-up)", DefaultValueFactory = _ => 500 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var cmd = new Command("embed", "Embedding latency per stored episode and per recall query (p50/p99): a GGUF model through LLamaSharp vs the hashing embedder, same episodes.")
            { model, episodes, json };
        cmd.SetAction(parse =>
        {
            int n = parse.GetValue(episodes);
            if (n < 10)
                throw new ConfigurationException($"--episodes must be at least 10, not {n}");
            using var embedder = EmbeddingCliOption.Load(parse.GetValue(model))!;
            var r = EmbedderBenchmark.Run(embedder, n);
            if (parse.GetValue(json))
                Console.WriteLine(JsonSerializer.Serialize(r, CortexBotJson.Options));
            else
            {
                Console.WriteLine($"{r.Episodes} synthetic episodes, latency per call (p50 / p99):");
                foreach (var x in new[] { r.Candidate, r.Baseline })
                    Console.WriteLine($"  {x.Model} ({x.Dimension} dims): episode {x.EpisodeP50Us:F0} / {x.EpisodeP99Us:F0} us, query {x.QueryP50Us:F0} / {x.QueryP99Us:F0} us");
                Console.WriteLine($"  model vs hashing at p50: {r.EpisodeP50Ratio:F1}x");
            }
            return 0;
        });
        return cmd;
    }

    private static int[] ParseList(string option, string text)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0)
            throw new ConfigurationException($"{option} needs at least one number, e.g. {option} 100000,1000000");
        return [.. parts.Select(p => int.TryParse(p.Replace("_", ""), NumberStyles.None, CultureInfo.InvariantCulture, out int n)
            ? n
            : throw new ConfigurationException($"{option}: '{p}' is not a whole number"))];
    }
}
