using CortexBot.Hippocampus;
using Xunit.Abstractions;

namespace CortexBot.Host.Tests;

/// <summary>The whole system on a repeated task: the second episode's plan comes from memory (no planner call).</summary>
public sealed class FastPathEpisodeTests(ITestOutputHelper output)
{
    private const string Task = "put the red cube in the bin";

    [Fact]
    public async Task A_repeated_task_on_a_fresh_seed_is_planned_from_memory_and_succeeds()
    {
        var options = TestOptions.Fast() with { RealtimePriority = false };
        var result = await CortexBotRunner.RunAsync(options, Task, 2, 31);
        var report = result.Report!;
        foreach (var e in report.Episodes) output.WriteLine($"seed {e.Seed}: {e.Success} {string.Join(", ", e.Plan)} {e.Failure}");

        Assert.All(report.Episodes, e => Assert.True(e.Success, e.Failure));
        Assert.Equal(1, report.Cortex.FastPlans);
        Assert.Equal(1, report.Cortex.SlowPlans);
        Assert.Equal("rule", report.Cortex.Planner);
        using var store = new SqliteEpisodeStore(options.MemoryPath, readOnly: true);
        Assert.Equal("rule", store.Get(report.Episodes[0].EpisodeId)!.Planner);
        Assert.Equal(Cortex.CortexActor.MemoryPlannerName, store.Get(report.Episodes[1].EpisodeId)!.Planner);
        Assert.Equal(report.Episodes[0].Plan, report.Episodes[1].Plan);
    }

    [Fact]
    public async Task Without_recall_every_plan_comes_from_the_planner()
    {
        var options = TestOptions.Fast() with { RealtimePriority = false, Timeouts = EpisodeTimeouts.Default with { UseMemory = false } };
        var report = (await CortexBotRunner.RunAsync(options, Task, 2, 31)).Report!;
        Assert.Equal(0, report.Cortex.FastPlans);
        Assert.Equal(2, report.Cortex.SlowPlans);
    }
}
