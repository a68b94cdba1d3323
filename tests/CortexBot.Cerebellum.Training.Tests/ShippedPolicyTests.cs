using CortexBot.Brainstem;
using CortexBot.Cerebellum.Learning;
using CortexBot.Cerebellum.Learning.Runtime;
using CortexBot.Cerebellum.Training;
using CortexBot.Core;

namespace CortexBot.Cerebellum.Training.Tests;

/// <summary>The trained pick-and-place expert shipped in policies/.</summary>
public sealed class ShippedPolicyTests
{
    private static string PolicyPath => Path.Combine(RepoPaths.Policies, "pick_place.onnx");

    [Fact]
    public void Shipped_policy_validates_and_infers_without_allocating()
    {
        using var expert = new OnnxActionExpert(PolicyPath) { DeterministicNoise = true };
        var m = expert.Manifest;
        Assert.Equal(PolicyLayout.ObservationNames, m.ObservationNames);
        Assert.True(m.RelativeJointActions);
        Assert.Equal(PolicyLayout.CommandedJointNames, m.ActionOffsetObservations);
        Assert.NotNull(m.Training);
        Assert.True(new FileInfo(PolicyPath).Length < 4 << 20, "a few MB at most");
        for (int i = 0; i < expert.ObservationSize; i++) expert.Observation[i] = m.ObservationMean[i];
        expert.Infer();
        long before = GC.GetAllocatedBytesForCurrentThread();
        var chunk = expert.Infer();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(m.Horizon * PolicyLayout.ActionSize, chunk.Length);
        foreach (var v in chunk) Assert.True(float.IsFinite(v));
    }

    [Fact]
    public async Task Shipped_policy_puts_cubes_in_the_bin_on_unseen_seeds()
    {
        // Seeds outside the training demonstrations (1-200). The full 50-seed result is in the manifest's "eval" field
        // (seeds 2000-2049); on seeds 1000-1049 it missed 1020 and 1026 only.
        int successes = 0;
        foreach (int seed in new[] { 1000, 1003, 1007 })
        {
            var r = await PolicyEvaluator.EvaluateAsync(PolicyPath, new EvalOptions { Episodes = 1, Seed = seed, RunExpert = false, MaxSeconds = 15 }, SafetyGate.Factory);
            if (r.Runs[0].PolicySuccess) successes++;
        }
        Assert.True(successes >= 2, $"the shipped policy succeeded on {successes} of 3 unseen seeds");
    }
}
