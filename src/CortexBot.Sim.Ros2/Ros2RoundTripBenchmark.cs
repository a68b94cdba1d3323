using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using CortexBot.Brainstem.Ros2;
using CortexBot.Core;
using CortexBot.Core.Ports;
using CortexBot.Core.Stats;

namespace CortexBot.Sim.Ros2;

/// <summary>Latency figures of one round-trip run.</summary>
public sealed record RoundTripStats(string Path, double RateHz, long Sent, long Received, double LossPercent, double P50Us, double P99Us)
{
    /// <summary>ddsperf's way of summing up (one-second windows: the median of their p50s, the largest of their p99s),
    /// so a run compares with ddsperf on the same footing; null where not measured.</summary>
    public double? WindowP50Us { get; init; }
    public double? WindowP99Us { get; init; }
}

/// <summary>Which process echoes the link's pings: this CLI (<c>--echo</c>, managed code between take and write) or the
/// shim's plain C loop (the same waitset, take and write as ddsperf's pong, no managed code in the loop).</summary>
public enum EchoPeer { Managed, Native }

/// <summary>
/// JointState round trip (publish, echo in another process, receive) through <see cref="Ros2RobotLink"/>'s receive path,
/// and Cyclone's own <c>ddsperf</c> ping-pong on the same machine in the same run as the baseline.
/// <para>Ours: the pinger publishes a sensor_msgs/JointState (8 joints, position[0] = sequence number) on
/// <c>/cortexbot/bench/ping</c> once per period; <c>cortexbot bench ros2 --echo</c> republishes every sample on
/// <c>/cortexbot/bench/pong</c> (in .NET, or in the shim's C loop with <c>--peer native</c>, as ddsperf's pong is C);
/// a <see cref="Ros2RobotLink"/> subscribed there accepts it (its listener on DDS's thread: name mapping, checks,
/// seqlock) and the round trip is its receive stamp minus the send time. A ping whose echo never shows up in
/// <see cref="Ros2RobotLink.Read"/> before the next ping is left out of the latency figures; loss counts echoes the link never accepted.</para>
/// </summary>
public static unsafe class Ros2RoundTripBenchmark
{
    public const string PingTopic = "/cortexbot/bench/ping";
    public const string PongTopic = "/cortexbot/bench/pong";
    private static readonly string[] Arm = ["j1", "j2", "j3", "j4", "j5", "j6"];
    private static readonly string[] Fingers = ["f1", "f2"];

    /// <summary>The echo side: republish every ping as a pong until <paramref name="ct"/> is cancelled, in managed code
    /// (<see cref="EchoPeer.Managed"/>) or in the shim's C loop (<see cref="EchoPeer.Native"/>). Same QoS either way.</summary>
    public static void Echo(int domain, CancellationToken ct, EchoPeer peer = EchoPeer.Managed)
    {
        using var dds = new DdsParticipant(domain, DdsParticipant.LoopbackConfig());
        int r = dds.Reader(RosType.JointState, PingTopic, RosQos.Default);
        int w = dds.Writer(RosType.JointState, PongTopic, RosQos.Default);
        int ws = dds.Waitset(r);
        if (peer == EchoPeer.Native)
        {
            // the flag lives in native memory: the C loop reads it while this thread is blocked in the call
            var stop = (int*)NativeMemory.AllocZeroed(sizeof(int));
            try
            {
                using var wake = ct.Register(() => { Volatile.Write(ref *stop, 1); Native.Wake(ws); });
                long rc = Native.Echo(ws, r, w, stop);
                if (rc < 0) throw new InvalidOperationException($"the native echo failed: {Native.Describe((int)rc)}");
            }
            finally { NativeMemory.Free(stop); }
            return;
        }
        using var reg = ct.Register(() => Native.Wake(ws));
        while (!ct.IsCancellationRequested)
        {
            Native.Wait(ws, 100_000_000);
            while (Native.Take(r, out void* p, out _) is int n && n > 0)
            {
                if (n != 1) continue;
                Native.Write(w, p);
                Native.ReturnLoan(r, p);
            }
        }
    }

