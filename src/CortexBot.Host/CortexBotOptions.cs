using CortexBot.Cerebellum.Control;
using CortexBot.Core;

namespace CortexBot.Host;

/// <summary>Everything a user configures about one CortexBot process.</summary>
public sealed record CortexBotOptions
{
    public string ScenePath { get; init; } = RepoPaths.DefaultScene;
    public string SkillCataloguePath { get; init; } = RepoPaths.DefaultSkillCatalogue;
    public string MemoryPath { get; init; } = Hippocampus.SqliteEpisodeStore.DefaultPath;
    public double RateHz { get; init; } = 500;
    public Pacing Pacing { get; init; } = Pacing.Realtime;
    public bool RealtimePriority { get; init; } = true;
    public TimeSpan PlanTimeout { get; init; } = TimeSpan.FromSeconds(30);
    public EpisodeTimeouts Timeouts { get; init; } = EpisodeTimeouts.Default;
    public string Planner { get; init; } = "rule";

    public static string ControllerVersion { get; } =
        typeof(CortexBotOptions).Assembly.GetName().Version?.ToString() ?? "0.0.0";

    /// <summary>Checks values a user typed; throws <see cref="ConfigurationException"/> naming the bad one.</summary>
    public CortexBotOptions Validate()
    {
        if (!double.IsFinite(RateHz) || RateHz < 10 || RateHz > 5000)
            throw new ConfigurationException($"--rate must be between 10 and 5000 Hz, got {RateHz}");
        if (!File.Exists(ScenePath)) throw new ConfigurationException($"scene file not found: {ScenePath}");
        if (!File.Exists(SkillCataloguePath)) throw new ConfigurationException($"skill catalogue not found: {SkillCataloguePath}");
        if (Planner != "rule") throw new ConfigurationException($"unknown planner '{Planner}' (available: rule)");
        if (string.IsNullOrWhiteSpace(MemoryPath)) throw new ConfigurationException("memory path is empty");
        return this;
    }
}
