using System.Text.Json;
using CortexBot.Core.Json;

namespace CortexBot.Cerebellum.Learning;

public sealed record TensorSpec(
    string Name,
    string[] Shape);

/// <summary>One closed-loop score of a checkpoint during training (the trainer's SelectEvery option).</summary>
public sealed record CheckpointScore(
    int Step,
    double SuccessRate,
    double? ValLoss);

public sealed record TrainingSummary(
    string Dataset,
    int DatasetBaseSeed,
    int EpisodesTotal,
    int EpisodesSuccessful,
    int TrainEpisodes,
    int ValEpisodes,
    int TrainSamples,
    int ValSamples,
    int[] SeedRange,
    int Steps,
    int BatchSize,
    double LearningRate,
    int Seed,
    double FinalTrainLoss,
    double ValLoss,
    double ValChunkMse,
    double WallS,
    long Parameters)
{
    /// <summary>The checkpoint kept when checkpoints were selected by closed-loop success (null: the last one).</summary>
    public int? SelectedStep { get; init; }
    /// <summary>Each scored checkpoint, with how it was scored in <see cref="SelectionMethod"/>.</summary>
    public CheckpointScore[]? Selection { get; init; }
    public string? SelectionMethod { get; init; }
}

public sealed record EvalSummary(
    int Episodes,
    int Seed,
    double PolicySuccessRate,
    double ExpertSuccessRate,
    double ChunkLatencyUsP50,
    double ChunkLatencyUsP99);

/// <summary>
/// The JSON manifest written beside each exported .onnx (NAME.onnx → NAME.json): what the graph expects and returns, the
/// layouts by name, the normalisation it applies internally (recorded here too), horizon, flow steps, rates, training
/// summary and evaluation result. The runtime refuses a policy whose manifest and graph disagree.
/// </summary>
public sealed record PolicyManifest
{
    public const string CurrentFormat = "cortexbot.flow_policy.v1";

    public string Format { get; init; } = CurrentFormat;
    public required string Model { get; init; }
    public int Opset { get; init; }
    public required TensorSpec[] Inputs { get; init; }
    public required TensorSpec[] Outputs { get; init; }
    public required string[] ObservationNames { get; init; }
    public required string[] ActionNames { get; init; }
    public required float[] ObservationMean { get; init; }
    public required float[] ObservationStd { get; init; }
    public required float[] ActionMean { get; init; }
    public required float[] ActionStd { get; init; }
    public int Horizon { get; init; }
    public int FlowSteps { get; init; }
    public double PolicyHz { get; init; }
    public double ControlRateHz { get; init; }
    public required int[] Hidden { get; init; }
    public string Activation { get; init; } = "relu";
    public string TimeFeatures { get; init; } = "t, sin 2πt, cos 2πt, sin 4πt, cos 4πt";
    public string Noise { get; init; } = "standard normal, [N, horizon*actions]; zeros give the deterministic mode";
    /// <summary>The network's joint outputs are offsets from the observed joint positions q0..q5 (the graph adds them back;
    /// the action statistics above describe the offsets). The graph's output is always absolute.</summary>
    public bool RelativeJointActions { get; init; }
    /// <summary>With <see cref="RelativeJointActions"/>: the observation entries added to joint actions 0..5; null in v1
    /// manifests, which mean the measured joints q0..q5.</summary>
    public string[]? ActionOffsetObservations { get; init; }
    public string[] IgnoredObservations { get; init; } = [];
    public TrainingSummary? Training { get; init; }
    public EvalSummary? Eval { get; init; }


    public static string PathFor(string onnxPath) => Path.ChangeExtension(onnxPath, ".json");

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, CortexBotJson.Indented));

    /// <exception cref="Core.ConfigurationException">Missing or unreadable manifest, or one whose fields do not fit together.</exception>
    public static PolicyManifest Load(string path)
    {
        if (!File.Exists(path)) throw new Core.ConfigurationException($"policy manifest not found: {path} (every .onnx policy needs its .json manifest beside it)");
        PolicyManifest m;
        try { m = JsonSerializer.Deserialize<PolicyManifest>(File.ReadAllText(path), CortexBotJson.Indented) ?? throw new JsonException("empty document"); }
        catch (JsonException e) { throw new Core.ConfigurationException($"policy manifest {path} is not valid: {e.Message}"); }
        m.Validate(path);
        return m;
    }

    public void Validate(string path)
    {
        void Fail(string why) => throw new Core.ConfigurationException($"policy manifest {path}: {why}");
        if (Format != CurrentFormat) Fail($"format '{Format}' is not '{CurrentFormat}'");
        if (Horizon < 1) Fail($"horizon must be at least 1, got {Horizon}");
        if (FlowSteps < 1) Fail($"flow_steps must be at least 1, got {FlowSteps}");
        if (!(PolicyHz > 0)) Fail($"policy_hz must be positive, got {PolicyHz}");
        if (ObservationMean.Length != ObservationNames.Length || ObservationStd.Length != ObservationNames.Length)
            Fail($"observation statistics have {ObservationMean.Length}/{ObservationStd.Length} entries for {ObservationNames.Length} observation names");
        if (ActionMean.Length != ActionNames.Length || ActionStd.Length != ActionNames.Length)
            Fail($"action statistics have {ActionMean.Length}/{ActionStd.Length} entries for {ActionNames.Length} action names");
        if (ObservationStd.Concat(ActionStd).Any(s => !(s > 0) || !float.IsFinite(s))) Fail("a normalisation std is not a positive finite number");
        if (ObservationMean.Concat(ActionMean).Any(s => !float.IsFinite(s))) Fail("a normalisation mean is not finite");
        if (!PolicyLayout.IsSupportedObservationLayout(ObservationNames))
            Fail($"observation layout [{string.Join(",", ObservationNames)}] is none of this controller's: " +
                string.Join(" or ", PolicyLayout.SupportedObservationLayouts.Select(l => $"[{string.Join(",", l)}]")));
        if (ActionOffsetObservations is { } offsets)
        {
            if (offsets.Length != PolicyLayout.Joints) Fail($"action_offset_observations has {offsets.Length} entries, expected {PolicyLayout.Joints}");
            foreach (var name in offsets)
                if (!ObservationNames.Contains(name)) Fail($"action offset observation '{name}' is not in the observation layout");
        }
        foreach (var name in IgnoredObservations)
            if (!ObservationNames.Contains(name)) Fail($"ignored observation '{name}' is not in the observation layout");
        if (!ActionNames.SequenceEqual(PolicyLayout.ActionNames))
            Fail($"action layout [{string.Join(",", ActionNames)}] differs from this controller's [{string.Join(",", PolicyLayout.ActionNames)}]");
    }
}
