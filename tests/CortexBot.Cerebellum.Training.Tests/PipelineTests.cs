using System.Text.Json.Nodes;
using CortexBot.Cerebellum.Learning;
using CortexBot.Cerebellum.Learning.Runtime;
using CortexBot.Cerebellum.Learning.Tests;
using CortexBot.Cerebellum.Training;
using CortexBot.Cerebellum.Training.Demos;
using CortexBot.Core;
using CortexBot.Testing;
using Parquet.Serialization;

namespace CortexBot.Cerebellum.Training.Tests;

public sealed class PipelineTests(PipelineFixture f) : IClassFixture<PipelineFixture>
{
    [Fact]
    public async Task Recorded_dataset_is_self_describing_and_complete()
    {
        Assert.Equal(3, f.Recorded.Episodes);
        Assert.True(f.Recorded.Successful >= 2, $"the analytic expert should succeed on most seeds, got {f.Recorded.Successful}/3");
        var info = JsonNode.Parse(File.ReadAllText(Path.Combine(f.Demos, "meta", "info.json")))!;
        Assert.Equal(50, info["fps"]!.GetValue<int>());
        Assert.Equal(f.Recorded.Frames, info["total_frames"]!.GetValue<int>());
        Assert.Equal(PolicyLayout.ObservationSize, info["features"]!["observation.state"]!["shape"]![0]!.GetValue<int>());
        var (_, episodes) = DemoDataset.ReadMeta(f.Demos);
        Assert.Equal([11, 12, 13], episodes.Select(e => e.Seed));
        long index = 0;
        foreach (var ep in episodes)
        {
            var rows = (await ParquetSerializer.DeserializeAsync<DemoFrame>(DemoDataset.EpisodePath(f.Demos, ep.EpisodeIndex))).Data;
            Assert.Equal(ep.Length, rows.Count);
            Assert.True(rows.Count > 100, "a pick-and-place demonstration lasts several seconds at 50 Hz");
            Assert.Equal(index, rows[0].Index);
            Assert.Equal(Enumerable.Range(0, rows.Count).Select(i => (long)i), rows.Select(r => r.FrameIndex));
            Assert.All(rows, r => Assert.Equal(PolicyLayout.ActionSize, r.Action.Length));
            Assert.All(rows, r => Assert.All(r.ObservationState, v => Assert.True(float.IsFinite(v))));
            // The gripper command opens, closes on the cube (the moderate grasp drives it to 15 mm), and opens again over the bin.
            var grip = rows.Select(r => r.Action[6]).ToArray();
            Assert.True(grip.Min() < 0.016f && grip[^1] > 0.03f, "gripper command should close then reopen");
            index += rows.Count;
        }
    }

    [Fact]
    public async Task Failed_episodes_are_marked_and_left_out_of_training()
    {
        var copy = Path.Combine(f.Root, "marked");
        CopyDir(f.Demos, copy);
        var lines = File.ReadAllLines(Path.Combine(copy, "meta", "episodes.jsonl"));
        lines[1] = lines[1].Replace("\"success\":true", "\"success\":false");
        File.WriteAllLines(Path.Combine(copy, "meta", "episodes.jsonl"), lines);
        var (_, all) = DemoDataset.ReadMeta(copy);
        var (_, ok) = await DemoDataset.LoadSuccessfulAsync(copy);
        Assert.DoesNotContain(ok, e => e.Info.EpisodeIndex == 1);
        Assert.Equal(all.Count(e => e.Success), ok.Count);
    }

