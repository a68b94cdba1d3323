using CortexBot.Cerebellum.Learning;
using CortexBot.Cerebellum.Training;
using CortexBot.Cerebellum.Training.Demos;

namespace CortexBot.Cerebellum.Training.Tests;

/// <summary>Records a tiny dataset (3 episodes) and trains a small policy once for the whole test class.</summary>
public sealed class PipelineFixture : IAsyncLifetime
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "cortexbot-learning-" + Guid.NewGuid().ToString("N"));
    public string Demos => Path.Combine(Root, "demos");
    public string PolicyPath => Path.Combine(Root, "policy", "tiny.onnx");
    public DemoRecordResult Recorded { get; private set; } = null!;
    public FlowMatchingTrainer Trainer { get; private set; } = null!;
    public DemoInfo Info { get; private set; } = null!;
    public List<DemoEpisode> Episodes { get; private set; } = null!;

    public static TrainOptions SmallOptions(int seed = 3) => new() { Steps = 150, Seed = seed, Hidden = [64, 64], BatchSize = 64, Horizon = 8, FlowSteps = 4, ReportEvery = 50 };

    public async Task InitializeAsync()
    {
        Recorded = await DemoRecorder.RecordAsync(new DemoRecordOptions { Episodes = 3, Seed = 11 }, Demos);
        (Info, Episodes) = await DemoDataset.LoadSuccessfulAsync(Demos);
        Trainer = new FlowMatchingTrainer(SmallOptions());
        Trainer.Train(Info, Episodes, Demos, Info.TotalEpisodes);
        OnnxPolicyExporter.Export(Trainer, PolicyPath);
    }

    public Task DisposeAsync()
    {
        Trainer?.Dispose();
        try { Directory.Delete(Root, true); } catch (IOException) { }
        return Task.CompletedTask;
    }
}
