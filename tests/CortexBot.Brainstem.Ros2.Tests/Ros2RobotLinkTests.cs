using CortexBot.Core;
using CortexBot.Core.Ports;

namespace CortexBot.Brainstem.Ros2.Tests;

/// <summary>The link against a fake robot driver on a loopback-only domain of its own.</summary>
public sealed unsafe class Ros2RobotLinkTests
{
    private static readonly string[] Arm = ["shoulder_pan", "shoulder_lift", "elbow", "wrist_roll1", "wrist_pitch", "wrist_roll2"];
    private static readonly string[] All = [.. Arm, "finger_left", "finger_right"];
    private const double Period = 0.002;

    private static double[] Values(params double[] v) => v;

    /// <summary>Keeps publishing a state at about 500 Hz until disposed (a live robot).</summary>
    private sealed class Publisher : IDisposable
    {
        private readonly CancellationTokenSource _cts = new();
        private readonly Thread _t;
        public volatile string[] Names;
        public volatile double[] Position;

        public Publisher(FakeRobot robot, string[] names, double[] position)
        {
            Names = names;
            Position = position;
            _t = new Thread(() =>
            {
                while (!_cts.IsCancellationRequested)
                {
                    robot.Publish(Names, Position);
                    Thread.Sleep(2);
                }
            }) { IsBackground = true };
            _t.Start();
        }

        public void Dispose() { _cts.Cancel(); _t.Join(); }
    }

    [Fact]
    public void Joints_are_mapped_by_name_not_by_position()
    {
        int d = TestBus.NewDomain();
        using var robot = new FakeRobot(d);
        using var link = new Ros2RobotLink(Arm, TestBus.Options(d) with { StaleAfter = TimeSpan.FromSeconds(2) });
        // published in reverse order, with an extra joint of another group
        string[] names = ["other_joint", "finger_right", "finger_left", "wrist_roll2", "wrist_pitch", "wrist_roll1", "elbow", "shoulder_lift", "shoulder_pan"];
        double[] pos = [9, 0.01, 0.02, 6, 5, 4, 3, 2, 1];
        using var pub = new Publisher(robot, names, pos);
        link.Start(Period);
        var s = new RobotStateBuffer(6);
        Assert.True(link.Read(s));
        Assert.Equal([1.0, 2, 3, 4, 5, 6], s.Position);
        Assert.Equal(0.03, s.GripperOpening, 12);
    }

    [Fact]
    public void States_keep_arriving_while_the_links_own_thread_is_busy()
    {
        int d = TestBus.NewDomain();
        using var robot = new FakeRobot(d);
        using var link = new Ros2RobotLink(Arm, TestBus.Options(d) with { StaleAfter = TimeSpan.FromSeconds(2) });
        using var busy = new ManualResetEventSlim(false);
        using var release = new ManualResetEventSlim(false);
        // the link's own thread asks for the loop's health for /diagnostics: a slow source keeps that thread busy
        link.LoopHealth = () => { busy.Set(); release.Wait(TimeSpan.FromSeconds(20)); return null; };
        try
        {
            Assert.True(busy.Wait(TimeSpan.FromSeconds(5)), "the link's thread never asked for the loop's health");
            TestBus.WaitUntil(() => DdsParticipant.Matched(robot.StateWriter, isWriter: true) > 0, "the link's joint state reader");
            var s = new RobotStateBuffer(6);
            // joint states are taken on DDS's thread as they are delivered, not by the link's (busy) thread
            for (int i = 1; i <= 20; i++)
            {
                robot.Publish(All, [i, 2, 3, 4, 5, 6, 0.01, 0.01]);
                TestBus.WaitUntil(() => link.Read(s) && s.Position[0] == i, $"state {i} while the link's thread is busy", seconds: 5);
            }
        }
        finally
        {
            release.Set();
        }
    }

    [Fact]
    public void Links_come_and_go_while_states_stream_in()
    {
        int d = TestBus.NewDomain();
        using var robot = new FakeRobot(d);
        using var cts = new CancellationTokenSource();
        long published = 0;
        // as fast as it can: listener calls are in flight whenever a link goes
        var t = new Thread(() =>
        {
            while (!cts.IsCancellationRequested) { robot.Publish(All, [1, 2, 3, 4, 5, 6, 0.01, 0.01]); published++; }
        }) { IsBackground = true };
        t.Start();
        try
        {
            for (int k = 0; k < 10; k++)
            {
                using var link = new Ros2RobotLink(Arm, TestBus.Options(d) with { StaleAfter = TimeSpan.FromSeconds(2) });
                TestBus.WaitUntil(() => link.Counters.JointStatesAccepted > 10, $"states for link {k}");
            }
        }
        finally
        {
            cts.Cancel();
            t.Join();
        }
        Assert.True(published > 100, $"{published} states published");
    }