    [Fact]
    public async Task Dataset_with_wrong_layout_is_refused_with_a_clear_error()
    {
        var copy = Path.Combine(f.Root, "wrong-layout");
        CopyDir(f.Demos, copy);
        var path = Path.Combine(copy, "meta", "info.json");
        File.WriteAllText(path, File.ReadAllText(path).Replace("\"qd3\"", "\"elbow_torque\""));
        var e = await Assert.ThrowsAsync<ConfigurationException>(() => DemoDataset.LoadSuccessfulAsync(copy));
        Assert.Contains("observation.state", e.Message);
        Assert.Contains("elbow_torque", e.Message);
        var missing = await Assert.ThrowsAsync<ConfigurationException>(() => DemoDataset.LoadSuccessfulAsync(Path.Combine(f.Root, "nothing-here")));
        Assert.Contains("not a demonstration dataset", missing.Message);
    }

    [Fact]
    public void Recording_into_a_non_empty_folder_is_refused()
    {
        var e = Assert.ThrowsAsync<ConfigurationException>(() => DemoRecorder.RecordAsync(new DemoRecordOptions { Episodes = 1 }, f.Demos)).Result;
        Assert.Contains("not empty", e.Message);
    }

    [Fact]
    public void Training_lowers_the_loss_and_is_reproducible_from_its_seed()
    {
        var losses = new List<double>[2];
        var outputs = new float[2][];
        var obs = f.Episodes[0].Observations.AsSpan(0, PolicyLayout.ObservationSize).ToArray();
        var noise = new float[8 * PolicyLayout.ActionSize];
        for (int run = 0; run < 2; run++)
        {
            losses[run] = [];
            using var t = new FlowMatchingTrainer(PipelineFixture.SmallOptions(seed: 5) with { Steps = 120, ReportEvery = 20 });
            t.Train(f.Info, f.Episodes, f.Demos, f.Info.TotalEpisodes, p => losses[run].Add(p.TrainLoss));
            outputs[run] = t.Sample(obs, noise, 1);
        }
        Assert.Equal(losses[0], losses[1]);
        Assert.Equal(outputs[0], outputs[1]);
        Assert.True(losses[0][^1] < 0.8 * losses[0][0], $"loss should fall: {string.Join(", ", losses[0])}");
        Assert.True(f.Trainer.Summary!.ValEpisodes >= 1 && f.Trainer.Summary.TrainEpisodes >= 1, "an episode is held out for validation");
    }

    [Fact]
    public void Onnx_runtime_matches_torchsharp_within_1e_4()
    {
        double diff = ParityCheck.MaxAbsDifference(f.Trainer, f.PolicyPath, samples: 6, seed: 21);
        Assert.True(diff <= 1e-4, $"max |onnx - torch| = {diff}");
        // And on a real recorded observation with zero noise (the deterministic mode).
        using var expert = new OnnxActionExpert(f.PolicyPath) { DeterministicNoise = true };
        var obs = f.Episodes[0].Observations.AsSpan(50 * PolicyLayout.ObservationSize, PolicyLayout.ObservationSize).ToArray();
        var onnx = expert.Infer(obs).ToArray();
        var torch = f.Trainer.Sample(obs, new float[onnx.Length], 1);
        Assert.Equal(8 * PolicyLayout.ActionSize, onnx.Length);
        for (int i = 0; i < onnx.Length; i++) Assert.True(Math.Abs(onnx[i] - torch[i]) <= 1e-4, $"entry {i}: {onnx[i]} vs {torch[i]}");
    }

    [Fact]
    public void Managed_expert_matches_onnx_runtime_on_a_differently_shaped_policy()
    {
        // Hidden [64, 64], horizon 8, 4 flow steps: the interpreter follows the graph, not the shipped policy's shape.
        using var onnx = new OnnxActionExpert(f.PolicyPath);
        using var managed = new ManagedActionExpert(f.PolicyPath);
        Assert.Equal(8 * PolicyLayout.ActionSize, managed.Noise.Length);
        foreach (int seed in new[] { 5, 6 })
        {
            double diff = ExpertComparison.MaxDifference(onnx, managed, seed, samples: 10);
            Assert.True(diff <= 1e-4, $"seed {seed}: max |managed - onnx| = {diff}");
        }
    }

