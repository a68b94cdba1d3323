using System.Diagnostics;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace CortexBot.Cerebellum.Learning.Runtime;

/// <summary>
/// Runs an exported flow policy with ONNX Runtime: one intra-op thread, sequential execution, input and output tensors
/// over pinned arrays allocated once and bound with IOBinding, so <see cref="Infer"/> allocates nothing per chunk.
/// The manifest is validated against the controller's layouts and against the graph's inputs and outputs before the
/// first inference; a mismatch throws <see cref="Core.ConfigurationException"/> naming it (the arm never moves on an
/// unvalidated policy). Not thread-safe: one caller at a time (the chunk worker).
/// </summary>
public sealed class OnnxActionExpert : IActionExpert
{
    private readonly InferenceSession _session;
    private readonly RunOptions _run;
    private readonly OrtIoBinding _binding;
    private readonly OrtValue _obsValue, _noiseValue, _actValue;
    private readonly float[] _obs, _noise, _act;
    private readonly GaussianNoise _noiseSource;

    public PolicyManifest Manifest { get; }
    public string ModelPath { get; }
    public int Horizon => Manifest.Horizon;
    public int ActionSize => Manifest.ActionNames.Length;
    public int ObservationSize => Manifest.ObservationNames.Length;
    /// <summary>Which execution provider runs the graph ("CPU" or "CUDA"; CPU when CUDA was asked for and is unavailable).</summary>
    public string Provider { get; }
    /// <summary>When true the noise is all zeros (the deterministic mode of the flow); otherwise seeded standard normal.</summary>
    public bool DeterministicNoise { get; set; }

    /// <summary>Why the requested device was not used (CUDA asked for but unavailable), or null when it was.</summary>
    public string? DeviceFallback { get; }