    /// <summary>The ping side through the link, at <paramref name="rateHz"/> for <paramref name="seconds"/> (after a 1 s warm-up).</summary>
    public static RoundTripStats PingThroughLink(int domain, double rateHz, double seconds, EchoPeer peer = EchoPeer.Managed)
    {
        var o = new Ros2Options
        {
            DomainId = domain, LoopbackOnly = true, JointStatesTopic = PongTopic, GripperJoints = Fingers,
            StaleAfter = TimeSpan.FromSeconds(1), StartTimeout = TimeSpan.FromSeconds(10),
        };
        using var link = new Ros2RobotLink(Arm, o);
        using var dds = new DdsParticipant(domain, o.EffectiveCycloneConfig);
        int w = dds.Writer(RosType.JointState, PingTopic, RosQos.Default);
        using var mem = new NativeStrings();
        var pos = mem.Alloc<double>(8);
        var vel = mem.Alloc<double>(8);
        var eff = mem.Alloc<double>(8);
        JointStateMsg m = default;
        m.Header.FrameId = mem.Add("");
        m.Name = DdsSequence.Of(mem.AddArray([.. Arm, .. Fingers]), 8);
        m.Position = DdsSequence.Of(pos, 8);
        m.Velocity = DdsSequence.Of(vel, 8);
        m.Effort = DdsSequence.Of(eff, 8);
        pos[6] = pos[7] = 0.02;

        // wait until the echo answers (position -1 is not a sequence number)
        var state = new RobotStateBuffer(6);
        var sw = Stopwatch.StartNew();
        pos[0] = -1;
        while (link.Counters.JointStatesAccepted == 0)
        {
            if (sw.Elapsed.TotalSeconds > 10) throw new InvalidOperationException("the echo process did not answer within 10 s");
            Native.Write(w, &m);
            Thread.Sleep(10);
        }

        long periodNs = (long)(1e9 / rateHz);
        int warm = (int)rateHz, total = warm + (int)(rateHz * seconds);
        var sent = new long[total];
        var rtt = new List<double>(total);
        var observedAt = new List<long>(total); // send time of each rtt sample, for the one-second windows
        var seen = new bool[total];
        long next = MonotonicClock.NowNs;
        long observed = 0, acceptedAtWarmEnd = 0;
        for (int seq = 0; seq <= total; seq++)
        {
            if (seq == warm) acceptedAtWarmEnd = link.Counters.JointStatesAccepted;
            // observe the newest pong through the control-side Read
            link.Read(state);
            int got = (int)Math.Round(state.Position[0]);
            if (got >= 1 && got <= total && !seen[got - 1])
            {
                seen[got - 1] = true;
                if (got > warm) { observed++; rtt.Add((state.StampNs - sent[got - 1]) / 1000.0); observedAt.Add(sent[got - 1]); }
            }
            if (seq == total) break;
            pos[0] = seq + 1;
            sent[seq] = MonotonicClock.NowNs;
            Native.Write(w, &m);
            next += periodNs;
            SleepUntil(next);
        }
        Thread.Sleep(100);
        link.Read(state);
        int last = (int)Math.Round(state.Position[0]);
        if (last == total && !seen[total - 1]) { rtt.Add((state.StampNs - sent[total - 1]) / 1000.0); observedAt.Add(sent[total - 1]); }
        long measured = total - warm;
        // delivered: echoes the link accepted during the measured window (a late echo that a newer one overwrote
        // before the next Read is delivered, not lost; the latency figures only cover echoes observed through Read)
        long received = Math.Min(measured, link.Counters.JointStatesAccepted - acceptedAtWarmEnd);
        var (w50, w99) = Windowed(observedAt, rtt, sent[warm]);
        rtt.Sort();
        string echo = peer == EchoPeer.Native ? "echo in C (the shim's loop)" : "echo in .NET (bench ros2 --echo)";
        return new RoundTripStats($"cortexbot link (JointState, 8 joints), {echo}", rateHz, measured, received,
            100.0 * (measured - received) / measured, Percentiles.NearestRankOr(rtt, 0.5, double.NaN), Percentiles.NearestRankOr(rtt, 0.99, double.NaN))
        { WindowP50Us = w50, WindowP99Us = w99 };
    }

