using System.CommandLine;
using System.Text.Json;
using CortexBot.Brainstem;
using CortexBot.Cerebellum.Learning;
using CortexBot.Cerebellum.Training;
using CortexBot.Core;
using CortexBot.Core.Json;

namespace CortexBot.Cli.Commands;

/// <summary>`cortexbot eval`: the learned policy vs the analytic expert on the same seeds, fast mode.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var policy = new Option<string>("--policy") { Description = "Policy file (.onnx with its .json manifest beside it)", Required = true };
        var episodes = new Option<int>("--episodes") { Description = "Number of episodes (seeds)", DefaultValueFactory = _ => 10 };
        var seed = new Option<int>("--seed") { Description = "First seed (use seeds not used for the training demonstrations)", DefaultValueFactory = _ => 1000 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout" };
        var noExpert = new Option<bool>("--no-expert") { Description = "Skip the analytic expert runs" };
        var maxSeconds = new Option<double>("--max-seconds") { Description = "Robot-time limit per policy episode", DefaultValueFactory = _ => 20 };
        var execute = new Option<int>("--execute-steps") { Description = "Setpoints executed per chunk before the next is requested (default: the whole chunk)", DefaultValueFactory = _ => 0 };
        var record = new Option<bool>("--record") { Description = "Write the result into the policy's manifest (its \"eval\" field)" };
        var deterministic = new Option<bool>("--sample-noise") { Description = "Start the flow from seeded standard-normal noise instead of zeros (the deterministic mode, default)" };
        var trace = new Option<bool>("--trace") { Description = "Print the tool, gripper and object every 0.5 s of each policy episode (stderr)" };
        var scene = CommonOptions.SceneOption();
        var cmd = new Command("eval", "Evaluate a learned policy against the analytic expert on randomized scenes (fast mode).")
            { policy, episodes, seed, json, noExpert, maxSeconds, execute, deterministic, trace, record, scene };
        cmd.SetAction(async (parse, ct) =>
        {
            var options = new EvalOptions
            {
                Episodes = parse.GetValue(episodes), Seed = parse.GetValue(seed), RunExpert = !parse.GetValue(noExpert),
                MaxSeconds = parse.GetValue(maxSeconds), ExecuteSteps = parse.GetValue(execute), DeterministicNoise = !parse.GetValue(deterministic),
                ScenePath = Path.GetFullPath(parse.GetValue(scene) ?? RepoPaths.DefaultScene),
                Trace = parse.GetValue(trace) ? Console.Error.WriteLine : null,
            };
            bool asJson = parse.GetValue(json);
            bool bar = CliOutput.ShowProgress(parse, asJson);
            var note = asJson ? null : GlobalOptions.Progress(parse);
            int done = 0;
            var result = await CliOutput.WithProgressAsync(bar, "evaluating", options.Episodes, report =>
                PolicyEvaluator.EvaluateAsync(parse.GetValue(policy)!, options, SafetyGate.Factory, line =>
                {
                    report(++done, line);
                    if (!bar) note?.Invoke(line);
                }, ct));
            if (parse.GetValue(record) && result.ExpertSuccessRate is { } expertRate)
            {
                var manifestPath = PolicyManifest.PathFor(Path.GetFullPath(parse.GetValue(policy)!));
                var manifest = PolicyManifest.Load(manifestPath);
                (manifest with { Eval = new EvalSummary(result.Episodes, result.Seed, result.PolicySuccessRate, expertRate, result.ChunkLatencyUsP50, result.ChunkLatencyUsP99) })
                    .Save(manifestPath);
            }
            if (asJson) Console.WriteLine(JsonSerializer.Serialize(result, CortexBotJson.Options));
            else
                Console.WriteLine($"policy success {result.PolicySuccessRate:P0} (mean {result.PolicyMeanEpisodeS:F1} s), expert success " +
                    $"{(result.ExpertSuccessRate is { } x ? x.ToString("P0") : "n/a")}, chunk latency p50 {result.ChunkLatencyUsP50} us p99 {result.ChunkLatencyUsP99} us over {result.Chunks} chunks");
            // The run contract over the policy's episodes (the expert is the baseline, not judged).
            return RunContract.ExitCode(result.Runs.Select(r => r.PolicySuccess));
        });
        return cmd;
    }
}
