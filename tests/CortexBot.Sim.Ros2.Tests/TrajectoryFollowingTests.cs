using CortexBot.Brainstem.Ros2;
using CortexBot.Brainstem.Ros2.Tests;
using CortexBot.Sim.MuJoCo;

namespace CortexBot.Sim.Ros2.Tests;

/// <summary>
/// The simulator node samples trajectories over time_from_start as joint_trajectory_controller does, seen from the wire:
/// a test participant publishes trajectory_msgs/JointTrajectory and reads control_msgs/JointTrajectoryControllerState.
/// </summary>
public sealed unsafe class TrajectoryFollowingTests
{
    private static readonly string[] Arm = [.. MuJoCoWorld.ArmJoints];

    /// <summary>One controller state of joint 0: wall stamp, reference position and velocity, measured position.</summary>
    private readonly record struct State(long StampNs, double Ref, double RefVel, double Fb);

    /// <summary>A node at 250 Hz publishing its controller state every tick, and a peer that commands it.</summary>
    private sealed class Rig : IDisposable
    {
        public readonly MuJoCoWorld World = MuJoCoWorld.OpenDefault();
        public readonly Ros2SimNode Node;
        private readonly CancellationTokenSource _cts = new();
        private readonly Thread _thread;
        private readonly DdsParticipant _dds;
        private readonly int _writer, _reader;
        public readonly List<State> States = [];
        public double[] Start = new double[6];

        public Rig(Action<string>? log = null)
        {
            int d = TestBus.NewDomain();
            // read as control_msgs 4.x (Humble's layout, ControllerStateMsg)
            var o = TestBus.Options(d) with { ControllerStateRateHz = 250, Distro = RosDistro.Humble };
            Node = new Ros2SimNode(World, o, 250, seed: 1, log: log);
            _thread = new Thread(() => Node.Run(_cts.Token)) { IsBackground = true };
            _thread.Start();
            _dds = new DdsParticipant(d, DdsParticipant.LoopbackConfig());
            _writer = _dds.Writer(RosType.JointTrajectory, o.CommandTopic, RosQos.Default);
            _reader = _dds.Reader(RosType.ControllerState, o.ControllerStateTopic, RosQos.SystemDefault with { Depth = 5000 });
            TestBus.WaitUntil(() => DdsParticipant.Matched(_writer, true) > 0 && Collect() > 0, "the node to match");
            var s = TakeLatestPositions();
            Start = s;
        }

        private double[] TakeLatestPositions()
        {
            double[]? last = null;
            TestBus.WaitUntil(() =>
            {
                while (Native.Take(_reader, out void* p, out _) is int r && r > 0)
                {
                    if (r != 1) continue;
                    var m = (ControllerStateMsg*)p;
                    last = new double[6];
                    for (int i = 0; i < 6; i++) last[i] = ((double*)m->Reference.Positions.Buffer)[i];
                    Native.ReturnLoan(_reader, p);
                }
                return last is not null;
            }, "a controller state");
            return last!;
        }

        public int Collect()
        {
            int n = 0;
            while (Native.Take(_reader, out void* p, out _) is int r && r > 0)
            {
                if (r != 1) continue;
                var m = (ControllerStateMsg*)p;
                States.Add(new State(m->Header.Stamp.TotalNanoseconds, ((double*)m->Reference.Positions.Buffer)[0],
                    ((double*)m->Reference.Velocities.Buffer)[0], ((double*)m->Feedback.Positions.Buffer)[0]));
                Native.ReturnLoan(_reader, p);
                n++;
            }
            return n;
        }

        /// <summary>Records controller states for <paramref name="seconds"/>.</summary>
        public void Watch(double seconds)
        {
            var sw = System.Diagnostics.Stopwatch.StartNew();
            while (sw.Elapsed.TotalSeconds < seconds) { Collect(); Thread.Sleep(2); }
            Collect();
        }

