using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using CortexBot.Sim.MuJoCo;
using CortexBot.Sim.Ros2.Tests;

namespace CortexBot.Brainstem.Ros2.Tests;

/// <summary>
/// Whole motions to joint_trajectory_controller (here the simulator node, which behaves as one): one message or one goal
/// per motion, the per-tick writes sending nothing more; results, tolerances, feedback and cancellation of the action.
/// </summary>
public sealed unsafe class TrajectoryInterfaceTests
{
    private const double Period = 0.004;

    /// <summary>Plays a motion the way the control loop does: hands it over on its first tick, then writes it sampled a tick at a time.</summary>
    private static void Play(Ros2RobotLink link, ArmTrajectory motion, double[] from, JointCommandBuffer cmd, double extraSeconds = 0.3,
        Func<int, bool>? stop = null)
    {
        var s = new RobotStateBuffer(6);
        Assert.True(link.Execute(motion, out var why), why);
        int ticks = (int)Math.Ceiling((motion.Duration + extraSeconds) / Period);
        double duration = motion.Duration;
        for (int k = 0; k <= ticks; k++)
        {
            double tau = Math.Min(1, k * Period / duration), sj = tau * tau * tau * (10 - 15 * tau + 6 * tau * tau);
            int last = (motion.Count - 1) * 6;
            for (int i = 0; i < 6; i++) cmd.Position[i] = tau >= 1 ? motion.Position[last + i] : from[i] + (motion.Position[last + i] - from[i]) * sj;
            link.Read(s);
            link.Write(cmd);
            if (stop?.Invoke(k) == true) return;
            Thread.Sleep(4);
        }
    }

    private static (double[] From, ArmTrajectory Motion, JointCommandBuffer Cmd) Prepare(Ros2RobotLink link, double delta = 0.3, double duration = 0.8)
    {
        var s = new RobotStateBuffer(6);
        Assert.True(link.Read(s));
        var from = s.Position.ToArray();
        var to = from.Select((q, i) => i is 0 or 1 ? q + delta : q).ToArray();
        var cmd = new JointCommandBuffer(6);
        from.CopyTo(cmd.Position, 0);
        cmd.GripperOpening = s.GripperOpening;
        // the control loop's first write: the hold where the arm is (the controller holds there already: nothing is sent)
        link.Write(cmd);
        return (from, ArmTrajectory.MinimumJerk(from, to, duration, 0.02, "test move"), cmd);
    }

    [Fact]
    public void With_the_action_a_motion_is_one_goal_that_succeeds_its_feedback_is_followed_and_the_ticks_send_nothing_more()
    {
        using var node = new SimNodeThread();
        using var link = new Ros2RobotLink(MuJoCoWorld.ArmJoints, node.Options with { TrajectoryInterface = Ros2TrajectoryInterface.Action });
        link.Start(Period);
        var (from, motion, cmd) = Prepare(link);
        Play(link, motion, from, cmd);
        TestBus.WaitUntil(() => node.Sim.ActionCounters.GoalsSucceeded == 1 && link.Counters.GoalsSucceeded == 1, "the goal to succeed", 5);
        var a = node.Sim.ActionCounters;
        Assert.Equal(1, a.GoalsReceived);
        Assert.Equal(1, a.GoalsAccepted);
        Assert.Equal(0, node.Sim.Counters.TrajectoriesApplied); // nothing on the topic
        var c = link.Counters;
        Assert.Equal(1, c.GoalsSent);
        Assert.Equal(1, c.TrajectoriesSent);
        Assert.Equal(0, c.HoldPointsSent);
        Assert.Equal(0, c.Faults);
        Assert.True(c.FeedbackReceived > 10, c.ToString()); // 50 Hz over 0.8 s
        var errors = link.FeedbackErrors();
        Assert.All(errors, e => Assert.True(e < 0.05, $"tracking error {e} rad"));
        var s = new RobotStateBuffer(6);
        Assert.True(link.Read(s));
        for (int i = 0; i < 6; i++) Assert.True(Math.Abs(s.Position[i] - motion.At(motion.Count - 1, i)) < 0.02, $"joint {i} reached the end");
    }

    [Fact]
    public void With_the_topic_a_motion_is_one_message_of_positions_velocities_and_accelerations()
    {
        using var node = new SimNodeThread();
        using var link = new Ros2RobotLink(MuJoCoWorld.ArmJoints, node.Options);
        link.Start(Period);
        var (from, motion, cmd) = Prepare(link);
        Play(link, motion, from, cmd);
        TestBus.WaitUntil(() => node.Sim.Counters.TrajectoriesApplied >= 1, "the trajectory", 5);
        Thread.Sleep(200);
        Assert.Equal(1, node.Sim.Counters.TrajectoriesApplied);
        Assert.Equal(0, node.Sim.Counters.CommandsRejected);
        Assert.Equal(0, node.Sim.ActionCounters.GoalsReceived);
        Assert.Equal(1, link.Counters.TrajectoriesSent);
        Assert.Equal(1, link.Counters.CommandsSent);
        var s = new RobotStateBuffer(6);
        Assert.True(link.Read(s));
        for (int i = 0; i < 6; i++) Assert.True(Math.Abs(s.Position[i] - motion.At(motion.Count - 1, i)) < 0.02, $"joint {i} reached the end");
    }