    /// <summary>
    /// Sums round trips up as ddsperf does: per one-second window (from <paramref name="startNs"/>, by send time) the p50
    /// and p99 with ddsperf's own ranks (<c>raw[n - (n + 1) / 2]</c>, <c>raw[n - (n + 99) / 100]</c> of the sorted window),
    /// then the median of the windows' p50s and the largest of their p99s. NaN without samples.
    /// </summary>
    public static (double P50Us, double P99Us) Windowed(IReadOnlyList<long> sentNs, IReadOnlyList<double> rttUs, long startNs)
    {
        var windows = new SortedDictionary<long, List<double>>();
        for (int i = 0; i < rttUs.Count; i++)
        {
            long k = Math.Max(0, sentNs[i] - startNs) / 1_000_000_000;
            if (!windows.TryGetValue(k, out var list)) windows[k] = list = new List<double>();
            list.Add(rttUs[i]);
        }
        if (windows.Count == 0) return (double.NaN, double.NaN);
        var p50s = new List<double>();
        double p99 = double.MinValue;
        foreach (var raw in windows.Values)
        {
            raw.Sort();
            int n = raw.Count;
            p50s.Add(raw[n - (n + 1) / 2]);
            p99 = Math.Max(p99, raw[n - (n + 99) / 100]);
        }
        p50s.Sort();
        return (Percentiles.NearestRank(p50s, 0.5), p99);
    }

    /// <summary>
    /// FollowJointTrajectory send_goal round trips through the link's action client against a simulator node (another
    /// process, on <paramref name="domain"/>): one goal a period holding the arm where it is, for <paramref name="seconds"/>
    /// after a 1 s warm-up, each a one-point trajectory holding the arm where it is, sent through
    /// <see cref="Ros2RobotLink.Execute"/> as a skill's motion is. The node answers on its tick, so half its period is part of the figure. Loss counts goals never answered.
    /// </summary>
    public static RoundTripStats GoalsThroughLink(int domain, double rateHz, double seconds, double nodeRateHz)
    {
        var o = new Ros2Options
        {
            DomainId = domain, LoopbackOnly = true, TrajectoryInterface = Ros2TrajectoryInterface.Action,
            StaleAfter = TimeSpan.FromSeconds(1), StartTimeout = TimeSpan.FromSeconds(20),
        };
        using var link = new Ros2RobotLink(CortexBot.Sim.MuJoCo.MuJoCoWorld.ArmJoints, o);
        link.Start(1 / rateHz);
        var state = new RobotStateBuffer(link.JointNames.Count);
        if (!link.Read(state)) throw new InvalidOperationException("no fresh joint state from the simulator node");
        // one goal a period: a one-point trajectory to where the arm is (each replaces the goal in force, as a new motion does)
        var hold = new ArmTrajectory(state.Joints, 1, "bench hold") { Count = 1, HasDerivatives = false };
        hold.TimeFromStart[0] = 0.1;
        for (int i = 0; i < state.Joints; i++) hold.Position[i] = state.Position[i];
        long periodNs = (long)(1e9 / rateHz);
        int warm = (int)rateHz, total = warm + (int)(rateHz * seconds);
        long next = MonotonicClock.NowNs, sentAtWarm = 0, answeredAtWarm = 0, rttAtWarm = 0;
        for (int k = 0; k < total; k++)
        {
            if (k == warm)
            {
                var c = link.Counters;
                sentAtWarm = c.GoalsSent;
                answeredAtWarm = c.GoalsAccepted + c.GoalsRejected;
                rttAtWarm = link.GoalRoundTripCount;
            }
            link.Read(state);
            if (!link.Execute(hold, out var refusal)) throw new InvalidOperationException($"the link refused the goal: {refusal}");
            next += periodNs;
            SleepUntil(next);
        }
        Thread.Sleep(200); // the last answers
        var end = link.Counters;
        long sent = end.GoalsSent - sentAtWarm, answered = Math.Min(sent, end.GoalsAccepted + end.GoalsRejected - answeredAtWarm);
        var rtt = link.GoalRoundTripsUs(link.GoalRoundTripCount - rttAtWarm).ToList();
        rtt.Sort();
        return new RoundTripStats($"cortexbot link FollowJointTrajectory send_goal to sim serve ticking at {nodeRateHz:0} Hz", rateHz, sent, answered,
            sent == 0 ? 100 : 100.0 * (sent - answered) / sent, Percentiles.NearestRankOr(rtt, 0.5, double.NaN), Percentiles.NearestRankOr(rtt, 0.99, double.NaN));
    }

