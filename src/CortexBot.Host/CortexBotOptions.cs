using CortexBot.Cerebellum.Control;
using CortexBot.Core;

namespace CortexBot.Host;

/// <summary>The arm a process drives.</summary>
public enum RobotKind
{
    /// <summary>The embedded MuJoCo simulator.</summary>
    Sim,
    /// <summary>An arm under ros2_control over Cyclone DDS (see <see cref="CortexBotOptions.Ros2"/>).</summary>
    Ros2,
}

/// <summary>How each episode starts.</summary>
public enum WorldStart
{
    /// <summary>The simulator resets its world (arm home, objects scattered from the seed): the embedded one, or the
    /// simulator node's reset over DDS.</summary>
    Sim,
    /// <summary>The arm first moves home through the skill path (the safety gate sees it); the objects stay as they are.</summary>
    Home,
    /// <summary>From the scene as it is: nothing moves before the plan.</summary>
    None,
    /// <summary>Gazebo resets its world (ros_gz_interfaces/srv/ControlWorld on /world/NAME/control, bridged; reset.all), then
    /// the episode waits for perception of the reset world.</summary>
    Gazebo,
}

/// <summary>Where a ROS 2 robot's scene comes from.</summary>
public enum PerceptionSource
{
    /// <summary>The simulator node's scene topic (exact poses; only `cortexbot sim serve` publishes it).</summary>
    Sim,
    /// <summary>A perception node's vision_msgs/Detection3DArray, mapped by the perception file (a real robot's way).</summary>
    Detections,
    /// <summary>tf2_msgs/TFMessage object poses (child_frame_id = class id) stamped with wall-clock time (a tf-publishing perception node), mapped by the perception file. Gazebo's pose topics carry sim time: relay them with `sim detections`.</summary>
    Tf,
}

/// <summary>Everything a user configures about one CortexBot process.</summary>
public sealed record CortexBotOptions
{
    public string ScenePath { get; init; } = RepoPaths.DefaultScene;
    public string SkillCataloguePath { get; init; } = RepoPaths.DefaultSkillCatalogue;
    public string MemoryPath { get; init; } = Hippocampus.SqliteEpisodeStore.DefaultPath;
    /// <summary>
    /// A GGUF model whose embeddings recall uses (registered by the caller, like a model planner); null = the
    /// deterministic hashing embedder. Stored vectors of another model are recomputed, never compared.
    /// </summary>
    public string? EmbeddingModelPath { get; init; }
    public double RateHz { get; init; } = 500;
    public Pacing Pacing { get; init; } = Pacing.Realtime;
    public bool RealtimePriority { get; init; } = true;
    public TimeSpan PlanTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public EpisodeTimeouts Timeouts { get; init; } = EpisodeTimeouts.Default;
    public string Planner { get; init; } = "rule";
    /// <summary>With <c>Planner = "llama"</c>: the GGUF model, optional mmproj, context size, threads (0 = auto) and sampling seed.</summary>
    public string? ModelPath { get; init; }
    public string? MmprojPath { get; init; }
    /// <summary>Size of the camera frames the cortex gets with an mmproj (at most the scene's offscreen buffer).</summary>
    public int CameraWidth { get; init; } = 320;
    public int CameraHeight { get; init; } = 240;
    public uint ContextSize { get; init; } = 2048;
    public int PlannerThreads { get; init; }
    public uint PlannerSeed { get; init; } = 42;
    /// <summary>Model layers offloaded to a GPU (needs a build with the CUDA backend); 0 = CPU only.</summary>
    public int GpuLayers { get; init; }
    /// <summary>The arm: the embedded simulator or an arm under ros2_control (see <see cref="Ros2"/>).</summary>
    public RobotKind Robot { get; init; } = RobotKind.Sim;
    public Brainstem.Ros2.Ros2Options Ros2 { get; init; } = new();
    /// <summary>
    /// The learned action expert served as <c>learned_pick_place</c>: null = policies/pick_place.onnx when present (else no
    /// learned skill); a path given explicitly must load, or the run is refused.
    /// </summary>
    public string? PolicyPath { get; init; }
    /// <summary>Where ONNX Runtime runs the learned policy; CUDA falls back to the CPU (with a warning) where it is unavailable.</summary>
    public Cerebellum.Learning.Runtime.OnnxDevice OnnxDevice { get; init; } = Cerebellum.Learning.Runtime.OnnxDevice.Cpu;
    /// <summary>The rule planner plans "put X in Y" as the learned skill (falling back to pick + place after it fails).</summary>
    public bool PreferLearnedSkills { get; init; }

