using System.CommandLine;
using System.Text.Json;
using CortexBot.Cortex.Llama;
using CortexBot.Core;
using CortexBot.Core.Ports;
using CortexBot.Core.Skills;
using CortexBot.Gguf;
using CortexBot.Sim.MuJoCo;
using Microsoft.Extensions.Logging;
using CortexBot.Core.Json;

namespace CortexBot.Cli.Commands;

/// <summary>`cortexbot bench planner`: raw LLamaSharp tokens/s vs through the cortex's planner, and instruction-to-validated-plan latency.</summary>
internal static class PlannerBenchCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "GGUF model (default: a tiny random model generated for this run)" };
        var plans = new Option<int>("--plans") { Description = "Plans to time", DefaultValueFactory = _ => 20 };
        var rawTokens = new Option<int>("--raw-tokens") { Description = "Tokens of raw generation for the baseline", DefaultValueFactory = _ => 256 };
        var threads = new Option<int>("--threads") { Description = "CPU threads (0 = half the cores)", DefaultValueFactory = _ => 0 };
        var ctx = new Option<uint>("--ctx") { Description = "Context size", DefaultValueFactory = _ => 2048 };
        var task = new Option<string>("--task") { Description = "Instruction", DefaultValueFactory = _ => "put the red cube in the bin" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var mmproj = new Option<string?>("--mmproj") { Description = "Multimodal projector for --model: also time the plans with a camera frame of the scene" };
        var vision = new Option<bool>("--vision") { Description = "Without --model: also generate a tiny projector and time plans with a camera frame" };
        var cmd = new Command("planner", "Tokens/s of raw LLamaSharp generation vs generation through the cortex's llama planner on the same model, and instruction-to-validated-plan latency (p50/p99).")
            { model, plans, rawTokens, threads, ctx, task, json, mmproj, vision };
        cmd.SetAction(async (parse, ct) =>
        {
            int n = parse.GetValue(plans), raw = parse.GetValue(rawTokens);
            if (n is < 1 or > 10_000) throw new ConfigurationException($"--plans must be between 1 and 10000, got {n}");
            if (raw is < 8 or > 100_000) throw new ConfigurationException($"--raw-tokens must be between 8 and 100000, got {raw}");
            string? temp = null, tempProj = null;
            var path = parse.GetValue(model);
            var projPath = parse.GetValue(mmproj);
            if (projPath is not null && path is null) throw new ConfigurationException("--mmproj needs the --model it belongs to (or use --vision with the generated model)");
            if (path is null)
            {
                temp = Path.Combine(Path.GetTempPath(), $"cortexbot-bench-{Environment.ProcessId}.gguf");
                path = TinyLlamaModel.Write(temp, 1);
                if (parse.GetValue(vision))
                    projPath = tempProj = TinyClipProjector.Write(Path.Combine(Path.GetTempPath(), $"cortexbot-bench-{Environment.ProcessId}-mmproj.gguf"), 1);
            }
            try
            {
                using var loggers = PlannerCliOptions.StderrLoggers(LogLevel.Error);
                using var planner = new LlamaPlanner(new LlamaPlannerOptions
                {
                    ModelPath = Path.GetFullPath(path),
                    Threads = parse.GetValue(threads),
                    ContextSize = parse.GetValue(ctx),
                    MmprojPath = projPath is null ? null : Path.GetFullPath(projPath),
                }, loggers.CreateLogger<LlamaPlanner>());
                var catalogue = SkillCatalogue.Load(RepoPaths.DefaultSkillCatalogue);
                Core.Messages.SceneSnapshot scene;
                CameraFrame? frame = null;
                using (var world = new MuJoCoWorld(RepoPaths.DefaultScene))
                {
                    world.ResetScene(1);
                    scene = world.Snapshot();
                    if (projPath is not null)
                    {
                        using var camera = new MuJoCoCamera(world);
                        frame = await camera.CaptureAsync(ct);
                    }
                }
                var context = new PlanningContext(parse.GetValue(task)!, scene, catalogue, [], null);
                var report = await PlannerBenchmark.Run(planner, context, n, raw, ct, frame);
                if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(report, CortexBotJson.Options));
                else Console.Write(report.ToTable());
                return 0;
            }
            finally
            {
                if (temp is not null) File.Delete(temp);
                if (tempProj is not null) File.Delete(tempProj);
            }
        });
        return cmd;
    }
}
