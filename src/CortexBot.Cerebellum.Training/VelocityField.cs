using CortexBot.Cerebellum.Learning;
using CortexBot.Cerebellum.Learning.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CortexBot.Cerebellum.Training;

/// <summary>
/// The flow-matching velocity field v(x_t, t | obs): an MLP over [normalised observation, flattened noisy action chunk,
/// time features] with ReLU hidden layers. Layer i is <c>layers[i]</c>; the first layer's input columns are ordered
/// observation, chunk, time features (the ONNX exporter splits them in that order).
/// </summary>
public sealed class VelocityField : nn.Module<Tensor, Tensor>
{
    public const int TimeFeatures = 5;
    private readonly ModuleList<Linear> layers;

    public int ObservationSize { get; }
    public int ChunkSize { get; }
    public int[] Hidden { get; }

    public VelocityField(int observationSize, int chunkSize, int[] hidden) : base(nameof(VelocityField))
    {
        ObservationSize = observationSize;
        ChunkSize = chunkSize;
        Hidden = hidden;
        layers = new ModuleList<Linear>();
        int input = observationSize + chunkSize + TimeFeatures;
        foreach (var h in hidden) { layers.Add(nn.Linear(input, h)); input = h; }
        layers.Add(nn.Linear(input, chunkSize));
        RegisterComponents();
    }

    public IReadOnlyList<Linear> Layers => [.. layers];

    /// <summary>Time features of flow time t in [0, 1]: t, sin 2πt, cos 2πt, sin 4πt, cos 4πt.</summary>
    public static double[] TimeFeatureValues(double t) =>
        [t, Math.Sin(2 * Math.PI * t), Math.Cos(2 * Math.PI * t), Math.Sin(4 * Math.PI * t), Math.Cos(4 * Math.PI * t)];

    public static Tensor TimeFeatureTensor(Tensor t) // t: [N, 1]
        => cat([t, sin(2 * Math.PI * t), cos(2 * Math.PI * t), sin(4 * Math.PI * t), cos(4 * Math.PI * t)], 1);

    /// <summary>input: [N, O + H*A + 5] → velocity [N, H*A].</summary>
    public override Tensor forward(Tensor input)
    {
        var x = input;
        for (int i = 0; i < layers.Count; i++)
        {
            x = layers[i].forward(x);
            if (i < layers.Count - 1) x = nn.functional.relu(x);
        }
        return x;
    }

    public Tensor Velocity(Tensor obsNorm, Tensor xt, Tensor t) => forward(cat([obsNorm, xt, TimeFeatureTensor(t)], 1));
}
