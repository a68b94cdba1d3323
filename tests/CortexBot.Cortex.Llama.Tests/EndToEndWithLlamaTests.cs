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
    public async Task WithAnMmprojTheCortexPlansEpisodesFromCameraFramesOfTheSimulator()
    {
        var options = new CortexBotOptions
        {
            Pacing = Pacing.Fast,
            MemoryPath = TestModels.TempFile("memory.db"),
            Planner = LlamaPlanner.PlannerName,
            ModelPath = TestModels.Model(2),
            MmprojPath = MultimodalPlannerTests.Projector(),
            CameraWidth = 96,
            CameraHeight = 72,
        }.Validate();
        var log = new ListLogger();
        using var planner = new LlamaPlanner(TestModels.Options(2, 3) with { MmprojPath = options.MmprojPath }, log);
        planner.Load();
        var result = await CortexBotRunner.RunAsync(options, "put the red cube in the bin", episodes: 2, firstSeed: 1,
            configure: s => s.AddSingleton<IPlanner>(planner));
        Assert.Null(result.Rejection);
        Assert.Equal(2, result.Report!.Episodes.Count);
        Assert.Contains(LLama.Native.NativeApi.MtmdDefaultMarker()!, planner.LastStats!.LastPrompt);
        Assert.DoesNotContain(log.Lines, l => l.Contains("no camera frame"));
    }

    [Fact]
    public void AnMmprojNeedsTheLlamaPlannerAndAnExistingFile()
    {
        var e = Assert.Throws<ConfigurationException>(() => new CortexBotOptions { MmprojPath = "/tmp/x.gguf" }.Validate());
        Assert.Contains("--mmproj is only used with --planner llama", e.Message);
        e = Assert.Throws<ConfigurationException>(() => new CortexBotOptions
            { Planner = "llama", ModelPath = TestModels.Model(), MmprojPath = "/nonexistent/p.gguf" }.Validate());
        Assert.Contains("mmproj file not found: /nonexistent/p.gguf", e.Message);
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