    /// <summary>
    /// Cyclone's ddsperf ping-pong (two processes, payload about a JointState's size: 300 bytes against the JointState's
    /// 296 + 4), as round trips. Each side receives as ours does: the pinger on a listener (the link takes joint states
    /// on DDS's thread), the pong on a waitset (as both our echoes do). ddsperf prints half the round trip (its process_pong records <c>(tnow - ping's source timestamp) / 2</c>,
    /// src/tools/ddsperf/ddsperf.c in 0.10.2), so its figures are doubled here to compare with ours, which are whole round
    /// trips. Its p50 and p99 are per second: the median of the p50s and the largest p99 (<see cref="Windowed"/> does the same for ours).
    /// </summary>
    public static RoundTripStats PingDdsperf(int domain, double rateHz, double seconds, int payloadBytes = 300)
    {
        int dur = (int)Math.Ceiling(seconds) + 1;
        using var pong = StartDdsperf($"-i {domain} -D {dur + 3} pong waitset");
        try
        {
            using var ping = StartDdsperf($"-i {domain} -D {dur} ping {rateHz.ToString(CultureInfo.InvariantCulture)}Hz size {payloadBytes} listener");
            var output = ping.StandardOutput.ReadToEnd();
            ping.WaitForExit();
            return ParseDdsperf(output, rateHz);
        }
        finally
        {
            if (!pong.HasExited) pong.Kill();
            pong.WaitForExit();
        }
    }

    /// <summary>
    /// ddsperf ping's output as round trips: its per-second lines ("... 50% 45.2us 90% 52.7us 99% 83.6us max 1043.3us cnt
    /// 452"; one-way figures, so doubled), the first second (discovery, warm-up) left out; p50 the median of the
    /// per-second p50s, p99 the largest per-second p99, loss against <paramref name="rateHz"/> pings a second.
    /// </summary>
    public static RoundTripStats ParseDdsperf(string output, double rateHz)
    {
        var rx = new Regex(@"50% ([0-9.]+)us 90% [0-9.]+us 99% ([0-9.]+)us max [0-9.]+us cnt (\d+)");
        var lines = rx.Matches(output).Select(x => (P50: 2 * double.Parse(x.Groups[1].Value, CultureInfo.InvariantCulture),
            P99: 2 * double.Parse(x.Groups[2].Value, CultureInfo.InvariantCulture), Cnt: long.Parse(x.Groups[3].Value, CultureInfo.InvariantCulture))).ToList();
        if (lines.Count < 2) throw new InvalidOperationException($"ddsperf gave no latency lines: {output}");
        lines.RemoveAt(0);
        long cnt = lines.Sum(l => l.Cnt);
        long expected = (long)(rateHz * lines.Count);
        var p50 = lines.Select(l => l.P50).Order().ToList();
        double p50Us = Percentiles.NearestRank(p50, 0.5), p99Us = lines.Max(l => l.P99);
        return new RoundTripStats("ddsperf ping-pong round trip (2 x its printed one-way figures; per-second p50 median, p99 max)", rateHz, expected, cnt,
            Math.Max(0, 100.0 * (expected - cnt) / expected), p50Us, p99Us) { WindowP50Us = p50Us, WindowP99Us = p99Us };
    }

    private static Process StartDdsperf(string args)
    {
        var psi = new ProcessStartInfo("ddsperf", args) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.Environment["CYCLONEDDS_URI"] = DdsParticipant.LoopbackConfig();
        try { return Process.Start(psi)!; }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new ConfigurationException($"ddsperf could not be started ({e.Message}): sudo apt-get install cyclonedds-tools");
        }
    }

    private static void SleepUntil(long deadlineNs) => Ros2SimNode.SleepUntil(deadlineNs);
}