    /// <summary>How episodes start; null: <see cref="WorldStart.Sim"/> where a simulator is there to reset (the embedded
    /// one, or a simulator node discovered on the DDS graph), else <see cref="WorldStart.Home"/>.</summary>
    public WorldStart? Reset { get; init; }
    /// <summary>A ROS 2 robot's scene source; null: the simulator node's scene when it is discovered, else detections.</summary>
    public PerceptionSource? Perception { get; init; }
    /// <summary>With detections or tf: the class-id mapping, fixtures and bounds (null: sim/perception.json).</summary>
    public string? PerceptionConfigPath { get; init; }
    /// <summary>The perception file in force.</summary>
    public string EffectivePerceptionConfigPath => PerceptionConfigPath ?? Brainstem.Perception.PerceptionConfig.DefaultPath;

    /// <summary>Changes to objects' physics in the embedded simulator (perturbation scenarios); only with <see cref="RobotKind.Sim"/>.</summary>
    public System.Collections.Immutable.ImmutableArray<Sim.MuJoCo.ObjectPerturbation> Perturbations { get; init; } = [];

    /// <summary>The live telemetry stream and per-episode MCAP recordings (off unless asked for).</summary>
    public LiveFeedOptions Live { get; init; } = new();

    /// <summary>
    /// The tool speed limit the safety gate enforces (m/s); null = <see cref="DefaultMaxToolSpeed"/> for the robot kind.
    /// </summary>
    public double? MaxToolSpeed { get; init; }
    /// <summary>The workspace box for the tool and fingertips (world frame, m); null = the table top, up to 1.2 m above it.</summary>
    public (Core.Geometry.Vec3 Min, Core.Geometry.Vec3 Max)? Workspace { get; init; }

    /// <summary>The default tool speed limit (m/s).</summary>
    public const double SimulatorMaxToolSpeed = 1.0;

    /// <summary>
    /// The default tool speed limit, 1 m/s for every robot for now. The analytic skills are timed for the limit in force
    /// (their motions peak at 90% of it), so they succeed under ISO 10218-1's collaborative 250 mm/s
    /// (<c>--max-tool-speed 0.25</c>) in the simulator. It is not yet the default on a ROS 2 arm: after an anomaly the
    /// replanned motion can start while the arm still lags its hold target by millimetres, and the gate's check of a
    /// trajectory's first step from the measured arm then exceeds 0.25 m/s and refuses it (seen over DDS with 5 mm
    /// detection noise). The shipped learned policy was trained at the skills' full speed (peaks 0.7-0.9 m/s) and often
    /// misses when the gate slows it to 0.25 m/s (2 of 5 in the simulator).
    /// </summary>
    public static double DefaultMaxToolSpeed(RobotKind robot) => SimulatorMaxToolSpeed;

    /// <summary>The safety envelope the gate enforces: the scene's table, the workspace and speed given, validated.</summary>
    public Core.Robot.SafetyEnvelope SafetyEnvelope()
    {
        var env = Core.Robot.SafetyEnvelope.ForScene(ScenePath, MaxToolSpeed ?? DefaultMaxToolSpeed(Robot));
        if (Workspace is { } w) env = env with { WorkspaceMin = w.Min, WorkspaceMax = w.Max };
        return env.Validate();
    }

    /// <summary>The safety policy file (<c>--safety-policy</c>); null = <c>agents/safety.json</c>, or allow-all where it does not exist.</summary>
    public string? SafetyPolicyPath { get; init; }

    /// <summary>Run plans the safety screen flagged for review (with no reviewer they are refused "needs review").</summary>
    public bool AllowUnreviewed { get; init; }

    /// <summary>
    /// GGUF model of the slow safety reviewer (<c>--safety-model</c>): flagged plans are escalated to it; null = none (they stay
    /// refused "needs review"). Registered by the host's caller as an <see cref="Core.Safety.ISafetyReviewer"/>.
    /// </summary>
    public string? SafetyModelPath { get; init; }

    /// <summary>The safety policy in force, read and checked (a bad file is a <see cref="ConfigurationException"/> naming key and reason).</summary>
    public Core.Safety.SafetyPolicy SafetyPolicy() =>
        SafetyPolicyPath is { } path ? Core.Safety.SafetyPolicy.Load(path)
        : File.Exists(Core.Safety.SafetyPolicy.DefaultPath) ? Core.Safety.SafetyPolicy.Load(Core.Safety.SafetyPolicy.DefaultPath)
        : Core.Safety.SafetyPolicy.Permissive;

    /// <summary>OpenTelemetry export of the CortexBot meter (OTLP, Prometheus scrape); off by default.</summary>
    public Telemetry.MetricsExportOptions Metrics { get; init; } = new();

    public static string DefaultPolicyPath => Path.Combine(RepoPaths.Policies, "pick_place.onnx");

    /// <summary>The policy the host loads, or null when none is configured and the default is absent.</summary>
    public string? EffectivePolicyPath => PolicyPath ?? (File.Exists(DefaultPolicyPath) ? DefaultPolicyPath : null);