    public OnnxActionExpert(string modelPath, int noiseSeed = 1, OnnxDevice device = OnnxDevice.Cpu)
    {
        ModelPath = Path.GetFullPath(modelPath);
        if (!File.Exists(ModelPath)) throw new Core.ConfigurationException($"policy model not found: {ModelPath}");
        Manifest = PolicyManifest.Load(PolicyManifest.PathFor(ModelPath));
        static SessionOptions Cpu() => new()
        {
            IntraOpNumThreads = 1, InterOpNumThreads = 1, ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        var so = Cpu();
        Provider = "CPU";
        if (device == OnnxDevice.Cuda)
        {
            // The CPU package has no CUDA provider and the GPU package needs CUDA's libraries: either way ONNX Runtime
            // says why, and the policy runs on the CPU instead.
            try
            {
                so.AppendExecutionProvider_CUDA(0);
                Provider = "CUDA";
            }
            catch (EntryPointNotFoundException)
            {
                DeviceFallback = "this build's ONNX Runtime (the CPU package) has no CUDA provider; build with -p:CortexBotOnnxGpu=true for the GPU package";
                so.Dispose();
                so = Cpu();
            }
            catch (Exception e) when (e is OnnxRuntimeException or DllNotFoundException)
            {
                DeviceFallback = FirstLine(e.Message);
                so.Dispose();
                so = Cpu();
            }
        }
        try { _session = new InferenceSession(ModelPath, so); }
        catch (OnnxRuntimeException e) when (Provider == "CUDA")
        {
            // the provider registered but could not start (a CUDA library missing): retry on the CPU
            DeviceFallback = FirstLine(e.Message);
            Provider = "CPU";
            so.Dispose();
            so = Cpu();
            try { _session = new InferenceSession(ModelPath, so); }
            catch (OnnxRuntimeException e2) { so.Dispose(); throw new Core.ConfigurationException($"policy model {ModelPath} is not a valid ONNX model: {e2.Message}"); }
        }
        catch (OnnxRuntimeException e) { so.Dispose(); throw new Core.ConfigurationException($"policy model {ModelPath} is not a valid ONNX model: {e.Message}"); }
        so.Dispose();
        try { ValidateGraph(); }
        catch { _session.Dispose(); throw; }

        int o = ObservationSize, c = Horizon * ActionSize;
        _obs = GC.AllocateArray<float>(o, pinned: true);
        _noise = GC.AllocateArray<float>(c, pinned: true);
        _act = GC.AllocateArray<float>(c, pinned: true);
        _obsValue = OrtValue.CreateTensorValueFromMemory(_obs, [1, o]);
        _noiseValue = OrtValue.CreateTensorValueFromMemory(_noise, [1, c]);
        _actValue = OrtValue.CreateTensorValueFromMemory(_act, [1, Horizon, ActionSize]);
        _run = new RunOptions();
        _binding = _session.CreateIoBinding();
        _binding.BindInput(PolicyGraph.ObservationInput, _obsValue);
        _binding.BindInput(PolicyGraph.NoiseInput, _noiseValue);
        _binding.BindOutput(PolicyGraph.ActionsOutput, _actValue);
        _noiseSource = new GaussianNoise(noiseSeed);
    }

    private void ValidateGraph()
    {
        void Fail(string why) => throw new Core.ConfigurationException($"policy {ModelPath} does not match its manifest: {why}");
        var inputs = _session.InputMetadata;
        var outputs = _session.OutputMetadata;
        int o = ObservationSize, c = Horizon * ActionSize;
        Check(inputs, PolicyGraph.ObservationInput, [-1, o], "input", Fail);
        Check(inputs, PolicyGraph.NoiseInput, [-1, c], "input", Fail);
        Check(outputs, PolicyGraph.ActionsOutput, [-1, Horizon, ActionSize], "output", Fail);
        if (inputs.Count != 2) Fail($"the graph has {inputs.Count} inputs, expected 2 (observation, noise)");
    }

    private static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();

    private static void Check(IReadOnlyDictionary<string, NodeMetadata> meta, string name, int[] dims, string what, Action<string> fail)
    {
        if (!meta.TryGetValue(name, out var m)) { fail($"the graph has no {what} '{name}' (it has {string.Join(", ", meta.Keys)})"); return; }
        if (m.ElementDataType != TensorElementType.Float) fail($"{what} '{name}' is {m.ElementDataType}, expected float32");
        var d = m.Dimensions;
        bool ok = d.Length == dims.Length;
        for (int i = 0; ok && i < d.Length; i++) ok = dims[i] < 0 ? d[i] <= 0 || d[i] == 1 : d[i] == dims[i];
        if (!ok) fail($"{what} '{name}' has shape [{string.Join(", ", d)}], the manifest implies [{string.Join(", ", dims.Select(x => x < 0 ? "N" : x.ToString()))}]");
    }

    /// <summary>The pinned observation buffer: fill it (layout <see cref="PolicyLayout"/>), then call <see cref="Infer"/>.</summary>
    public Span<float> Observation => _obs;

    /// <summary>The pinned noise buffer (refilled by <see cref="Infer"/> unless <paramref name="keepNoise"/>).</summary>
    public Span<float> Noise => _noise;

    /// <summary>
    /// Runs one inference on the observation buffer and returns the chunk [horizon, actions] row-major (raw units).
    /// The returned span is valid until the next call. Allocates nothing.
    /// </summary>
    public ReadOnlySpan<float> Infer(bool keepNoise = false)
    {
        if (!keepNoise) _noiseSource.Fill(_noise, DeterministicNoise);
        _session.RunWithBinding(_run, _binding);
        return _act;
    }

    /// <summary>Copies <paramref name="observation"/> in and infers.</summary>
    public ReadOnlySpan<float> Infer(ReadOnlySpan<float> observation)
    {
        if (observation.Length != _obs.Length) throw new ArgumentException($"observation has {observation.Length} values, the policy needs {_obs.Length}");
        observation.CopyTo(_obs);
        return Infer();
    }

    public void Dispose()
    {
        _binding.Dispose();
        _run.Dispose();
        _obsValue.Dispose();
        _noiseValue.Dispose();
        _actValue.Dispose();
        _session.Dispose();
    }
}

/// <summary>Where ONNX Runtime runs a policy: the CPU provider, or the CUDA provider (falling back to the CPU without CUDA).</summary>
public enum OnnxDevice
{
    Cpu,
    Cuda,
}
