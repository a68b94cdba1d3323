using CortexBot.Cerebellum.Learning.Onnx.Proto;
using Google.Protobuf;

namespace CortexBot.Cerebellum.Learning.Runtime;

/// <summary>
/// Runs an exported flow policy in plain C#, without ONNX Runtime: the .onnx file is parsed with the checked-in
/// onnx.proto subset and its node list is interpreted (<see cref="ManagedGraph"/>), so the network and the unrolled Euler
/// integration are exactly the exported ones; matrix products use SIMD vectors over preallocated buffers and
/// <see cref="Infer"/> allocates nothing. Before the first inference the graph's inputs and outputs are checked against
/// the manifest (as <see cref="OnnxActionExpert"/> does) and so are the exporter's named initializers: the normalisation
/// statistics, the layer widths (<c>hidden</c>) and one first-layer bias per flow step. A file that is not such a policy
/// throws <see cref="Core.ConfigurationException"/> naming the problem. Not thread-safe: one caller at a time.
/// </summary>
public sealed class ManagedActionExpert : IActionExpert
{
    private readonly ManagedGraph _graph;
    private readonly float[] _obs, _noise;
    private readonly GaussianNoise _noiseSource;

    public PolicyManifest Manifest { get; }
    public string ModelPath { get; }
    public int Horizon => Manifest.Horizon;
    public int ActionSize => Manifest.ActionNames.Length;
    public int ObservationSize => Manifest.ObservationNames.Length;
    public bool DeterministicNoise { get; set; }
    /// <summary>Interpreter steps per chunk (nodes that compute; reshapes are free).</summary>
    public int GraphSteps => _graph.Steps;

    public ManagedActionExpert(string modelPath, int noiseSeed = 1)
    {
        ModelPath = Path.GetFullPath(modelPath);
        if (!File.Exists(ModelPath)) throw new Core.ConfigurationException($"policy model not found: {ModelPath}");
        Manifest = PolicyManifest.Load(PolicyManifest.PathFor(ModelPath));
        ModelProto model;
        try
        {
            using var f = File.OpenRead(ModelPath);
            model = ModelProto.Parser.ParseFrom(f);
        }
        catch (InvalidProtocolBufferException e) { throw new Core.ConfigurationException($"policy model {ModelPath} is not a valid ONNX model: {e.Message}"); }
        if (model.Graph is null || model.Graph.Node.Count == 0)
            throw new Core.ConfigurationException($"policy model {ModelPath} is not a valid ONNX model: it has no graph");

        void Mismatch(string why) => throw new Core.ConfigurationException($"policy {ModelPath} does not match its manifest: {why}");
        void Unsupported(string why) => throw new Core.ConfigurationException($"policy {ModelPath} cannot run on the managed runtime: {why}");
        int o = ObservationSize, c = Horizon * ActionSize;
        var g = model.Graph;
        var constants = ManagedGraph.ReadInitializers(g, Unsupported);
        var graphInputs = g.Input.Where(v => !constants.ContainsKey(v.Name)).ToList(); // old exporters list initializers as inputs too
        CheckValue(graphInputs, PolicyGraph.ObservationInput, [-1, o], "input", Mismatch);
        CheckValue(graphInputs, PolicyGraph.NoiseInput, [-1, c], "input", Mismatch);
        CheckValue([.. g.Output], PolicyGraph.ActionsOutput, [-1, Horizon, ActionSize], "output", Mismatch);
        if (graphInputs.Count != 2) Mismatch($"the graph has {graphInputs.Count} inputs, expected 2 (observation, noise)");
        CheckInitializers(constants, Mismatch);

        _obs = new float[o];
        _noise = new float[c];
        _graph = ManagedGraph.Compile(g, constants,
            new Dictionary<string, (float[], int[])> { [PolicyGraph.ObservationInput] = (_obs, [1, o]), [PolicyGraph.NoiseInput] = (_noise, [1, c]) },
            PolicyGraph.ActionsOutput, Unsupported);
        if (!_graph.OutputShape.SequenceEqual([1, Horizon, ActionSize]))
            Mismatch($"the graph computes '{PolicyGraph.ActionsOutput}' with shape [{string.Join(", ", _graph.OutputShape)}], the manifest implies [1, {Horizon}, {ActionSize}]");
        _noiseSource = new GaussianNoise(noiseSeed);
    }

