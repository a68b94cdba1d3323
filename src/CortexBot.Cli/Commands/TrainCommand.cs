using System.CommandLine;
using CortexBot.Cerebellum.Learning.Demos;
using CortexBot.Cerebellum.Learning.Runtime;
using CortexBot.Cerebellum.Learning.Training;
using CortexBot.Core;

namespace CortexBot.Cli.Commands;

/// <summary>`cortexbot train`: flow-matching training with TorchSharp, ONNX export and parity check.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var demos = new Option<string>("--demos") { Description = "Demonstration dataset folder (from `cortexbot demos record`)", Required = true };
        var output = new Option<string>("--out") { Description = "Policy file to write, e.g. policies/pick_place.onnx (the manifest goes beside it as .json)", Required = true };
        var steps = new Option<int>("--steps") { Description = "Training steps (batches)", DefaultValueFactory = _ => 4000 };
        var seed = new Option<int>("--seed") { Description = "Training seed (split, initialisation, batches, noise)", DefaultValueFactory = _ => 1 };
        var horizon = new Option<int>("--horizon") { Description = "Action chunk length (policy steps)", DefaultValueFactory = _ => 16 };
        var flowSteps = new Option<int>("--flow-steps") { Description = "Euler steps unrolled in the exported graph", DefaultValueFactory = _ => 8 };
        var batch = new Option<int>("--batch") { Description = "Batch size", DefaultValueFactory = _ => 256 };
        var lr = new Option<double>("--lr") { Description = "Adam learning rate (cosine-annealed)", DefaultValueFactory = _ => 1e-3 };
        var cmd = new Command("train", "Train the flow-matching action expert on demonstrations (TorchSharp, CPU) and export it to ONNX.")
            { demos, output, steps, seed, horizon, flowSteps, batch, lr };
        cmd.SetAction(async (parse, ct) =>
        {
            var dir = Path.GetFullPath(parse.GetValue(demos)!);
            var outPath = Path.GetFullPath(parse.GetValue(output)!);
            if (!outPath.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)) throw new ConfigurationException($"--out must name a .onnx file, got {outPath}");
            var (info, episodes) = await DemoDataset.LoadSuccessfulAsync(dir);
            Console.Error.WriteLine($"dataset {dir}: {info.TotalEpisodes} episodes, {episodes.Count} successful, {episodes.Sum(e => e.Length)} frames at {info.Fps} Hz");
            var options = new TrainOptions
            {
                Steps = parse.GetValue(steps), Seed = parse.GetValue(seed), Horizon = parse.GetValue(horizon), FlowSteps = parse.GetValue(flowSteps),
                BatchSize = parse.GetValue(batch), LearningRate = parse.GetValue(lr), ReportEvery = Math.Max(1, parse.GetValue(steps) / 40),
            };
            using var trainer = new FlowMatchingTrainer(options);
            var summary = trainer.Train(info, episodes, dir, info.TotalEpisodes, p =>
            {
                ct.ThrowIfCancellationRequested();
                int width = 30, done = (int)Math.Round(width * (double)p.Step / p.Steps);
                Console.Error.WriteLine($"[{new string('#', done)}{new string('.', width - done)}] step {p.Step}/{p.Steps} loss {p.TrainLoss:F4}" +
                    (p.ValLoss is { } v ? $" val {v:F4}" : "") + $" {p.ElapsedS:F0}s");
            });
            OnnxPolicyExporter.Export(trainer, outPath);
            double parity = ParityCheck.MaxAbsDifference(trainer, outPath, samples: 8, seed: options.Seed);
            Console.Error.WriteLine($"exported {outPath} (+ {Path.GetFileName(PolicyManifest.PathFor(outPath))}); ONNX Runtime vs TorchSharp max |diff| {parity:E2}");
            if (!(parity <= 1e-4)) throw new InvalidOperationException($"exported graph disagrees with TorchSharp by {parity:E2} (> 1e-4); the policy must not be used");
            Console.WriteLine($"trained {summary.Parameters} parameters in {summary.WallS} s: train loss {summary.FinalTrainLoss}, val loss {summary.ValLoss}, val chunk mse {summary.ValChunkMse}; wrote {outPath}");
            return 0;
        });
        return cmd;
    }
}