    [Fact]
    public void States_without_velocities_get_speeds_differentiated_from_their_stamps()
    {
        int d = TestBus.NewDomain();
        using var robot = new FakeRobot(d);
        using var link = new Ros2RobotLink(Arm, TestBus.Options(d) with { StaleAfter = TimeSpan.FromSeconds(2) });
        using (new Publisher(robot, All, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.01, 0.01])) link.Start(Period);
        var s = new RobotStateBuffer(6);
        const long t0 = 1_000_000_000;
        // 20 ms apart by their stamps: shoulder_pan at 0.5 rad/s, elbow at -1 rad/s, the rest still
        FakeRobot.PublishRaw(robot.StateWriter, All, [0.10, 0.2, 0.30, 0.4, 0.5, 0.6, 0.01, 0.01], [], t0);
        TestBus.WaitUntil(() => link.Read(s) && s.Position[0] == 0.10 && s.Position[2] == 0.30, "the first state");
        FakeRobot.PublishRaw(robot.StateWriter, All, [0.11, 0.2, 0.28, 0.4, 0.5, 0.6, 0.01, 0.01], [], t0 + 20_000_000);
        TestBus.WaitUntil(() => link.Read(s) && s.Position[0] == 0.11, "the second state");
        Assert.Equal(0.5, s.Velocity[0], 9);
        Assert.Equal(-1.0, s.Velocity[2], 9);
        Assert.Equal(0.0, s.Velocity[1], 9);
        // velocities that are sent are taken as they are
        FakeRobot.PublishRaw(robot.StateWriter, All, [0.12, 0.2, 0.28, 0.4, 0.5, 0.6, 0.01, 0.01], [7, 0, 0, 0, 0, 0, 0, 0], t0 + 40_000_000);
        TestBus.WaitUntil(() => link.Read(s) && s.Position[0] == 0.12, "the third state");
        Assert.Equal(7.0, s.Velocity[0]);
    }

    [Fact]
    public void Missing_joint_names_are_a_clear_error_at_start()
    {
        int d = TestBus.NewDomain();
        using var robot = new FakeRobot(d);
        using var link = new Ros2RobotLink(Arm, TestBus.Options(d) with { StartTimeout = TimeSpan.FromSeconds(3) });
        string[] names = ["joint_1", "joint_2", "joint_3", "joint_4", "joint_5", "joint_6", "finger_left", "finger_right"];
        using var pub = new Publisher(robot, names, new double[8]);
        var e = Assert.Throws<ConfigurationException>(() => link.Start(Period));
        Assert.Contains("'shoulder_pan'", e.Message);
        Assert.Contains("joint_1", e.Message);
        Assert.True(link.Counters.RejectedMissingJoints > 0);
    }

    [Fact]
    public void No_robot_is_a_clear_error_at_start()
    {
        int d = TestBus.NewDomain();
        using var link = new Ros2RobotLink(Arm, TestBus.Options(d) with { StartTimeout = TimeSpan.FromMilliseconds(300) });
        var e = Assert.Throws<ConfigurationException>(() => link.Start(Period));
        Assert.Contains("no joint state on /joint_states", e.Message);
    }

    [Fact]
    public void Bad_samples_are_rejected_and_counted_and_the_arm_holds()
    {
        int d = TestBus.NewDomain();
        using var robot = new FakeRobot(d);
        using var link = new Ros2RobotLink(Arm, TestBus.Options(d) with { StaleAfter = TimeSpan.FromMilliseconds(200) });
        using (new Publisher(robot, All, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.01, 0.01])) link.Start(Period);
        var s = new RobotStateBuffer(6);

        // NaN, unknown names only, and lengths that disagree: none may reach the controller
        double[] nan = [double.NaN, 0, 0, 0, 0, 0, 0, 0];
        robot.Publish(All, nan);
        robot.Publish(["a", "b"], [1, 2]);
        FakeRobot.PublishRaw(robot.StateWriter, All, [1, 2, 3], new double[8]);
        TestBus.WaitUntil(() => link.Counters is { RejectedNonFinite: >= 1, RejectedMissingJoints: >= 1, RejectedMalformed: >= 1 }, "the rejections");
        // the accepted state is still the last good one; once it is stale, Read fails and nothing is sent
        TestBus.WaitUntil(() => !link.Read(s), "the watchdog");
        var cmd = new JointCommandBuffer(6);
        long sent = link.Counters.CommandsSent;
        link.Write(cmd);
        Assert.Equal(sent, link.Counters.CommandsSent);
        Assert.True(link.Counters.WritesHeld >= 1);
        Assert.True(link.Counters.StaleReads >= 1);

        // CortexBot's own status topic says what happened
        int status = robot.Dds.Reader(RosType.LinkStatus, "/cortexbot/status", RosQos.Default);
        LinkStatusMsg last = default;
        TestBus.WaitUntil(() =>
        {
            while (Native.Take(status, out void* p, out _) is int r && r > 0)
                if (r == 1) { last = *(LinkStatusMsg*)p; Native.ReturnLoan(status, p); }
            return last.RejectedNonFinite >= 1 && last.WritesHeld >= 1;
        }, "a status with the rejections", 5);
        Assert.Equal(0, last.StateFresh);
        Assert.True(last.RejectedMissingJoints >= 1 && last.RejectedMalformed >= 1 && last.StateAge > 0.2);
    }

    [Fact]
    public void A_publisher_that_stops_makes_reads_fail_and_one_that_comes_back_reconnects()
    {
        int d = TestBus.NewDomain();
        using var robot = new FakeRobot(d);
        using var link = new Ros2RobotLink(Arm, TestBus.Options(d) with { StaleAfter = TimeSpan.FromMilliseconds(100) });
        var s = new RobotStateBuffer(6);
        var pub = new Publisher(robot, All, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.01, 0.01]);
        link.Start(Period);
        Assert.True(link.Read(s));
        pub.Dispose();
        TestBus.WaitUntil(() => !link.Read(s), "the watchdog to trip");

        // the robot comes back (a new participant, as after a driver restart)
        using var robot2 = new FakeRobot(d);
        using var pub2 = new Publisher(robot2, All, [0.7, 0.2, 0.3, 0.4, 0.5, 0.6, 0.01, 0.01]);
        TestBus.WaitUntil(() => link.Read(s), "the link to resume");
        Assert.Equal(0.7, s.Position[0]);
        Assert.Equal(1, link.Counters.Reconnects);
    }

    [Fact]
    public void Hold_targets_are_single_point_trajectories_in_arm_order_and_emergency_stop_freezes_them()
    {
        int d = TestBus.NewDomain();
        var o = TestBus.Options(d) with { StaleAfter = TimeSpan.FromSeconds(2) };
        using var robot = new FakeRobot(d, o);
        using var link = new Ros2RobotLink(Arm, o);
        using var pub = new Publisher(robot, All, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.01, 0.01]);
        link.Start(Period);
        var s = new RobotStateBuffer(6);
        var cmd = new JointCommandBuffer(6);
        TestBus.WaitUntil(() => DdsParticipant.Matched(robot.TrajectoryReader, false) > 0, "the command subscription");
        Assert.True(link.Read(s));
        for (int i = 0; i < 6; i++) cmd.Position[i] = i * 0.1;
        cmd.GripperOpening = 0.04;
        link.Write(cmd);
        List<(string[] Names, double[] Positions, long TimeFromStartNs)> got = [];
        TestBus.WaitUntil(() => { got.AddRange(robot.TakeTrajectories()); return got.Count > 0; }, "a trajectory");
        Assert.Equal(Arm, got[0].Names);
        Assert.Equal([0, 0.1, 0.2, 0.30000000000000004, 0.4, 0.5], got[0].Positions);
        Assert.Equal(3 * 2_000_000L, got[0].TimeFromStartNs);

        robot.EmergencyStop(true);
        TestBus.WaitUntil(() => link.EmergencyStopped, "the emergency stop");
        cmd.Position[0] = 1.0;  // the controller asks for motion...
        Assert.True(link.Read(s));
        link.Write(cmd);
        got.Clear();
        TestBus.WaitUntil(() => { got.AddRange(robot.TakeTrajectories()); return got.Count > 0; }, "the held trajectory");
        Assert.Equal(1.0, got[^1].Positions[0]); // ...the command in force when the stop arrived is frozen (this one)
        cmd.Position[0] = 1.5;
        for (int k = 0; k < 20; k++) { link.Write(cmd); Thread.Sleep(2); }
        Thread.Sleep(200);
        got.Clear();
        got.AddRange(robot.TakeTrajectories());
        // it stays frozen: the controller holds the frozen target, and an unchanged target is not sent again
        Assert.All(got, t => Assert.Equal(1.0, t.Positions[0]));
        Assert.Equal(1, link.Counters.EmergencyStops);
        robot.EmergencyStop(false);
        TestBus.WaitUntil(() => !link.EmergencyStopped, "the release");
    }

    [Fact]
    public void Read_and_write_allocate_nothing()
    {
        int d = TestBus.NewDomain();
        using var robot = new FakeRobot(d);
        using var link = new Ros2RobotLink(Arm, TestBus.Options(d) with { StaleAfter = TimeSpan.FromSeconds(5) });
        using var pub = new Publisher(robot, All, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.01, 0.01]);
        link.Start(Period);
        var s = new RobotStateBuffer(6);
        var cmd = new JointCommandBuffer(6);
        for (int i = 0; i < 200; i++) { link.Read(s); link.Write(cmd); } // warm up (JIT)
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 2000; i++)
        {
            link.Read(s);
            cmd.GripperOpening = i * 1e-6;
            link.Write(cmd);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }
}