        public static long WallNs => (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;

        /// <summary>Publishes a trajectory moving joint 0 to Start[0] + offsets (the other joints hold); returns the wall time sent.</summary>
        public long Send(double[] seconds, double[] offsets, double[]? velocities = null, string[]? names = null, double nanAt = double.NaN)
        {
            names ??= Arm;
            int count = seconds.Length, n = names.Length;
            using var mem = new NativeStrings();
            var pts = mem.Alloc<JointTrajectoryPointMsg>(count);
            for (int j = 0; j < count; j++)
            {
                var pos = mem.Alloc<double>(n);
                for (int i = 0; i < n; i++) pos[i] = Start[Math.Min(i, 5)];
                pos[0] = Start[0] + offsets[j];
                if (j == (int)(double.IsNaN(nanAt) ? -1 : nanAt)) pos[1] = double.NaN;
                pts[j] = default;
                pts[j].Positions = DdsSequence.Of(pos, n);
                if (velocities is not null)
                {
                    var vel = mem.Alloc<double>(n);
                    vel[0] = velocities[j];
                    pts[j].Velocities = DdsSequence.Of(vel, n);
                }
                pts[j].TimeFromStart = RosTime.FromNanoseconds((long)Math.Round(seconds[j] * 1e9));
            }
            JointTrajectoryMsg m = default;
            m.Header.FrameId = mem.Add("");
            m.JointNames = DdsSequence.Of(mem.AddArray(names), n);
            m.Points = DdsSequence.Of(pts, count);
            long sent = WallNs;
            Assert.True(Native.Write(_writer, &m) >= 0);
            return sent;
        }

        /// <summary>The reference of the state stamped nearest to <paramref name="wallNs"/>.</summary>
        public State At(long wallNs) => States.MinBy(s => Math.Abs(s.StampNs - wallNs));

        /// <summary>
        /// The fastest the reference moved between consecutive states from <paramref name="fromNs"/> on (rad/s, over
        /// their stamps). A jump to a point moves 0.1-0.3 rad within a 2 ms tick (50-150 rad/s); the trajectories here
        /// move at most about 0.5 rad/s, up to about 1.2 rad/s between two states as the stamps jitter. Measured over the stamps, a tick that a loaded machine runs late, or a state the
        /// reader missed, is not mistaken for a jump.
        /// </summary>
        public double MaxRate(long fromNs)
        {
            double max = 0;
            for (int k = 1; k < States.Count; k++)
                if (States[k - 1].StampNs >= fromNs)
                    max = Math.Max(max, Math.Abs(States[k].Ref - States[k - 1].Ref) / Seconds(States[k - 1], States[k]));
            return max;
        }

        /// <summary>Time between two states by their stamps, at least one tick (stamps of one tick may coincide).</summary>
        public static double Seconds(State a, State b) => Math.Max((b.StampNs - a.StampNs) * 1e-9, 0.002);

        public void Dispose()
        {
            _cts.Cancel();
            _thread.Join();
            _dds.Dispose();
            Node.Dispose();
            World.Dispose();
        }
    }

