using System.Diagnostics.Metrics;

namespace CortexBot.Core.Telemetry;

/// <summary>
/// The <c>CortexBot</c> meter (System.Diagnostics.Metrics): what each organ counts and times, readable with
/// <c>dotnet-counters monitor --counters CortexBot -n cortexbot</c> or any MeterListener (OpenTelemetry's included).
/// Recording without tags, or with one tag, allocates nothing, so the control thread records its own instruments.
/// </summary>
public static class CortexBotMetrics
{
    public const string MeterName = "CortexBot";

    public static readonly Meter Meter = new(MeterName, typeof(CortexBotMetrics).Assembly.GetName().Version?.ToString());

    // cerebellum: the control loop (on the control thread)
    public static readonly Histogram<double> TickJitter = Meter.CreateHistogram<double>(
        "cortexbot.control.tick_jitter", "us", "Absolute error of each real-time control tick's start against its schedule");
    public static readonly Counter<long> LateTicks = Meter.CreateCounter<long>(
        "cortexbot.control.late_ticks", "{tick}", "Real-time control ticks that started more than one period late");
    public static readonly Counter<long> Anomalies = Meter.CreateCounter<long>(
        "cortexbot.anomalies", "{anomaly}", "Anomalies the control loop's screen reported, by kind");

    // brainstem: the safety gate (on the control thread) and the ROS 2 link (on its DDS thread)
    public static readonly Counter<long> ClampedCommands = Meter.CreateCounter<long>(
        "cortexbot.safety.clamped_commands", "{command}", "Commands the safety gate clamped to a position, velocity or gripper limit");
    public static readonly Counter<long> RejectedCommands = Meter.CreateCounter<long>(
        "cortexbot.safety.rejected_commands", "{command}", "Non-finite commands the safety gate replaced by the last safe one");
    public static readonly Counter<long> EnvelopeHolds = Meter.CreateCounter<long>(
        "cortexbot.safety.envelope_holds", "{command}", "Commands the safety gate replaced by the last safe one because the tool or a fingertip would leave the safety envelope");
    public static readonly Counter<long> SpeedScaledCommands = Meter.CreateCounter<long>(
        "cortexbot.safety.speed_scaled_commands", "{command}", "Commands whose step the safety gate scaled down to keep the tool under the speed limit");
    public static readonly Counter<long> DdsStatesReceived = Meter.CreateCounter<long>(
        "cortexbot.ros2.joint_states_received", "{message}", "Joint states accepted from /joint_states");
    public static readonly Counter<long> DdsStatesRejected = Meter.CreateCounter<long>(
        "cortexbot.ros2.joint_states_rejected", "{message}", "Joint states refused, by reason");

    // cortex
    public static readonly Histogram<double> PlanLatency = Meter.CreateHistogram<double>(
        "cortexbot.cortex.plan_latency", "ms", "Time from a plan request to a validated plan or a refusal");
    public static readonly Counter<long> PlannerCalls = Meter.CreateCounter<long>(
        "cortexbot.cortex.planner_calls", "{call}", "Plans asked of the planner, by outcome");

    // hippocampus
    public static readonly Histogram<double> RecallLatency = Meter.CreateHistogram<double>(
        "cortexbot.hippocampus.recall_latency", "ms", "Time to answer a similarity recall");
    private static long s_episodesInMemory;

    public static readonly ObservableGauge<long> EpisodesInMemory = Meter.CreateObservableGauge(
        "cortexbot.hippocampus.episodes", () => Interlocked.Read(ref s_episodesInMemory), "{episode}", "Episodes the recall index holds");

    /// <summary>The hippocampus says how many episodes its recall index holds (read when the gauge is collected).</summary>
    public static void SetEpisodesInMemory(long count) => Interlocked.Exchange(ref s_episodesInMemory, count);
}