    public static string ControllerVersion { get; } =
        typeof(CortexBotOptions).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    /// <summary>Checks values a user typed; throws <see cref="ConfigurationException"/> naming the bad one.</summary>
    public CortexBotOptions Validate()
    {
        if (!double.IsFinite(RateHz) || RateHz < 10 || RateHz > 5000)
            throw new ConfigurationException($"--rate must be between 10 and 5000 Hz, got {RateHz}");
        if (!File.Exists(ScenePath)) throw new ConfigurationException($"scene file not found: {ScenePath}");
        if (!File.Exists(SkillCataloguePath)) throw new ConfigurationException($"skill catalogue not found: {SkillCataloguePath}");
        SafetyEnvelope();
        SafetyPolicy();
        if (SafetyModelPath is not null && !File.Exists(SafetyModelPath)) throw new ConfigurationException($"safety model file not found: {SafetyModelPath}");
        if (Planner is not ("rule" or "llama")) throw new ConfigurationException($"unknown planner '{Planner}' (available: rule, llama)");
        if (Planner == "llama" && string.IsNullOrWhiteSpace(ModelPath)) throw new ConfigurationException("--planner llama needs --model FILE.gguf");
        if (Planner == "llama" && !File.Exists(ModelPath)) throw new ConfigurationException($"model file not found: {ModelPath}");
        if (ModelPath is not null && Planner != "llama") throw new ConfigurationException("--model is only used with --planner llama");
        if (MmprojPath is not null && Planner != "llama") throw new ConfigurationException("--mmproj is only used with --planner llama");
        if (MmprojPath is not null && !File.Exists(MmprojPath)) throw new ConfigurationException($"mmproj file not found: {MmprojPath}");
        if (CameraWidth is < 8 or > 4096 || CameraHeight is < 8 or > 4096)
            throw new ConfigurationException($"camera frames must be 8 to 4096 pixels a side, got {CameraWidth}x{CameraHeight}");
        if (PlanTimeout <= TimeSpan.Zero) throw new ConfigurationException("--plan-timeout must be positive");
        if (GpuLayers < 0) throw new ConfigurationException($"--gpu-layers must not be negative, got {GpuLayers}");
        if (string.IsNullOrWhiteSpace(MemoryPath)) throw new ConfigurationException("memory path is empty");
        if (EmbeddingModelPath is not null && !File.Exists(EmbeddingModelPath)) throw new ConfigurationException($"embedding model file not found: {EmbeddingModelPath}");
        if (PolicyPath is not null && !File.Exists(PolicyPath)) throw new ConfigurationException($"policy file not found: {PolicyPath}");
        if (PreferLearnedSkills && EffectivePolicyPath is null)
            throw new ConfigurationException($"--learned needs a policy: none given with --policy and {DefaultPolicyPath} does not exist");
        if (PreferLearnedSkills && Robot == RobotKind.Ros2 && Perception is not (PerceptionSource.Detections or PerceptionSource.Tf))
            throw new ConfigurationException("--learned needs per-tick object poses, which over ROS 2 only detections give: add --perception detections (or tf)");
        if (!Perturbations.IsDefaultOrEmpty && Robot != RobotKind.Sim)
            throw new ConfigurationException("--perturb changes the embedded simulator's physics; it cannot change a real robot's (--robot ros2)");
        if (!Enum.IsDefined(Robot)) throw new ConfigurationException($"unknown robot {(int)Robot} (available: sim, ros2)");
        if (Robot == RobotKind.Sim)
        {
            if (Reset is { } r && r != WorldStart.Sim)
                throw new ConfigurationException($"--reset {r.ToString().ToLowerInvariant()} needs --robot ros2: the embedded simulator always resets its world");
            if (Perception is { } p && p != PerceptionSource.Sim)
                throw new ConfigurationException($"--perception {p.ToString().ToLowerInvariant()} needs --robot ros2: the embedded simulator's scene is its own");
            if (PerceptionConfigPath is not null) throw new ConfigurationException("--perception-config needs --robot ros2 (with detections or tf)");
        }
        if (Reset == WorldStart.Gazebo && Perception == PerceptionSource.Sim)
            throw new ConfigurationException("--reset gazebo perceives the Gazebo world: --perception sim reads `cortexbot sim serve`'s scene topic, which Gazebo has not; use --perception detections or tf");
        if (PerceptionConfigPath is not null && Perception == PerceptionSource.Sim)
            throw new ConfigurationException("--perception-config is only used with --perception detections or tf, not with the simulator node's scene (--perception sim)");
        if (PerceptionConfigPath is not null && !File.Exists(PerceptionConfigPath)) throw new ConfigurationException($"perception file not found: {PerceptionConfigPath}");
        if (Robot == RobotKind.Ros2)
        {
            if (Pacing != Pacing.Realtime) throw new ConfigurationException("--robot ros2 drives a real-time robot: --fast is not possible");
            Ros2.Validate();
        }
        return this;
    }
}