    [Fact]
    public void A_three_point_trajectory_is_followed_through_its_middle_point_at_its_time()
    {
        using var rig = new Rig();
        rig.Watch(0.1);
        long sent = rig.Send([0.3, 0.6, 0.9], [0.1, 0.2, 0.3]);
        rig.Watch(1.6);
        string diag = $"{rig.Node.Counters}; {rig.Node.LastTrajectoryRejection}";
        double start = rig.Start[0];
        Assert.Equal(1, rig.Node.Counters.TrajectoriesApplied);
        // no velocities: linear between points, 1/3 rad/s throughout; the setpoint never jumps
        Assert.True(rig.MaxRate(sent - 50_000_000) < 5, $"the reference moved at up to {rig.MaxRate(sent - 50_000_000)} rad/s; {diag}");
        var mid = rig.At(sent + 600_000_000);
        Assert.True(Math.Abs(mid.Ref - (start + 0.2)) < 0.015, $"reference {mid.Ref - start} at 0.6 s; {diag}");
        Assert.True(Math.Abs(mid.RefVel - 1 / 3.0) < 1e-6, $"reference velocity {mid.RefVel}; {diag}");
        Assert.True(Math.Abs(mid.Fb - (start + 0.2)) < 0.05, $"measured {mid.Fb - start} at 0.6 s; {diag}");
        var early = rig.At(sent + 150_000_000);
        Assert.True(early.Ref - start > 0.02 && early.Ref - start < 0.08, $"reference {early.Ref - start} at 0.15 s: on the way to the first point");
        var end = rig.States[^1];
        Assert.Equal(start + 0.3, end.Ref, 12); // holds the last point exactly
        Assert.Equal(0, end.RefVel);
        Assert.True(Math.Abs(end.Fb - (start + 0.3)) < 0.02, $"measured {end.Fb - start} at the end; {diag}");
    }

    [Fact]
    public void Velocities_give_a_smooth_cubic_and_a_new_trajectory_mid_way_replaces_the_old_without_a_jump()
    {
        using var rig = new Rig();
        rig.Watch(0.1);
        double start = rig.Start[0];
        long sent = rig.Send([0.4, 0.8], [0.1, 0.3], velocities: [0.4, 0]);
        rig.Watch(0.5);
        long replaced = rig.Send([0.25, 0.5], [0.1, -0.1], velocities: [-0.4, 0]);
        rig.Watch(1.0);
        string diag = $"{rig.Node.Counters}; {rig.Node.LastTrajectoryRejection}";
        Assert.Equal(2, rig.Node.Counters.TrajectoriesApplied);
        // the cubic starts from rest at the held position: the first setpoints barely move
        var first = rig.States.First(s => s.StampNs > sent && s.Ref != start);
        // (a linear start would be at 0.25 rad/s at once)
        Assert.True(Math.Abs(first.Ref - start) < 0.005 && Math.Abs(first.RefVel) < 0.1, $"first step {first.Ref - start} at {first.RefVel} rad/s; {diag}");
        var atFirstPoint = rig.At(sent + 400_000_000);
        Assert.True(Math.Abs(atFirstPoint.Ref - (start + 0.1)) < 0.01 && Math.Abs(atFirstPoint.RefVel - 0.4) < 0.1,
            $"at 0.4 s: {atFirstPoint.Ref - start} rad, {atFirstPoint.RefVel} rad/s; {diag}");
        // the replacement starts where the setpoint was, moving as it was: no jump in position, none in velocity
        Assert.True(rig.MaxRate(sent - 50_000_000) < 5, $"the reference moved at up to {rig.MaxRate(sent - 50_000_000)} rad/s; {diag}");
        double maxAcc = 0;
        for (int k = 1; k < rig.States.Count; k++)
            if (rig.States[k - 1].StampNs > replaced - 20_000_000 && rig.States[k].StampNs < replaced + 100_000_000)
                maxAcc = Math.Max(maxAcc, Math.Abs(rig.States[k].RefVel - rig.States[k - 1].RefVel) / Rig.Seconds(rig.States[k - 1], rig.States[k]));
        // restarting from rest would drop about 0.45 rad/s in one tick (over 200 rad/s^2); the cubics accelerate at most
        // about 13 rad/s^2
        Assert.True(maxAcc < 40, $"the reference velocity changed at up to {maxAcc} rad/s^2 around the replacement; {diag}");
        var end = rig.States[^1];
        Assert.Equal(start - 0.1, end.Ref, 12);
        Assert.True(Math.Abs(end.Fb - (start - 0.1)) < 0.02, $"measured {end.Fb - start} at the end; {diag}");
    }

