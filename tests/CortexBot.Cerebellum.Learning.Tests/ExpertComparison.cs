using CortexBot.Cerebellum.Learning.Runtime;

namespace CortexBot.Cerebellum.Learning.Tests;

/// <summary>The managed interpreter against ONNX Runtime on the same inputs (shared with the training tests, which compare a freshly trained policy).</summary>
internal static class ExpertComparison
{
    /// <summary>Largest |managed - onnx| over <paramref name="samples"/> observations around the training mean and standard-normal noise.</summary>
    internal static double MaxDifference(IActionExpert onnx, IActionExpert managed, int seed, int samples)
    {
        var m = onnx.Manifest;
        var rng = new Random(seed);
        double worst = 0;
        for (int s = 0; s < samples; s++)
        {
            for (int k = 0; k < onnx.ObservationSize; k++)
                onnx.Observation[k] = m.ObservationMean[k] + Math.Min(m.ObservationStd[k], 1f) * (float)(4 * rng.NextDouble() - 2);
            for (int k = 0; k < onnx.Noise.Length; k++)
                onnx.Noise[k] = (float)(Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble()));
            onnx.Observation.CopyTo(managed.Observation);
            onnx.Noise.CopyTo(managed.Noise);
            var a = onnx.Infer(keepNoise: true).ToArray();
            var b = managed.Infer(keepNoise: true);
            Assert.Equal(a.Length, b.Length);
            for (int k = 0; k < a.Length; k++)
            {
                Assert.True(float.IsFinite(b[k]), $"entry {k} is {b[k]}");
                worst = Math.Max(worst, Math.Abs(a[k] - b[k]));
            }
        }
        return worst;
    }
}
