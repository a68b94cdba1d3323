using System.Globalization;

namespace CortexBot.Brainstem.Ros2;

/// <summary>
/// What the control loop reports to <c>/diagnostics</c>, read through a function the host composition hands the link
/// (the brainstem does not know the cerebellum's loop): its target and achieved rate, tick jitter, late ticks and the
/// latest anomaly (null: none yet) with how long ago it was (seconds).
/// </summary>
public sealed record ControlLoopHealth(
    double TargetHz, double AchievedHz, long JitterP99Us, long JitterMaxUs, long LateTicks, string? LastAnomaly, double LastAnomalyAgeS);

/// <summary>
/// diagnostic_msgs/DiagnosticArray on <see cref="Ros2Options.DiagnosticsTopic"/> at 1 Hz, as ROS 2 drivers report
/// to diagnostic_aggregator / rqt_robot_monitor: one status each for the control loop, the joint states and the
/// emergency stop (hardware_id: the node name). Published from the link's receiver thread, never the control thread;
/// it allocates (once a second), which the receiver thread may.
/// </summary>
internal sealed unsafe class Ros2Diagnostics
{
    /// <summary>An anomaly younger than this keeps the control loop's status at WARN.</summary>
    public const double RecentAnomalyS = 10;

    private readonly int _writer;
    private readonly string _hardwareId;

    public Ros2Diagnostics(DdsParticipant dds, Ros2Options o)
    {
        _writer = dds.Writer(RosType.DiagnosticArray, o.DiagnosticsTopic, RosQos.Default);
        _hardwareId = o.NodeName ?? "cortexbot";
    }

    public int Writer => _writer;

    /// <summary>One status: level, name, message and its key/values.</summary>
    public readonly record struct Status(byte Level, string Name, string Message, (string Key, string Value)[] Values);

    /// <summary>The statuses for the link's state now (pure: the test checks the levels without DDS).</summary>
    public static Status[] Compose(ControlLoopHealth? loop, bool anyState, bool stateFresh, double stateAgeS, Ros2LinkCounters c, bool estop)
    {
        static string F(double v) => v.ToString("0.###", CultureInfo.InvariantCulture);
        static string I(long v) => v.ToString(CultureInfo.InvariantCulture);
        Status control;
        if (loop is null)
            control = new(DiagnosticLevel.Stale, "cortexbot: control loop", "no control loop attached", []);
        else
        {
            bool slow = loop.TargetHz > 0 && loop.AchievedHz < 0.9 * loop.TargetHz;
            bool recent = loop.LastAnomaly is not null && loop.LastAnomalyAgeS < RecentAnomalyS;
            byte level = slow || recent ? DiagnosticLevel.Warn : DiagnosticLevel.Ok;
            string message = slow ? $"running at {F(loop.AchievedHz)} Hz of {F(loop.TargetHz)} Hz"
                : recent ? $"anomaly {F(loop.LastAnomalyAgeS)} s ago: {loop.LastAnomaly}"
                : $"running at {F(loop.AchievedHz)} Hz";
            control = new(level, "cortexbot: control loop", message,
            [
                ("target_rate_hz", F(loop.TargetHz)), ("achieved_rate_hz", F(loop.AchievedHz)),
                ("jitter_p99_us", I(loop.JitterP99Us)), ("jitter_max_us", I(loop.JitterMaxUs)), ("late_ticks", I(loop.LateTicks)),
                ("last_anomaly", loop.LastAnomaly ?? "none"),
                ("last_anomaly_age_s", loop.LastAnomaly is null ? "" : F(loop.LastAnomalyAgeS)),
            ]);
        }
        var states = new Status(
            !anyState ? DiagnosticLevel.Error : stateFresh ? DiagnosticLevel.Ok : DiagnosticLevel.Error,
            "cortexbot: joint states",
            !anyState ? "no joint state received" : stateFresh ? "fresh" : $"stale: the newest is {F(stateAgeS)} s old (the arm holds)",
            [
                ("fresh", stateFresh ? "true" : "false"), ("state_age_s", anyState ? F(stateAgeS) : ""),
                ("accepted", I(c.JointStatesAccepted)), ("stale_reads", I(c.StaleReads)), ("writes_held", I(c.WritesHeld)),
                ("reconnects", I(c.Reconnects)), ("rejected_missing_joints", I(c.RejectedMissingJoints)),
                ("rejected_non_finite", I(c.RejectedNonFinite)), ("rejected_malformed", I(c.RejectedMalformed)),
            ]);
        var stop = new Status(estop ? DiagnosticLevel.Error : DiagnosticLevel.Ok, "cortexbot: emergency stop",
            estop ? "engaged: motion stopped" : "released",
            [("engaged", estop ? "true" : "false"), ("engagements", I(c.EmergencyStops))]);
        return [control, states, stop];
    }

    /// <summary>Writes the statuses as one DiagnosticArray stamped with the wall time.</summary>
    public int Publish(Status[] statuses)
    {
        using var mem = new NativeStrings();
        var arr = mem.Alloc<DiagnosticStatusMsg>(statuses.Length);
        byte* hw = mem.Add(_hardwareId);
        for (int i = 0; i < statuses.Length; i++)
        {
            var s = statuses[i];
            var kv = mem.Alloc<KeyValueMsg>(s.Values.Length);
            for (int k = 0; k < s.Values.Length; k++)
            {
                kv[k].Key = mem.Add(s.Values[k].Key);
                kv[k].Value = mem.Add(s.Values[k].Value);
            }
            arr[i].Level = s.Level;
            arr[i].Name = mem.Add(s.Name);
            arr[i].Message = mem.Add(s.Message);
            arr[i].HardwareId = hw;
            arr[i].Values = DdsSequence.Of(kv, s.Values.Length);
        }
        DiagnosticArrayMsg m = default;
        m.Header.Stamp = RosTime.FromNanoseconds((DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100);
        m.Header.FrameId = mem.Add("");
        m.Status = DdsSequence.Of(arr, statuses.Length);
        return Native.Write(_writer, &m);
    }
}
