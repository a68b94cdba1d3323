using CortexBot.Cerebellum.Control;
using CortexBot.Core;
using CortexBot.Core.Ports;
using CortexBot.Host;
using CortexBot.Sim.MuJoCo;
using CortexBot.Testing;
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
        }
    }

    [Fact]
    public async Task AnAnomalyMakesTheModelPlannerReplanFromTheCurrentSceneWithinTheBound()
    {
        // The shoulder is blocked after every reset: whatever the random model plans, its first arm motion is obstructed.
        var options = new CortexBotOptions
        {
            Pacing = Pacing.Fast,
            MemoryPath = TestModels.TempFile("memory.db"),
            Planner = LlamaPlanner.PlannerName,
            ModelPath = TestModels.Model(2),
        }.Validate();
        // Sampling seed 1: the random model's first plan moves the arm (several seeds only open or close the gripper; which
        // do depends on the prompt and grammar, so a change to either may need another seed here).
        using var model = new LlamaPlanner(TestModels.Options(2, 1));
        model.Load();
        var planner = new RecordingPlanner(model);
        var result = await CortexBotRunner.RunAsync(options, "put the red cube in the bin", episodes: 1, firstSeed: 1,
            configure: s =>
            {
                s.AddSingleton<IPlanner>(planner);
                s.AddRobot(_ => new BlockedShoulderWorld(new MuJoCoWorld(options.ScenePath)));
            });
        Assert.Null(result.Rejection);
        var e = result.Report!.Episodes[0];
        output.WriteLine($"anomalies={e.Anomalies} plans={planner.Contexts.Count} plan=[{string.Join(", ", e.Plan)}] {e.Failure}");
        Assert.False(e.Success);
        // Every obstruction the cerebellum reported made the model plan again, from a fresh scene and with the anomaly in
        // its context, within the episode's bound.
        Assert.InRange(e.Anomalies, 1, 1 + EpisodeTimeouts.Default.MaxReplans);
        Assert.Equal(Math.Min(1 + e.Anomalies, 1 + EpisodeTimeouts.Default.MaxReplans), planner.Contexts.Count);
        Assert.Null(planner.Contexts[0].Anomaly);
        for (int i = 1; i < planner.Contexts.Count; i++)
        {
            Assert.Equal(Core.Messages.AnomalyKinds.TrackingError, planner.Contexts[i].Anomaly?.Kind);
            Assert.True(planner.Contexts[i].Scene.StampNs > planner.Contexts[i - 1].Scene.StampNs, "replanned from an older scene");
        }
        using var store = new Hippocampus.SqliteEpisodeStore(options.MemoryPath, readOnly: true);
        Assert.All(store.Recent(1)[0].Anomalies, a => Assert.StartsWith("tracking_error", a));
    }

    /// <summary>Passes planning on to the model and keeps every context it was asked with.</summary>
    private sealed class RecordingPlanner(IPlanner inner) : IPlanner
    {
        public List<PlanningContext> Contexts { get; } = [];
        public string Name => inner.Name;
        public Task<PlanResult> PlanAsync(PlanningContext context, CancellationToken cancellationToken)
        {
            lock (Contexts) Contexts.Add(context);
            return inner.PlanAsync(context, cancellationToken);
        }
    }

    /// <summary>The simulator with its shoulder pan joint braked after every reset (an obstruction).</summary>
    private sealed class BlockedShoulderWorld(MuJoCoWorld inner) : DelegatingWorld<MuJoCoWorld>(inner)
    {
        public override void ResetScene(int seed)
        {
            Inner.ResetScene(seed);
            Inner.BlockJoint("shoulder_pan");
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