    [Fact]
    public void Manifest_describes_layouts_normalisation_and_training()
    {
        var m = PolicyManifest.Load(PolicyManifest.PathFor(f.PolicyPath));
        Assert.Equal(PolicyLayout.ObservationNames, m.ObservationNames);
        Assert.Equal(PolicyLayout.ActionNames, m.ActionNames);
        Assert.Equal(8, m.Horizon);
        Assert.Equal(4, m.FlowSteps);
        Assert.Equal(50, m.PolicyHz);
        Assert.Equal("tiny.onnx", m.Model);
        Assert.NotNull(m.Training);
        Assert.Equal(f.Recorded.Successful, m.Training!.EpisodesSuccessful);
        Assert.All(m.ObservationStd, s => Assert.True(s > 0));
    }

    [Fact]
    public void Inference_allocates_nothing_per_chunk()
    {
        using var expert = new OnnxActionExpert(f.PolicyPath, noiseSeed: 3);
        f.Episodes[0].Observations.AsSpan(0, PolicyLayout.ObservationSize).CopyTo(expert.Observation);
        // Warm up past tiered compilation; Allocations.SteadyState takes the best of three windows after a pause.
        for (int i = 0; i < 100; i++) expert.Infer();
        float sum = 0;
        long allocated = Allocations.SteadyState(() => { for (int i = 0; i < 100; i++) sum += expert.Infer()[0]; });
        Assert.True(float.IsFinite(sum));
        Assert.Equal(0, allocated);
    }

    [Fact]
    public void Bad_policy_files_are_refused_with_an_error_naming_the_problem()
    {
        var dir = Path.Combine(f.Root, "bad");
        Directory.CreateDirectory(dir);
        // Missing model.
        var e1 = Assert.Throws<ConfigurationException>(() => new OnnxActionExpert(Path.Combine(dir, "absent.onnx")));
        Assert.Contains("not found", e1.Message);
        // Corrupt model with a valid manifest.
        var corrupt = Path.Combine(dir, "corrupt.onnx");
        File.WriteAllBytes(corrupt, [.. File.ReadAllBytes(f.PolicyPath).Take(300)]);
        File.Copy(PolicyManifest.PathFor(f.PolicyPath), PolicyManifest.PathFor(corrupt));
        var e2 = Assert.Throws<ConfigurationException>(() => new OnnxActionExpert(corrupt));
        Assert.Contains("not a valid ONNX model", e2.Message);
        // Missing manifest.
        var bare = Path.Combine(dir, "bare.onnx");
        File.Copy(f.PolicyPath, bare);
        Assert.Contains("manifest not found", Assert.Throws<ConfigurationException>(() => new OnnxActionExpert(bare)).Message);
        // Manifest that does not match the graph (horizon).
        var wrong = Path.Combine(dir, "wrong.onnx");
        File.Copy(f.PolicyPath, wrong);
        var m = PolicyManifest.Load(PolicyManifest.PathFor(f.PolicyPath));
        (m with { Horizon = 16 }).Save(PolicyManifest.PathFor(wrong));
        var e3 = Assert.Throws<ConfigurationException>(() => new OnnxActionExpert(wrong));
        Assert.Contains("does not match its manifest", e3.Message);
        // Manifest with a different observation layout.
        var layout = Path.Combine(dir, "layout.onnx");
        File.Copy(f.PolicyPath, layout);
        (m with { ObservationNames = [.. m.ObservationNames.Reverse()] }).Save(PolicyManifest.PathFor(layout));
        Assert.Contains("observation layout", Assert.Throws<ConfigurationException>(() => new OnnxActionExpert(layout)).Message);
    }

    private static void CopyDir(string from, string to)
    {
        foreach (var d in Directory.GetDirectories(from, "*", SearchOption.AllDirectories)) Directory.CreateDirectory(d.Replace(from, to));
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from, "*", SearchOption.AllDirectories)) File.Copy(file, file.Replace(from, to));
    }
}
