using CortexBot.Core;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

namespace CortexBot.Cortex.Llama;

/// <summary>Configuration of <see cref="LlamaPlanner"/>.</summary>
public sealed record LlamaPlannerOptions
{
    /// <summary>The GGUF model file.</summary>
    public required string ModelPath { get; init; }

    /// <summary>
    /// Multimodal projector (mmproj GGUF) matching the model. With one, the camera frame of a <see cref="PlanningContext"/>
    /// is passed to the model with the prompt; without one, plans come from the scene description alone.
    /// </summary>
    public string? MmprojPath { get; init; }

    /// <summary>Context window in tokens (prompt plus answer).</summary>
    public uint ContextSize { get; init; } = 2048;

    /// <summary>CPU threads for generation; 0 picks half the cores (at least 1).</summary>
    public int Threads { get; init; }

    /// <summary>Layers offloaded to a GPU; needs the CUDA backend (build with <c>-p:LlamaBackend=Cuda12</c>). 0 = CPU only.</summary>
    public int GpuLayerCount { get; init; }

    /// <summary>Sampling seed; attempt <c>n</c> of a task samples with <c>Seed + n</c>.</summary>
    public uint Seed { get; init; } = 42;

    public float Temperature { get; init; } = 0.7f;

    /// <summary>Upper bound of answer tokens per attempt (the grammar keeps plans much shorter).</summary>
    public int MaxTokens { get; init; } = 384;

    /// <summary>Longest plan the grammar allows.</summary>
    public int MaxSteps { get; init; } = 8;

    /// <summary>Let the grammar follow what the gripper holds (pick with empty hands, place only what is held).</summary>
    public bool TrackHeldObject { get; init; } = true;

    /// <summary>Further attempts after a rejected one, each told why the previous was rejected.</summary>
    public int MaxRetries { get; init; } = 2;

    /// <summary>Prompt templates folder (default <c>agents/prompts</c>).</summary>
    public string? PromptsDirectory { get; init; }

    /// <summary>
    /// An extra check after <see cref="PlanValidator"/> (for example feasibility); returns null to accept or a reason
    /// that is fed back to the model in the next attempt.
    /// </summary>
    public Func<Plan, PlanningContext, string?>? AdditionalCheck { get; init; }

    /// <summary>Throws <see cref="ConfigurationException"/> naming a bad value.</summary>
    public LlamaPlannerOptions Validate()
    {
        if (string.IsNullOrWhiteSpace(ModelPath)) throw new ConfigurationException("--model is required with --planner llama");
        if (ContextSize is < 256 or > 1_048_576) throw new ConfigurationException($"--ctx must be between 256 and 1048576 tokens, got {ContextSize}");
        if (Threads is < 0 or > 1024) throw new ConfigurationException($"--threads must be between 0 (auto) and 1024, got {Threads}");
        if (GpuLayerCount < 0) throw new ConfigurationException($"GPU layer count must not be negative, got {GpuLayerCount}");
        if (!float.IsFinite(Temperature) || Temperature < 0 || Temperature > 5) throw new ConfigurationException($"temperature must be between 0 and 5, got {Temperature}");
        if (MaxTokens is < 16 or > 8192) throw new ConfigurationException($"max tokens must be between 16 and 8192, got {MaxTokens}");
        if (MaxSteps < 1 || MaxSteps > PlanValidator.MaxSteps) throw new ConfigurationException($"max steps must be between 1 and {PlanValidator.MaxSteps}, got {MaxSteps}");
        if (MaxRetries is < 0 or > 10) throw new ConfigurationException($"retries must be between 0 and 10, got {MaxRetries}");
        if (MmprojPath is not null && Directory.Exists(MmprojPath)) throw new ConfigurationException($"--mmproj {MmprojPath} is a directory, not a GGUF file");
        if (MmprojPath is not null && !File.Exists(MmprojPath)) throw new ConfigurationException($"mmproj file not found: {MmprojPath}");
        return this;
    }

    public int EffectiveThreads => Threads > 0 ? Threads : Math.Max(1, Environment.ProcessorCount / 2);
}
