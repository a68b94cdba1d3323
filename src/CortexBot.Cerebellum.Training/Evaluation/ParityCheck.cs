using CortexBot.Cerebellum.Learning;
using CortexBot.Cerebellum.Learning.Runtime;

namespace CortexBot.Cerebellum.Training;

/// <summary>Compares ONNX Runtime's output of an exported policy with TorchSharp's forward pass on the same inputs.</summary>
public static class ParityCheck
{
    /// <summary>Max absolute difference over <paramref name="samples"/> observations drawn around the training mean with random noise.</summary>
    public static double MaxAbsDifference(FlowMatchingTrainer trainer, string onnxPath, int samples, int seed)
    {
        using var expert = new OnnxActionExpert(onnxPath);
        var rng = new Random(seed);
        int o = expert.ObservationSize, c = expert.Horizon * expert.ActionSize;
        double worst = 0;
        for (int s = 0; s < samples; s++)
        {
            var obs = new float[o];
            for (int k = 0; k < o; k++) obs[k] = trainer.ObsMean[k] + trainer.ObsStd[k] * (float)(2 * rng.NextDouble() - 1);
            var noise = new float[c];
            for (int k = 0; k < c; k++) noise[k] = (float)(rng.NextDouble() * 2 - 1);
            obs.CopyTo(expert.Observation);
            noise.CopyTo(expert.Noise);
            var onnx = expert.Infer(keepNoise: true).ToArray();
            var torch = trainer.Sample(obs, noise, 1);
            for (int k = 0; k < c; k++) worst = Math.Max(worst, Math.Abs(onnx[k] - torch[k]));
        }
        return worst;
    }
}
