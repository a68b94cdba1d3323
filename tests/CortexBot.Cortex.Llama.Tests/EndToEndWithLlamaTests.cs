using CortexBot.Cerebellum.Control;
using CortexBot.Core;
using CortexBot.Core.Ports;
using CortexBot.Host;
using CortexBot.Sim.MuJoCo;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace CortexBot.Cortex.Llama.Tests;

/// <summary>Whole episodes (MuJoCo arm, cerebellum, hippocampus) planned by a generated random model.</summary>
public class EndToEndWithLlamaTests(ITestOutputHelper output)
{
    [Fact]
    public async Task RandomModelPlansRunEndToEndAndOnlyValidPlansReachTheCerebellum()
    {
        var options = new CortexBotOptions
        {
            Pacing = Pacing.Fast,
            MemoryPath = TestModels.TempFile("memory.db"),
            Planner = LlamaPlanner.PlannerName,
            ModelPath = TestModels.Model(2),
        }.Validate();
        using var planner = new LlamaPlanner(TestModels.Options(2, 3));
        planner.Load();
        var result = await CortexBotRunner.RunAsync(options, "put the red cube in the bin", episodes: 4, firstSeed: 1,
            configure: s => s.AddSingleton<IPlanner>(planner));
        Assert.Null(result.Rejection);
        var report = result.Report!;
        Assert.Equal("llama", report.Cortex.Planner);
        Assert.Equal(4, report.Episodes.Count);
        Assert.Equal(4, report.Hippocampus.EpisodesStored);
        foreach (var e in report.Episodes)
        {
            output.WriteLine($"seed {e.Seed}: success={e.Success} plan=[{string.Join(", ", e.Plan)}] {e.Failure}");
            using var world = new MuJoCoWorld(options.ScenePath);
            world.ResetScene(e.Seed);
            var scene = world.Snapshot();
            var plan = new Core.Messages.Plan([.. e.Plan.Select(Parse)]);
            Assert.Null(PlanValidator.Validate(plan, TestModels.Catalogue, scene));
            Assert.Null(PlanGrammar.CheckHeldSequence(plan, TestModels.Catalogue));
        }
    }

    [Fact]
    public void TheLlamaPlannerNeedsAModelAndTheHostNeedsItRegistered()
    {
        var e = Assert.Throws<ConfigurationException>(() => new CortexBotOptions { Planner = "llama" }.Validate());
        Assert.Contains("needs --model", e.Message);
        e = Assert.Throws<ConfigurationException>(() => new CortexBotOptions { Planner = "gpt" }.Validate());
        Assert.Contains("available: rule, llama", e.Message);
    }

    private static Core.Messages.SkillInvocation Parse(string described)
    {
        int open = described.IndexOf('(');
        var args = described[(open + 1)..^1].Split(", ", StringSplitOptions.RemoveEmptyEntries);
        return Core.Messages.SkillInvocation.Of(described[..open], args);
    }
}
