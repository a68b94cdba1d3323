using CortexBot.Testing;
using CortexBot.Cerebellum.Learning.Onnx.Proto;
using CortexBot.Cerebellum.Learning.Runtime;
using CortexBot.Core;
using Google.Protobuf;

namespace CortexBot.Cerebellum.Learning.Tests;

/// <summary>The plain C# action expert against ONNX Runtime on the same policy file.</summary>
public sealed class ManagedExpertTests : IDisposable
{
    private static string PolicyPath => Path.Combine(RepoPaths.Policies, "pick_place.onnx");
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cortexbot-managed-" + Guid.NewGuid().ToString("N"));

    public ManagedExpertTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }


    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void Shipped_policy_matches_onnx_runtime_within_1e_4_on_random_inputs(int seed)
    {
        using var onnx = new OnnxActionExpert(PolicyPath);
        using var managed = new ManagedActionExpert(PolicyPath);
        Assert.Equal(onnx.Horizon * onnx.ActionSize, managed.Horizon * managed.ActionSize);
        double diff = ExpertComparison.MaxDifference(onnx, managed, seed, samples: 20);
        Assert.True(diff <= 1e-4, $"max |managed - onnx| = {diff}");
    }

    [Fact]
    public void Same_noise_seed_and_deterministic_mode_give_the_same_chunks_as_onnx_runtime()
    {
        var m = PolicyManifest.Load(PolicyManifest.PathFor(PolicyPath));
        foreach (bool deterministic in new[] { false, true })
        {
            using var onnx = new OnnxActionExpert(PolicyPath, noiseSeed: 9) { DeterministicNoise = deterministic };
            using var managed = new ManagedActionExpert(PolicyPath, noiseSeed: 9) { DeterministicNoise = deterministic };
            for (int chunk = 0; chunk < 3; chunk++)
            {
                var a = onnx.Infer(m.ObservationMean).ToArray();
                var b = managed.Infer(m.ObservationMean).ToArray();
                Assert.Equal(onnx.Noise.ToArray(), managed.Noise.ToArray());
                Assert.Equal(deterministic, managed.Noise.ToArray().All(x => x == 0));
                for (int k = 0; k < a.Length; k++) Assert.True(Math.Abs(a[k] - b[k]) <= 1e-4, $"chunk {chunk} entry {k}: {a[k]} vs {b[k]}");
            }
        }
    }

    [Fact]
    public void Managed_inference_allocates_nothing_per_chunk()
    {
        using var managed = new ManagedActionExpert(PolicyPath, noiseSeed: 3);
        managed.Manifest.ObservationMean.CopyTo(managed.Observation);
        // Warm up past tiered compilation; Allocations.SteadyState takes the best of three windows after a pause.
        for (int i = 0; i < 100; i++) managed.Infer();
        float sum = 0;
        long allocated = Allocations.SteadyState(() => { for (int i = 0; i < 100; i++) sum += managed.Infer()[0]; });
        Assert.True(float.IsFinite(sum));
        Assert.Equal(0, allocated);
    }

    private string Copy(string name, ModelProto? model = null, PolicyManifest? manifest = null)
    {
        var path = Path.Combine(_dir, name + ".onnx");
        if (model is null) File.Copy(PolicyPath, path);
        else File.WriteAllBytes(path, model.ToByteArray());
        var m = manifest ?? PolicyManifest.Load(PolicyManifest.PathFor(PolicyPath));
        (m with { Model = name + ".onnx" }).Save(PolicyManifest.PathFor(path));
        return path;
    }

    private static ModelProto Shipped() => ModelProto.Parser.ParseFrom(File.ReadAllBytes(PolicyPath));

    private static string Refused(string path) => Assert.Throws<ConfigurationException>(() => new ManagedActionExpert(path)).Message;

    [Fact]
    public void A_model_that_is_not_a_policy_is_refused_naming_the_problem()
    {
        // Not ONNX at all.
        var junk = Copy("junk");
        File.WriteAllBytes(junk, [0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x01, 0x02]);
        Assert.Contains("not a valid ONNX model", Refused(junk));
        Assert.Contains("not found", Refused(Path.Combine(_dir, "absent.onnx")));

        // A valid ONNX model that is not a policy: y = relu(x).
        var g = new GraphProto { Name = "other" };
        g.Input.Add(FloatValue("x", 4));
        g.Output.Add(FloatValue("y", 4));
        g.Node.Add(new NodeProto { OpType = "Relu", Input = { "x" }, Output = { "y" } });
        var other = Copy("other", new ModelProto { IrVersion = 8, Graph = g, OpsetImport = { new OperatorSetIdProto { Version = 18 } } });
        var e = Refused(other);
        Assert.Contains("does not match its manifest", e);
        Assert.Contains("no input 'observation'", e);
    }

    [Fact]
    public void Initializers_that_disagree_with_the_manifest_are_refused()
    {
        var m = PolicyManifest.Load(PolicyManifest.PathFor(PolicyPath));
        var mean = (float[])m.ObservationMean.Clone();
        mean[2] += 0.5f;
        var e1 = Refused(Copy("mean", manifest: m with { ObservationMean = mean }));
        Assert.Contains("does not match its manifest", e1);
        Assert.Contains("'obs_mean'[2]", e1);

        var e2 = Refused(Copy("hidden", manifest: m with { Hidden = [256, 256] }));
        Assert.Contains("initializer 'W3' has shape [256, 256], the manifest implies [256, 112]", e2);

        var e3 = Refused(Copy("steps", manifest: m with { FlowSteps = 4 }));
        Assert.Contains("more flow steps than the manifest's flow_steps 4", e3);

        var e4 = Refused(Copy("horizon", manifest: m with { Horizon = 8 }));
        Assert.Contains("input 'noise' has shape [N, 112], the manifest implies [N, 56]", e4);
    }

    [Fact]
    public void A_graph_the_interpreter_does_not_understand_is_refused_naming_the_node()
    {
        var tanh = Shipped();
        var relu = tanh.Graph.Node.First(n => n.OpType == "Relu");
        relu.OpType = "Tanh";
        var e1 = Refused(Copy("tanh", tanh));
        Assert.Contains("cannot run on the managed runtime", e1);
        Assert.Contains($"'{relu.Name}'", e1);
        Assert.Contains("op type 'Tanh' is not implemented", e1);

        // A node reading a value nothing defines (a broken graph), and one whose shapes do not multiply.
        var dangling = Shipped();
        dangling.Graph.Node[2].Input[0] = "nowhere";
        Assert.Contains("input 'nowhere' is not defined", Refused(Copy("dangling", dangling)));
        var shapes = Shipped();
        var mm = shapes.Graph.Node.First(n => n.OpType == "MatMul" && n.Input[1] == "W3");
        mm.Input[1] = "W1_x";
        Assert.Contains("do not multiply", Refused(Copy("shapes", shapes)));
    }

    [Theory]
    [InlineData(37, 123)] // every column path: wide blocks, single vectors, scalar tail
    [InlineData(256, 256)]
    [InlineData(5, 3)]
    public void Mat_vec_skipping_zero_coefficients_equals_the_dense_product(int k, int n)
    {
        var rng = new Random(k * 1000 + n);
        var a = Enumerable.Range(0, k).Select(i => i % 3 == 0 ? 0f : (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var w = Enumerable.Range(0, k * n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var y = new float[n];
        MatVec.Multiply(a, w, n, y, new int[k], new float[k]);
        for (int j = 0; j < n; j++)
        {
            double s = 0;
            for (int i = 0; i < k; i++) s += (double)a[i] * w[i * n + j];
            Assert.True(Math.Abs(s - y[j]) <= 1e-5 * Math.Max(1, Math.Abs(s)), $"column {j}: {y[j]} vs {s}");
        }
    }

    private static ValueInfoProto FloatValue(string name, int size)
    {
        var shape = new TensorShapeProto();
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = 1 });
        shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = size });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }
}
