using System.CommandLine;
using System.Text.Json;
using CortexBot.Core;
using CortexBot.Host;
using CortexBot.Host.Scenarios;
using Microsoft.Extensions.Logging;
using CortexBot.Core.Json;

namespace CortexBot.Cli.Commands;

/// <summary>`cortexbot scenario memory`: the same seeds under a perturbation, without and with memory.</summary>
internal static class ScenarioCommand
{
    public static Command Create()
    {
        var scenario = new Command("scenario", "Scripted experiments in the embedded simulator.");
        scenario.Subcommands.Add(Memory());
        return scenario;
    }

    private static Command Memory()
    {
        var task = new Option<string>("--task") { Description = "The instruction", DefaultValueFactory = _ => MemoryEffectScenario.DefaultTask };
        var perturb = new Option<string[]>("--perturb")
        {
            Description = $"Physics the planner cannot see, OBJECT:slippery or OBJECT:mass=KG,friction=MU (repeatable; default {MemoryEffectScenario.DefaultPerturbation.Object}:slippery)",
        };
        var episodes = new Option<int>("--episodes") { Description = "Episodes per arm (same seeds in both)", DefaultValueFactory = _ => 6 };
        var seed = new Option<int>("--seed") { Description = "First seed", DefaultValueFactory = _ => 1 };
        var replans = new Option<int>("--max-replans") { Description = "Replans per episode (0: every episode is one attempt)", DefaultValueFactory = _ => 0 };
        var workDir = new Option<string?>("--work-dir") { Description = "Folder for the two fresh memory stores (default: a new temporary folder)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object on stdout" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log organ activity to stderr" };
        var scene = CommonOptions.SceneOption();
        var cmd = new Command("memory",
            "Does memory change behaviour? Runs a task on the same seeds under a perturbation, without and then with memory (each from an empty store), and reports both success rates.")
            { task, perturb, episodes, seed, replans, workDir, json, verbose, scene };
        cmd.SetAction(async (parse, ct) =>
        {
            var given = parse.GetValue(perturb) ?? [];
            var perturbations = given.Length == 0 ? [MemoryEffectScenario.DefaultPerturbation] : given.Select(Sim.MuJoCo.ObjectPerturbation.Parse).ToArray();
            var options = new CortexBotOptions
            {
                ScenePath = Path.GetFullPath(parse.GetValue(scene) ?? RepoPaths.DefaultScene),
                RealtimePriority = false,
            };
            string dir = parse.GetValue(workDir) is { } d ? Path.GetFullPath(d) : Directory.CreateTempSubdirectory("cortexbot-scenario-").FullName;
            bool asJson = parse.GetValue(json);
            var report = await MemoryEffectScenario.RunAsync(options, parse.GetValue(task)!, perturbations, parse.GetValue(episodes), parse.GetValue(seed),
                parse.GetValue(replans), dir, GlobalOptions.Level(parse, verbose),
                asJson ? null : GlobalOptions.Progress(parse), ct);
            // The run contract over every episode of both arms.
            int code = RunContract.ExitCode(report.WithoutMemory.Episodes.Concat(report.WithMemory.Episodes).Select(e => e.Success));
            if (asJson)
            {
                Console.WriteLine(JsonSerializer.Serialize(report, CortexBotJson.Options));
                return code;
            }
            Console.WriteLine($"task: {report.Task}; perturbation: {string.Join(", ", report.Perturbations)}; seeds {report.FirstSeed}..{report.FirstSeed + report.Episodes - 1}; replans per episode: {report.MaxReplans}");
            foreach (var arm in new[] { report.WithoutMemory, report.WithMemory })
            {
                Console.WriteLine($"{(arm.Memory ? "with memory   " : "without memory")}: success {arm.SuccessRate:P0}, later attempts {arm.LaterSuccessRate:P0}  " +
                    string.Join(" ", arm.Episodes.Select(e => $"{e.Seed}:{(e.Success ? "ok" : "FAIL")}")) + $"  (store {arm.Store})");
            }
            return code;
        });
        return cmd;
    }
}