    [Fact]
    public void A_single_point_applies_at_once_and_bad_trajectories_are_refused_while_the_arm_holds()
    {
        using var rig = new Rig();
        rig.Watch(0.1);
        double start = rig.Start[0];
        long sent = rig.Send([0.012], [0.2]); // as CortexBot's link sends them: 3 periods ahead
        rig.Watch(0.3);
        var moved = rig.States.First(s => s.StampNs > sent && s.Ref != start);
        Assert.Equal(start + 0.2, moved.Ref, 12); // the whole step in one tick
        Assert.Equal(1, rig.Node.Counters.TrajectoriesApplied);

        int before = rig.States.Count;
        // one at a time: the node's reader keeps the last sample only (SystemDefaults QoS, as ros2_controllers)
        Action[] bad =
        [
            () => rig.Send([0.2, 0.1], [0.3, 0.4]),                                  // time goes backwards
            () => rig.Send([.. Enumerable.Range(1, 257).Select(k => k * 0.01)], [.. Enumerable.Range(1, 257).Select(k => 0.001 * k)]),
            () => rig.Send([0.2, 0.4], [0.3, 0.4], nanAt: 1),                        // NaN in the second point
            () => rig.Send([0.2], [0.3], names: [.. Arm[..5], "no_such_joint"]),     // a joint the arm does not have
        ];
        for (int k = 0; k < bad.Length; k++)
        {
            bad[k]();
            TestBus.WaitUntil(() => rig.Node.Counters.CommandsRejected >= k + 1, $"bad trajectory {k} to be refused");
        }
        rig.Watch(0.4);
        Assert.Equal(new TrajectoryRejections(UnknownOrMissingJoints: 1, NonFinite: 1, BadTiming: 1, TooManyPoints: 1, Malformed: 0),
            rig.Node.TrajectoryRejections);
        Assert.Equal(4, rig.Node.Counters.CommandsRejected);
        Assert.Equal(1, rig.Node.Counters.TrajectoriesApplied);
        Assert.Contains("every arm joint", rig.Node.LastTrajectoryRejection, StringComparison.Ordinal);
        Assert.All(rig.States.Skip(before), s => Assert.Equal(start + 0.2, s.Ref, 12)); // the arm holds its target
    }

    [Fact]
    public void A_refused_trajectory_is_logged_once_per_reason_and_a_new_reason_is_logged_again()
    {
        var lines = new List<string>();
        using var rig = new Rig(line => { lock (lines) lines.Add(line); });
        string[] Logged() { lock (lines) return [.. lines]; }
        rig.Watch(0.1);
        rig.Send([0.2, 0.1], [0.3, 0.4]); // time goes backwards
        TestBus.WaitUntil(() => Logged().Length >= 1, "the first refusal to be logged");
        rig.Send([0.3, 0.1], [0.3, 0.4]); // the same reason again
        TestBus.WaitUntil(() => rig.Node.Counters.CommandsRejected >= 2, "the second refusal to be counted");
        rig.Watch(0.3); // longer than the log thread's 50 ms poll
        var once = Logged();
        Assert.Single(once);
        Assert.Contains("refused a trajectory", once[0], StringComparison.Ordinal);
        Assert.Contains("strictly increasing", once[0], StringComparison.Ordinal);

        rig.Send([0.2], [0.3], names: [.. Arm[..5], "no_such_joint"]); // a new reason
        TestBus.WaitUntil(() => Logged().Length >= 2, "the new reason to be logged");
        rig.Send([0.2], [0.3], names: [.. Arm[..5], "another_joint"]);
        TestBus.WaitUntil(() => rig.Node.Counters.CommandsRejected >= 4, "the fourth refusal to be counted");
        rig.Watch(0.3);
        var all = Logged();
        Assert.Equal(2, all.Length);
        Assert.Contains("every arm joint", all[1], StringComparison.Ordinal);
        Assert.Equal(new TrajectoryRejections(UnknownOrMissingJoints: 2, NonFinite: 0, BadTiming: 2, TooManyPoints: 0, Malformed: 0),
            rig.Node.TrajectoryRejections);
    }
}
