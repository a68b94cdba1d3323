using System.CommandLine;
using CortexBot.Core;
using CortexBot.Host.Benchmarks;

namespace CortexBot.Cli.Commands;

/// <summary>`cortexbot bench tasks`: success rate, robot time and planner calls per task family, on seeds no test uses.</summary>
internal static class TasksBenchCommand
{
    public static Command Create()
    {
        var families = new Option<string?>("--families")
        {
            Description = $"Comma-separated families (default all): {string.Join(", ", TaskBenchmark.Families.Select(f => f.Name))}",
        };
        var episodes = new Option<int>("--episodes") { Description = "Episodes per family", DefaultValueFactory = _ => 20 };
        var seed = new Option<int>("--first-seed") { Description = "Seed of each family's first episode (the tests use seeds below 1000)", DefaultValueFactory = _ => TaskBenchmark.DefaultFirstSeed };
        var noRecall = new Option<bool>("--no-recall") { Description = "Do not consult the memory: every plan comes from the planner" };
        var compare = new Option<bool>("--compare-recall")
        {
            Description = "Run every family with recall off and then on, on the same seeds: success with and without memory, and how many plans came from memory (the fast path)",
        };
        var folder = new Option<string?>("--dir") { Description = "Folder for the families' temporary memories (default: the temp folder)" };
        var json = CliOutput.JsonOption();
        var cmd = new Command("tasks", "Task families (pick-place, multi-place, stack-2, stack-3, sort) over many seeds in the embedded simulator: success rate, mean robot time and planner calls per task.")
            { families, episodes, seed, noRecall, compare, folder, json };
        cmd.SetAction(async (parse, ct) =>
        {
            var names = parse.GetValue(families)?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var selected = TaskBenchmark.Select(names);
            bool asJson = parse.GetValue(json);
            var note = GlobalOptions.Progress(parse);
            var report = await TaskBenchmark.RunAsync(selected, parse.GetValue(episodes), parse.GetValue(seed), !parse.GetValue(noRecall),
                new Host.CortexBotOptions(), parse.GetValue(folder) ?? Path.GetTempPath(),
                (family, i, n) => { if (i == n || i % 5 == 0) note?.Invoke($"{family}: {i}/{n} episodes"); }, ct, parse.GetValue(compare));
            if (asJson) CliOutput.WriteJson(report);
            else Console.Write(report.ToTable());
            return 0;
        });
        return cmd;
    }
}
