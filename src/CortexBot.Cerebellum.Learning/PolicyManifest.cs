using System.Text.Json;
using System.Text.Json.Serialization;

namespace CortexBot.Cerebellum.Learning;

public sealed record TensorSpec(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("shape")] string[] Shape);

/// <summary>One closed-loop score of a checkpoint during training (the trainer's SelectEvery option).</summary>
public sealed record CheckpointScore(
    [property: JsonPropertyName("step")] int Step,
    [property: JsonPropertyName("success_rate")] double SuccessRate,
    [property: JsonPropertyName("val_loss")] double? ValLoss);

public sealed record TrainingSummary(
    [property: JsonPropertyName("dataset")] string Dataset,
    [property: JsonPropertyName("dataset_base_seed")] int DatasetBaseSeed,
    [property: JsonPropertyName("episodes_total")] int EpisodesTotal,
    [property: JsonPropertyName("episodes_successful")] int EpisodesSuccessful,
    [property: JsonPropertyName("train_episodes")] int TrainEpisodes,
    [property: JsonPropertyName("val_episodes")] int ValEpisodes,
    [property: JsonPropertyName("train_samples")] int TrainSamples,
    [property: JsonPropertyName("val_samples")] int ValSamples,
    [property: JsonPropertyName("seed_range")] int[] SeedRange,
    [property: JsonPropertyName("steps")] int Steps,
    [property: JsonPropertyName("batch_size")] int BatchSize,
    [property: JsonPropertyName("learning_rate")] double LearningRate,
    [property: JsonPropertyName("seed")] int Seed,
    [property: JsonPropertyName("final_train_loss")] double FinalTrainLoss,
    [property: JsonPropertyName("val_loss")] double ValLoss,
    [property: JsonPropertyName("val_chunk_mse")] double ValChunkMse,
    [property: JsonPropertyName("wall_s")] double WallS,
    [property: JsonPropertyName("parameters")] long Parameters)
{
    /// <summary>The checkpoint kept when checkpoints were selected by closed-loop success (null: the last one).</summary>
    [JsonPropertyName("selected_step")] public int? SelectedStep { get; init; }
    /// <summary>Each scored checkpoint, with how it was scored in <see cref="SelectionMethod"/>.</summary>
    [JsonPropertyName("selection")] public CheckpointScore[]? Selection { get; init; }
    [JsonPropertyName("selection_method")] public string? SelectionMethod { get; init; }
}

public sealed record EvalSummary(
    [property: JsonPropertyName("episodes")] int Episodes,
    [property: JsonPropertyName("seed")] int Seed,
    [property: JsonPropertyName("policy_success_rate")] double PolicySuccessRate,
    [property: JsonPropertyName("expert_success_rate")] double ExpertSuccessRate,
    [property: JsonPropertyName("chunk_latency_us_p50")] double ChunkLatencyUsP50,
    [property: JsonPropertyName("chunk_latency_us_p99")] double ChunkLatencyUsP99);

/// <summary>
/// The JSON manifest written beside each exported .onnx (NAME.onnx → NAME.json): what the graph expects and returns, the
/// layouts by name, the normalisation it applies internally (recorded here too), horizon, flow steps, rates, training
/// summary and evaluation result. The runtime refuses a policy whose manifest and graph disagree.
/// </summary>
public sealed record PolicyManifest
{
    public const string CurrentFormat = "cortexbot.flow_policy.v1";

    [JsonPropertyName("format")] public string Format { get; init; } = CurrentFormat;
    [JsonPropertyName("model")] public required string Model { get; init; }
    [JsonPropertyName("opset")] public int Opset { get; init; }
    [JsonPropertyName("inputs")] public required TensorSpec[] Inputs { get; init; }
    [JsonPropertyName("outputs")] public required TensorSpec[] Outputs { get; init; }
    [JsonPropertyName("observation_names")] public required string[] ObservationNames { get; init; }
    [JsonPropertyName("action_names")] public required string[] ActionNames { get; init; }
    [JsonPropertyName("observation_mean")] public required float[] ObservationMean { get; init; }
    [JsonPropertyName("observation_std")] public required float[] ObservationStd { get; init; }
    [JsonPropertyName("action_mean")] public required float[] ActionMean { get; init; }
    [JsonPropertyName("action_std")] public required float[] ActionStd { get; init; }
    [JsonPropertyName("horizon")] public int Horizon { get; init; }
    [JsonPropertyName("flow_steps")] public int FlowSteps { get; init; }
    [JsonPropertyName("policy_hz")] public double PolicyHz { get; init; }
    [JsonPropertyName("control_rate_hz")] public double ControlRateHz { get; init; }
    [JsonPropertyName("hidden")] public required int[] Hidden { get; init; }
    [JsonPropertyName("activation")] public string Activation { get; init; } = "relu";
    [JsonPropertyName("time_features")] public string TimeFeatures { get; init; } = "t, sin 2πt, cos 2πt, sin 4πt, cos 4πt";
    [JsonPropertyName("noise")] public string Noise { get; init; } = "standard normal, [N, horizon*actions]; zeros give the deterministic mode";
    /// <summary>The network's joint outputs are offsets from the observed joint positions q0..q5 (the graph adds them back;
    /// the action statistics above describe the offsets). The graph's output is always absolute.</summary>
    [JsonPropertyName("relative_joint_actions")] public bool RelativeJointActions { get; init; }
    /// <summary>With <see cref="RelativeJointActions"/>: the observation entries added to joint actions 0..5; null in v1
    /// manifests, which mean the measured joints q0..q5.</summary>
    [JsonPropertyName("action_offset_observations")] public string[]? ActionOffsetObservations { get; init; }
    [JsonPropertyName("ignored_observations")] public string[] IgnoredObservations { get; init; } = [];
    [JsonPropertyName("training")] public TrainingSummary? Training { get; init; }
    [JsonPropertyName("eval")] public EvalSummary? Eval { get; init; }

    private static readonly JsonSerializerOptions Options = new() { WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never };

    public static string PathFor(string onnxPath) => Path.ChangeExtension(onnxPath, ".json");

    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, Options));

    /// <exception cref="Core.ConfigurationException">Missing or unreadable manifest, or one whose fields do not fit together.</exception>
    public static PolicyManifest Load(string path)
    {
        if (!File.Exists(path)) throw new Core.ConfigurationException($"policy manifest not found: {path} (every .onnx policy needs its .json manifest beside it)");
        PolicyManifest m;
        try { m = JsonSerializer.Deserialize<PolicyManifest>(File.ReadAllText(path), Options) ?? throw new JsonException("empty document"); }
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
