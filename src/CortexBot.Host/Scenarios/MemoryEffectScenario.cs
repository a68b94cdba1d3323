using CortexBot.Cerebellum.Control;
using CortexBot.Core;
using CortexBot.Sim.MuJoCo;
using Microsoft.Extensions.Logging;

namespace CortexBot.Host.Scenarios;

/// <summary>One side of the comparison: the same seeds, with or without consulting memory.</summary>
public sealed record MemoryArmReport(
    bool Memory,
    double SuccessRate,
    double LaterSuccessRate,
    IReadOnlyList<EpisodeReport> Episodes,
    string Store);

/// <summary>The result of <see cref="MemoryEffectScenario"/>; <c>later_*</c> leaves out each arm's first episode.</summary>
public sealed record MemoryEffectReport(
    string Task,
    IReadOnlyList<string> Perturbations,
    int FirstSeed,
    int Episodes,
    int MaxReplans,
    MemoryArmReport WithoutMemory,
    MemoryArmReport WithMemory);

/// <summary>
/// Does memory change what the robot does? Runs one task on the same seeds twice, under a consistent perturbation the
/// planner cannot see (by default a heavy, slippery red cube): once without consulting memory, once with it, each from
/// an empty store. Every episode is one attempt (no replanning by default), so an episode's success says whether the
/// robot went in prepared. With memory, the slip of an early attempt becomes a semantic fact and later picks grip firmly.
/// </summary>
public static class MemoryEffectScenario
{
    public const string DefaultTask = "put the red cube in the bin";

    public static ObjectPerturbation DefaultPerturbation { get; } = new("red_cube", ObjectPerturbation.Slippery);

    /// <param name="options">The run's configuration; memory path, recall, perturbations and pacing are set per arm.</param>
    /// <param name="workDirectory">Where the two fresh stores are created (must not already hold them).</param>
    public static async Task<MemoryEffectReport> RunAsync(CortexBotOptions options, string task, IReadOnlyList<ObjectPerturbation> perturbations,
        int episodes, int firstSeed, int maxReplans, string workDirectory, LogLevel logLevel = LogLevel.Warning,
        Action<string>? progress = null, CancellationToken cancellationToken = default)
    {
        if (episodes is < 2 or > 1000) throw new ConfigurationException($"--episodes must be between 2 and 1000 (later attempts need a first), got {episodes}");
        if (maxReplans is < 0 or > 10) throw new ConfigurationException($"--max-replans must be between 0 and 10, got {maxReplans}");
        Directory.CreateDirectory(workDirectory);
        var arms = new List<MemoryArmReport>();
        foreach (bool memory in new[] { false, true })
        {
            string store = Path.Combine(workDirectory, memory ? "with-memory.db" : "without-memory.db");
            if (File.Exists(store))
                throw new ConfigurationException($"{store} already exists; the scenario starts each arm from an empty memory (choose another --work-dir)");
            var armOptions = options with
            {
                MemoryPath = store,
                Pacing = Pacing.Fast,
                Perturbations = [.. perturbations],
                Timeouts = options.Timeouts with { UseMemory = memory, MaxReplans = maxReplans },
            };
            progress?.Invoke($"{(memory ? "with" : "without")} memory: {episodes} episodes from seed {firstSeed} ...");
            var result = await CortexBotRunner.RunAsync(armOptions, task, episodes, firstSeed, logLevel: logLevel, cancellationToken: cancellationToken);
            if (result.Rejection is not null) throw new ConfigurationException($"the task was refused: {result.Rejection}");
            var e = result.Report!.Episodes;
            double later = e.Skip(1).Count(x => x.Success) / (double)(e.Count - 1);
            arms.Add(new MemoryArmReport(memory, result.Report.SuccessRate, Math.Round(later, 4), e, store));
        }
        return new MemoryEffectReport(task, [.. perturbations.Select(p => p.ToString())], firstSeed, episodes, maxReplans, arms[0], arms[1]);
    }
}
