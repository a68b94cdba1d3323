using CortexBot.Core;
using CortexBot.Hippocampus;
using CortexBot.Host.Scenarios;
using CortexBot.Sim.MuJoCo;
using Xunit.Abstractions;

namespace CortexBot.Host.Tests;

/// <summary>Memory changes behaviour: the whole system on the same seeds under a perturbation, without and with memory.</summary>
public sealed class MemoryEffectTests(ITestOutputHelper output)
{
    [Fact]
    public async Task With_memory_a_slippery_cube_is_gripped_firmly_after_the_first_slip_and_later_attempts_succeed()
    {
        string dir = Path.Combine(Path.GetTempPath(), "cortexbot-tests", $"scenario-{Guid.NewGuid():N}");
        var report = await MemoryEffectScenario.RunAsync(new CortexBotOptions { RealtimePriority = false }, MemoryEffectScenario.DefaultTask,
            [MemoryEffectScenario.DefaultPerturbation], episodes: 3, firstSeed: 11, maxReplans: 0, dir);
        foreach (var arm in new[] { report.WithoutMemory, report.WithMemory })
            output.WriteLine($"memory {arm.Memory}: {string.Join(", ", arm.Episodes.Select(e => $"{e.Seed}:{e.Success} {e.Failure}"))}");

        // Without memory every attempt meets the cube unprepared and it slips; with memory only the first does.
        Assert.Equal(0, report.WithoutMemory.SuccessRate);
        Assert.False(report.WithMemory.Episodes[0].Success);
        Assert.Equal(1.0, report.WithMemory.LaterSuccessRate);
        Assert.Equal(report.WithoutMemory.Episodes.Select(e => e.Seed), report.WithMemory.Episodes.Select(e => e.Seed));

        // What the robot learnt is in the semantic tier, and each step says how it gripped.
        using var store = new SqliteEpisodeStore(report.WithMemory.Store, readOnly: true);
        var facts = store.Facts("red_cube");
        Assert.Contains(facts, f => f.Skill == "pick" && f.Tuning == "" && f.Failures == 1);
        Assert.Contains(facts, f => f.Skill == "place" && f.Tuning == "firm_grip" && f.Successes == 2);
        Assert.Equal("firm_grip", store.Get(report.WithMemory.Episodes[2].EpisodeId)!.Steps[0].Parameters);
        using var without = new SqliteEpisodeStore(report.WithoutMemory.Store, readOnly: true);
        Assert.All(without.Recent(10).SelectMany(e => e.Steps), s => Assert.Null(s.Parameters));
    }

    [Fact]
    public async Task Within_one_episode_a_slip_makes_the_replanned_pick_grip_firmly()
    {
        // Working memory, no recall: the retry after the slip already grips firmly.
        var options = TestOptions.Fast() with
        {
            RealtimePriority = false,
            Perturbations = [MemoryEffectScenario.DefaultPerturbation],
            Timeouts = EpisodeTimeouts.Default with { UseMemory = false },
        };
        var result = await CortexBotRunner.RunAsync(options, MemoryEffectScenario.DefaultTask, 1, 11);
        var e = Assert.Single(result.Report!.Episodes);
        Assert.True(e.Success, e.Failure);
        using var store = new SqliteEpisodeStore(options.MemoryPath, readOnly: true);
        var steps = store.Get(e.EpisodeId)!.Steps;
        Assert.Null(steps[0].Parameters);
        Assert.StartsWith("object_dropped", steps[0].Detail);
        Assert.Contains(steps, s => s.Skill == "pick(red_cube)" && s.Parameters == "firm_grip" && s.Outcome == Core.Messages.SkillOutcome.Succeeded);
    }

    [Fact]
    public async Task The_run_report_counts_every_plan_the_cortex_produced_replans_included()
    {
        var options = TestOptions.Fast() with
        {
            RealtimePriority = false,
            Perturbations = [MemoryEffectScenario.DefaultPerturbation],
            Timeouts = EpisodeTimeouts.Default with { UseMemory = false },
        };
        var result = await CortexBotRunner.RunAsync(options, MemoryEffectScenario.DefaultTask, 2, 11);

        var report = result.Report!;
        // Each episode: the default grip lets the cube slip, the cortex replans, the firm grip carries it: two plans each.
        Assert.All(report.Episodes, e =>
        {
            Assert.True(e.Success, e.Failure);
            Assert.Equal(1, e.Anomalies);
            Assert.Equal(["pick(red_cube)", "place(red_cube, bin)", "pick(red_cube)", "place(red_cube, bin)"], e.Plan);
        });
        Assert.Equal(4, report.Cortex.Plans);

        // Without replans the same slip ends the episode after its one plan.
        var once = await CortexBotRunner.RunAsync(options with { MemoryPath = TestOptions.TempDb(), Timeouts = options.Timeouts with { MaxReplans = 0 } },
            MemoryEffectScenario.DefaultTask, 1, 11);
        var e = Assert.Single(once.Report!.Episodes);
        Assert.False(e.Success);
        Assert.Equal(1, e.Anomalies);
        Assert.Equal(1, once.Report.Cortex.Plans);
    }

    [Fact]
    public async Task Perturbations_are_refused_for_a_real_robot_and_bad_ones_name_the_problem()
    {
        var ros = new CortexBotOptions { Robot = CortexBot.Host.RobotKind.Ros2, Perturbations = [MemoryEffectScenario.DefaultPerturbation] };
        Assert.Contains("--perturb", Assert.Throws<ConfigurationException>(() => ros.Validate()).Message);
        var unknown = TestOptions.Fast() with { Perturbations = [ObjectPerturbation.Parse("purple_cube:slippery")] };
        var e = await Assert.ThrowsAsync<ConfigurationException>(() => CortexBotRunner.RunAsync(unknown, MemoryEffectScenario.DefaultTask, 1, 1));
        Assert.Contains("purple_cube", e.Message);
        await Assert.ThrowsAsync<ConfigurationException>(() => MemoryEffectScenario.RunAsync(new CortexBotOptions(), MemoryEffectScenario.DefaultTask,
            [MemoryEffectScenario.DefaultPerturbation], episodes: 1, firstSeed: 1, maxReplans: 0, Path.GetTempPath()));
    }
}
