using System.Text.Json.Serialization;

namespace CortexBot.Host;

// The run contract printed by `cortexbot run --json`; other tools rely on these names.
public sealed record RunReport(
    [property: JsonPropertyName("task")] string Task,
    [property: JsonPropertyName("episodes")] IReadOnlyList<EpisodeReport> Episodes,
    [property: JsonPropertyName("success_rate")] double SuccessRate,
    [property: JsonPropertyName("control")] ControlReport Control,
    [property: JsonPropertyName("cortex")] CortexReport Cortex,
    [property: JsonPropertyName("hippocampus")] HippocampusReport Hippocampus)
{
    /// <summary>The learned policy the cerebellum served, and the device that ran it; null when none was loaded.</summary>
    [JsonPropertyName("policy")] public PolicyReport? Policy { get; init; }
}

/// <param name="Device">The ONNX Runtime execution provider that ran the policy: "cpu" or "cuda".</param>
/// <param name="RequestedDevice">What --onnx-device asked for.</param>
/// <param name="Fallback">Why the requested device did not run it, or null.</param>
public sealed record PolicyReport(
    [property: JsonPropertyName("path")] string Path,
    [property: JsonPropertyName("device")] string Device,
    [property: JsonPropertyName("requested_device")] string RequestedDevice,
    [property: JsonPropertyName("fallback")] string? Fallback);

public sealed record EpisodeReport(
    [property: JsonPropertyName("seed")] int Seed,
    [property: JsonPropertyName("success")] bool Success,
    [property: JsonPropertyName("duration_s")] double DurationS,
    [property: JsonPropertyName("plan")] IReadOnlyList<string> Plan,
    [property: JsonPropertyName("anomalies")] int Anomalies,
    [property: JsonPropertyName("failure")] string? Failure,
    [property: JsonPropertyName("episode_id")] long EpisodeId,
    [property: JsonPropertyName("wall_s")] double WallS);

public sealed record ControlReport(
    [property: JsonPropertyName("target_hz")] double TargetHz,
    [property: JsonPropertyName("achieved_hz")] double AchievedHz,
    [property: JsonPropertyName("tick_jitter_p50_us")] long JitterP50Us,
    [property: JsonPropertyName("tick_jitter_p99_us")] long JitterP99Us,
    [property: JsonPropertyName("tick_jitter_max_us")] long JitterMaxUs,
    [property: JsonPropertyName("late_ticks")] long LateTicks,
    [property: JsonPropertyName("ticks")] long Ticks,
    [property: JsonPropertyName("pacing")] string Pacing,
    [property: JsonPropertyName("realtime_priority")] bool RealtimePriority,
    [property: JsonPropertyName("clamped_commands")] long ClampedCommands)
{
    /// <summary>Commands the safety gate held because the tool or a fingertip would have left the safety envelope.</summary>
    [JsonPropertyName("envelope_holds")] public long EnvelopeHolds { get; init; }
    /// <summary>Commands whose step the gate scaled down to keep the tool under the speed limit.</summary>
    [JsonPropertyName("speed_scaled_commands")] public long SpeedScaledCommands { get; init; }
    /// <summary>The tool speed limit in force (m/s); null without an envelope.</summary>
    [JsonPropertyName("max_tool_speed_m_s")] public double? MaxToolSpeed { get; init; }
    /// <summary>The fastest commanded tool speed the gate let through (m/s).</summary>
    [JsonPropertyName("peak_tool_speed_m_s")] public double PeakToolSpeed { get; init; }
}

/// <param name="Plans">Plans the cortex produced over the run: one per episode that got one, plus every replan after an anomaly.</param>
/// <param name="PlanLatencyMsP50">The median latency of those plans.</param>
public sealed record CortexReport(
    [property: JsonPropertyName("planner")] string Planner,
    [property: JsonPropertyName("plans")] int Plans,
    [property: JsonPropertyName("plan_latency_ms_p50")] double PlanLatencyMsP50);

public sealed record HippocampusReport(
    [property: JsonPropertyName("episodes_stored")] int EpisodesStored,
    [property: JsonPropertyName("path")] string Path);
