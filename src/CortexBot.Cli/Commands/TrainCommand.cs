using System.CommandLine;
using System.Text.Json;
using CortexBot.Brainstem;
using CortexBot.Cerebellum.Learning;
using CortexBot.Cerebellum.Learning.Runtime;
using CortexBot.Cerebellum.Training;
using CortexBot.Cerebellum.Training.Demos;
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
        var ignore = new Option<string[]>("--ignore")
        {
            Description = "Observation names the policy ignores (their std is set so they reach the network as ~0); default: the joint velocities and the elapsed time",
            AllowMultipleArgumentsPerToken = true,
        };
        var selectEvery = new Option<int>("--select-every")
        {
            Description = "Score a checkpoint every N steps by closed-loop success on validation seeds and keep the best (0: keep the last)",
            DefaultValueFactory = _ => 0,
        };
        var selectSeed = new Option<int>("--select-seed") { Description = "First validation seed for --select-every (disjoint from the demonstrations' seeds)", DefaultValueFactory = _ => 5000 };
        var selectEpisodes = new Option<int>("--select-episodes") { Description = "Validation episodes per scored checkpoint", DefaultValueFactory = _ => 20 };
        var relativeTo = new Option<string>("--relative-to")
        {
            Description = "What a chunk's joint actions are relative to: the last commanded joints (command) or the measured ones (measured, as v1 policies)",
            DefaultValueFactory = _ => "command",
        }.Among("command", "measured");
        var json = CliOutput.JsonOption();
        var cmd = new Command("train", "Train the flow-matching action expert on demonstrations (TorchSharp, CPU) and export it to ONNX.")
            { demos, output, steps, seed, horizon, flowSteps, batch, lr, ignore, selectEvery, selectSeed, selectEpisodes, relativeTo, json };
        cmd.SetAction(async (parse, ct) =>
        {
            var dir = Path.GetFullPath(parse.GetValue(demos)!);
            var outPath = Path.GetFullPath(parse.GetValue(output)!);
            if (!outPath.EndsWith(".onnx", StringComparison.OrdinalIgnoreCase)) throw new ConfigurationException($"--out must name a .onnx file, got {outPath}");
            bool asJson = parse.GetValue(json);
            bool bar = CliOutput.ShowProgress(parse, asJson);
            var note = GlobalOptions.Progress(parse);
            var (info, episodes) = await DemoDataset.LoadSuccessfulAsync(dir);
            note?.Invoke($"dataset {dir}: {info.TotalEpisodes} episodes, {episodes.Count} successful, {episodes.Sum(e => e.Length)} frames at {info.Fps} Hz");
            var options = new TrainOptions
            {
                Steps = parse.GetValue(steps), Seed = parse.GetValue(seed), Horizon = parse.GetValue(horizon), FlowSteps = parse.GetValue(flowSteps),
                BatchSize = parse.GetValue(batch), LearningRate = parse.GetValue(lr), ReportEvery = Math.Max(1, parse.GetValue(steps) / 40),
                SelectEvery = parse.GetValue(selectEvery),
                ActionsRelativeTo = parse.GetValue(relativeTo) == "measured" ? PolicyLayout.MeasuredJointNames : PolicyLayout.CommandedJointNames,
            };
            if (parse.GetValue(ignore) is { Length: > 0 } ignored)
                options = options with { IgnoredObservations = [.. ignored.SelectMany(n => n.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))] };
            using var scorer = options.SelectEvery > 0
                ? new ClosedLoopScorer(parse.GetValue(selectSeed), parse.GetValue(selectEpisodes), [episodes.Min(e => e.Info.Seed), episodes.Max(e => e.Info.Seed)], SafetyGate.Factory, bar ? _ => { } : note ?? (_ => { }))
                : null;
            using var trainer = new FlowMatchingTrainer(options) { SelectionMethod = scorer?.Description };
            var summary = await CliOutput.WithProgressAsync(bar, "training", options.Steps, report => Task.FromResult(
                trainer.Train(info, episodes, dir, info.TotalEpisodes, p =>
                {
                    ct.ThrowIfCancellationRequested();
                    string status = $"step {p.Step}/{p.Steps} loss {p.TrainLoss:F4}" + (p.ValLoss is { } v ? $" val {v:F4}" : "");
                    report(p.Step, status);
                    if (bar || note is null) return;
                    int width = 30, done = (int)Math.Round(width * (double)p.Step / p.Steps);
                    note($"[{new string('#', done)}{new string('.', width - done)}] {status} {p.ElapsedS:F0}s");
                }, scorer is null ? null : scorer.Score)));
            OnnxPolicyExporter.Export(trainer, outPath);
            double parity = ParityCheck.MaxAbsDifference(trainer, outPath, samples: 8, seed: options.Seed);
            note?.Invoke($"exported {outPath} (+ {Path.GetFileName(PolicyManifest.PathFor(outPath))}); ONNX Runtime vs TorchSharp max |diff| {parity:E2}");
            if (!(parity <= 1e-4)) throw new InvalidOperationException($"exported graph disagrees with TorchSharp by {parity:E2} (> 1e-4); the policy must not be used");
            if (asJson)
            {
                CliOutput.WriteJson(new { policy = outPath, manifest = PolicyManifest.PathFor(outPath), parity_max_abs_diff = parity, training = summary });
                return 0;
            }
            Console.WriteLine($"trained {summary.Parameters} parameters in {summary.WallS} s: train loss {summary.FinalTrainLoss}, val loss {summary.ValLoss}, val chunk mse {summary.ValChunkMse}" +
                (summary.SelectedStep is { } sel ? $"; kept step {sel} ({summary.Selection!.First(s => s.Step == sel).SuccessRate:P0} closed-loop success)" : "") + $"; wrote {outPath}");
            return 0;
        });
        return cmd;
    }
}