    private static void CheckValue(IReadOnlyList<ValueInfoProto> values, string name, int[] dims, string what, Action<string> fail)
    {
        var v = values.FirstOrDefault(x => x.Name == name);
        if (v is null) { fail($"the graph has no {what} '{name}' (it has {string.Join(", ", values.Select(x => x.Name))})"); return; }
        var t = v.Type?.TensorType;
        if (t is null || t.ElemType != (int)TensorProto.Types.DataType.Float) fail($"{what} '{name}' is not a float32 tensor");
        var d = t!.Shape?.Dim.Select(x => x.ValueCase == TensorShapeProto.Types.Dimension.ValueOneofCase.DimValue ? x.DimValue : -1).ToArray() ?? [];
        bool ok = d.Length == dims.Length;
        for (int i = 0; ok && i < d.Length; i++) ok = dims[i] < 0 ? d[i] <= 0 || d[i] == 1 : d[i] == dims[i];
        if (!ok) fail($"{what} '{name}' has shape [{string.Join(", ", d.Select(x => x < 0 ? "N" : x.ToString()))}], the manifest implies [{string.Join(", ", dims.Select(x => x < 0 ? "N" : x.ToString()))}]");
    }

    /// <summary>The exporter's named initializers against the manifest: what the manifest says the graph does, it does.</summary>
    private void CheckInitializers(IReadOnlyDictionary<string, OnnxConstant> k, Action<string> fail)
    {
        var m = Manifest;
        int o = ObservationSize, c = Horizon * ActionSize;
        OnnxConstant Get(string name, params int[] dims)
        {
            if (!k.TryGetValue(name, out var t) || t.Floats is null) { fail($"the graph has no float initializer '{name}' (not a CortexBot flow policy?)"); throw new InvalidOperationException(); }
            if (!t.Dims.SequenceEqual(dims)) fail($"initializer '{name}' has shape {t.Shape}, the manifest implies [{string.Join(", ", dims)}]");
            return t;
        }
        void Same(string name, float[] expected, string field)
        {
            var t = Get(name, expected.Length).Floats!;
            for (int i = 0; i < t.Length; i++)
                if (Math.Abs(t[i] - expected[i]) > 1e-6 * Math.Max(1, Math.Abs(expected[i])))
                    fail($"initializer '{name}'[{i}] = {t[i]} but the manifest's {field}[{i % expected.Length}] is {expected[i]}");
        }
        Same("obs_mean", m.ObservationMean, "observation_mean");
        Same("obs_std", m.ObservationStd, "observation_std");
        Same("act_mean", [.. Enumerable.Range(0, c).Select(j => m.ActionMean[j % ActionSize])], "action_mean");
        Same("act_std", [.. Enumerable.Range(0, c).Select(j => m.ActionStd[j % ActionSize])], "action_std");

        var hidden = m.Hidden;
        if (hidden.Length == 0 || hidden.Any(h => h < 1)) fail($"hidden [{string.Join(", ", hidden)}] must list at least one positive layer width");
        Get("W1_obs", o, hidden[0]);
        Get("W1_x", c, hidden[0]);
        for (int i = 1; i <= hidden.Length; i++)
        {
            int width = i < hidden.Length ? hidden[i] : c;
            Get($"W{i + 1}", hidden[i - 1], width);
            Get($"b{i + 1}", width);
        }
        if (k.ContainsKey($"W{hidden.Length + 2}")) fail($"the graph has a layer W{hidden.Length + 2} beyond the manifest's hidden [{string.Join(", ", hidden)}]");
        for (int s = 0; s < m.FlowSteps; s++) Get($"b1_t{s}", hidden[0]);
        if (k.ContainsKey($"b1_t{m.FlowSteps}")) fail($"the graph has more flow steps than the manifest's flow_steps {m.FlowSteps}");
    }

    public Span<float> Observation => _obs;

    public Span<float> Noise => _noise;

    public ReadOnlySpan<float> Infer(bool keepNoise = false)
    {
        if (!keepNoise) _noiseSource.Fill(_noise, DeterministicNoise);
        return _graph.Run();
    }

    public ReadOnlySpan<float> Infer(ReadOnlySpan<float> observation)
    {
        if (observation.Length != _obs.Length) throw new ArgumentException($"observation has {observation.Length} values, the policy needs {_obs.Length}");
        observation.CopyTo(_obs);
        return Infer();
    }

    public void Dispose() { }
}