    [Fact]
    public void A_path_tolerance_the_arm_cannot_keep_aborts_the_goal_and_the_link_reports_the_fault()
    {
        using var node = new SimNodeThread();
        // 0.2 mrad: the servos lag a moving reference by more
        using var link = new Ros2RobotLink(MuJoCoWorld.ArmJoints, node.Options with
        {
            TrajectoryInterface = Ros2TrajectoryInterface.Action, PathTolerance = 0.0002,
        });
        link.Start(Period);
        var (from, motion, cmd) = Prepare(link);
        Play(link, motion, from, cmd, stop: _ => link.Counters.Faults > 0);
        TestBus.WaitUntil(() => link.Counters.Faults == 1, "the fault", 5);
        Assert.Equal(AnomalyKinds.PathTolerance, link.LastFault!.Kind);
        Assert.Contains("PATH_TOLERANCE_VIOLATED", link.LastFault.Detail, StringComparison.Ordinal);
        Assert.Equal(1, node.Sim.ActionCounters.GoalsAborted);
        Assert.Equal(1, link.Counters.GoalsAborted);
        // the controller holds where the arm was: it does not go on to the end
        var s = new RobotStateBuffer(6);
        Assert.True(link.Read(s));
        Assert.True(Math.Abs(s.Position[0] - motion.At(motion.Count - 1, 0)) > 0.1, $"joint 0 at {s.Position[0]}");
    }

    [Fact]
    public void A_goal_tolerance_not_met_in_time_aborts_with_its_own_kind()
    {
        using var node = new SimNodeThread();
        // 10 urad at the end, within 50 ms: the servos settle slower than that
        using var link = new Ros2RobotLink(MuJoCoWorld.ArmJoints, node.Options with
        {
            TrajectoryInterface = Ros2TrajectoryInterface.Action, GoalTolerance = 0.00001, GoalTimeTolerance = TimeSpan.FromMilliseconds(50),
        });
        link.Start(Period);
        var (from, motion, cmd) = Prepare(link);
        Play(link, motion, from, cmd, extraSeconds: 0.5);
        TestBus.WaitUntil(() => link.Counters.Faults == 1, "the fault", 5);
        Assert.Equal(AnomalyKinds.GoalTolerance, link.LastFault!.Kind);
        Assert.Contains("GOAL_TOLERANCE_VIOLATED", link.LastFault.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void An_emergency_stop_cancels_the_goal_in_force_and_refuses_new_motions()
    {
        using var node = new SimNodeThread();
        using var link = new Ros2RobotLink(MuJoCoWorld.ArmJoints, node.Options with { TrajectoryInterface = Ros2TrajectoryInterface.Action });
        link.Start(Period);
        using var stop = new DdsParticipant(node.Domain, DdsParticipant.LoopbackConfig());
        int w = stop.Writer(RosType.Bool, node.Options.EmergencyStopTopic, RosQos.Default);
        TestBus.WaitUntil(() => DdsParticipant.Matched(w, true) > 0, "the link's emergency stop reader");
        var (from, motion, cmd) = Prepare(link, delta: 0.5, duration: 3);
        bool sent = false;
        Play(link, motion, from, cmd, stop: k =>
        {
            if (k == 100 && !sent)
            {
                sent = true;
                BoolMsg m = new() { Data = 1 };
                Native.Write(w, &m);
            }
            return sent && link.Counters.TrajectoriesCancelled > 0;
        });
        TestBus.WaitUntil(() => node.Sim.ActionCounters.GoalsCanceled == 1 && link.Counters.GoalsCanceled == 1, "the goal to be cancelled", 5);
        Assert.Equal(1, link.Counters.TrajectoriesCancelled);
        Assert.Equal(0, link.Counters.Faults); // we cancelled it: no fault
        // the arm stops short of the end and stays
        var s = new RobotStateBuffer(6);
        Thread.Sleep(300);
        Assert.True(link.Read(s));
        double held = s.Position[0];
        Assert.True(Math.Abs(held - motion.At(motion.Count - 1, 0)) > 0.1, $"joint 0 at {held}");
        Thread.Sleep(300);
        Assert.True(link.Read(s));
        Assert.True(Math.Abs(s.Position[0] - held) < 0.005, $"joint 0 moved from {held} to {s.Position[0]}");
        Assert.False(link.Execute(motion, out var why));
        Assert.Contains("emergency stop", why, StringComparison.Ordinal);
        Assert.Equal(1, node.Sim.ActionCounters.GoalsAccepted);
    }
}
