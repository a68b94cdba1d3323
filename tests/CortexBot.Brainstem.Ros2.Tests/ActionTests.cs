using System.Diagnostics;
using System.Globalization;
using CortexBot.Core;
using CortexBot.Core.Ports;
using CortexBot.Sim.MuJoCo;
using CortexBot.Sim.Ros2;
using CortexBot.Sim.Ros2.Tests;
using Xunit.Abstractions;

namespace CortexBot.Brainstem.Ros2.Tests;

/// <summary>
/// joint_trajectory_controller's FollowJointTrajectory action from the link's side: its action client against the
/// simulator node's server (the server itself, driven by the plain C peer, is tested in CortexBot.Sim.Ros2.Tests).
/// </summary>
public sealed class ActionTests(ITestOutputHelper output)
{
    [Fact]
    public void The_link_drives_the_arm_through_goals_and_the_node_takes_nothing_on_the_topic()
    {
        using var node = new SimNodeThread();
        using var link = new Ros2RobotLink(MuJoCoWorld.ArmJoints, node.Options with { TrajectoryInterface = Ros2TrajectoryInterface.Action });
        link.Start(0.004);
        var s = new RobotStateBuffer(6);
        Assert.True(link.Read(s));
        var cmd = new JointCommandBuffer(6);
        for (int i = 0; i < 6; i++) cmd.Position[i] = s.Position[i];
        cmd.GripperOpening = s.GripperOpening;
        double start = s.Position[0];
        for (int k = 1; k <= 250; k++)
        {
            cmd.Position[0] = start + 0.2 * k / 250.0;
            link.Read(s);
            link.Write(cmd);
            Thread.Sleep(4);
        }
        TestBus.WaitUntil(() => link.Read(s) && Math.Abs(s.Position[0] - (start + 0.2)) < 0.02, "the arm to follow the goals");
        // every goal is answered (on a loaded machine a tick late by more than the request queue could drop some,
        // as it would at a real controller: the link counts what it sent and what came back)
        TestBus.WaitUntil(() => link.Counters.GoalsAccepted == node.Sim.ActionCounters.GoalsAccepted
            && link.Counters.GoalsAccepted >= 0.95 * link.Counters.GoalsSent, "the goals to be answered", 5);
        var lc = link.Counters;
        Assert.True(lc.GoalsSent > 100, lc.ToString());
        Assert.Equal(0, lc.GoalsRejected);
        Assert.Null(link.LastGoalProblem);
        Assert.Equal(0, node.Sim.ActionCounters.GoalsRejected);
        // every goal but the last was preempted by the next; the last one finishes on its own
        TestBus.WaitUntil(() => node.Sim.ActionCounters.GoalsSucceeded >= 1, "the last goal to succeed", 5);
        Assert.Equal(0, node.Sim.Counters.TrajectoriesApplied);
        var rtt = link.GoalRoundTripsUs();
        Array.Sort(rtt);
        output.WriteLine($"send_goal round trip over {rtt.Length} goals: p50 {rtt[rtt.Length / 2]:0} us, p99 {rtt[(int)(rtt.Length * 0.99)]:0} us (node at 250 Hz: a request waits for the next tick)");
    }

    [Fact]
    public void Sending_a_goal_a_tick_allocates_nothing_on_the_control_thread()
    {
        using var node = new SimNodeThread();
        using var link = new Ros2RobotLink(MuJoCoWorld.ArmJoints, node.Options with
        {
            TrajectoryInterface = Ros2TrajectoryInterface.Action, StaleAfter = TimeSpan.FromSeconds(5),
        });
        link.Start(0.004);
        var s = new RobotStateBuffer(6);
        Assert.True(link.Read(s));
        var cmd = new JointCommandBuffer(6);
        for (int i = 0; i < 6; i++) cmd.Position[i] = s.Position[i];
        cmd.GripperOpening = s.GripperOpening;
        double start = s.Position[0];
        // a changed target a tick (a program that streams), and a whole motion (a segment) now and then
        var motion = ArmTrajectory.MinimumJerk(s.Position.ToArray(), s.Position.Select(q => q + 0.01).ToArray(), 0.5, 0.02, "test motion");
        void Tick(int i)
        {
            link.Read(s);
            cmd.Position[0] = start + (i % 2) * 1e-3;
            link.Write(cmd);
            if (i % 100 == 0) Assert.True(link.Execute(motion, out _));
            if (i % 100 == 50) link.Cancel();
        }
        for (int i = 0; i < 200; i++) Tick(i); // warm up (JIT)
        long sentBefore = link.Counters.GoalsSent;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 2000; i++) Tick(i);
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        // per 100 ticks: the motion's goal, and a goal a tick for the changed target but while the motion is in force
        // (50 ticks) and on the tick after its cancel (the controller holds where the arm is)
        Assert.Equal(2000 / 100 * 50, link.Counters.GoalsSent - sentBefore);
        Assert.Equal(22, link.Counters.TrajectoriesSent);
        Assert.Equal(22, link.Counters.TrajectoriesCancelled);
    }

    [Fact]
    public void A_goal_the_controller_refuses_is_counted_with_its_error_code_and_the_arm_holds()
    {
        using var node = new SimNodeThread();
        using var link = new Ros2RobotLink(MuJoCoWorld.ArmJoints, node.Options with { TrajectoryInterface = Ros2TrajectoryInterface.Action });
        link.Start(0.004);
        var s = new RobotStateBuffer(6);
        Assert.True(link.Read(s));
        var held = s.Position.ToArray();
        var cmd = new JointCommandBuffer(6);
        for (int i = 0; i < 6; i++) cmd.Position[i] = s.Position[i] + 0.3;
        cmd.Position[3] = double.NaN; // nothing upstream of the link would let this through; the controller must refuse it
        for (int k = 0; k < 20; k++)
        {
            link.Read(s);
            link.Write(cmd);
            Thread.Sleep(4);
        }
        TestBus.WaitUntil(() => link.Counters.GoalsRejected == 20 && link.LastGoalProblem?.Contains("INVALID_GOAL", StringComparison.Ordinal) == true,
            "the rejections and their result", 5);
        Assert.Contains("NaN", link.LastGoalProblem, StringComparison.Ordinal);
        Assert.Equal(0, link.Counters.GoalsAccepted);
        Assert.Equal(20, node.Sim.ActionCounters.GoalsRejected);
        Assert.Equal(20, node.Sim.TrajectoryRejections.NonFinite);
        Assert.True(link.Read(s));
        for (int i = 0; i < 6; i++) Assert.True(Math.Abs(s.Position[i] - held[i]) < 0.01, $"joint {i} held");
    }

    [Fact]
    public void Without_an_action_server_the_link_fails_at_start_naming_the_action()
    {
        int d = TestBus.NewDomain();
        var o = TestBus.Options(d) with { TrajectoryInterface = Ros2TrajectoryInterface.Action, StartTimeout = TimeSpan.FromSeconds(2) };
        using var robot = new FakeRobot(d, o);
        using var link = new Ros2RobotLink(Ros2Defaults.Arm, o);
        using var cts = new CancellationTokenSource();
        var publisher = new Thread(() =>
        {
            while (!cts.IsCancellationRequested)
            {
                robot.Publish([.. Ros2Defaults.Arm, "finger_left", "finger_right"], [0, 0, 0, 0, 0, 0, 0.01, 0.01]);
                Thread.Sleep(5);
            }
        }) { IsBackground = true };
        publisher.Start();
        try
        {
            var e = Assert.Throws<ConfigurationException>(() => link.Start(0.002));
            Assert.Contains("/joint_trajectory_controller/follow_joint_trajectory", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            cts.Cancel();
            publisher.Join();
        }
    }

    [Fact]
    public void The_action_needs_the_trajectory_command_interface()
    {
        var e = Assert.Throws<ConfigurationException>(() => new Ros2Options
        {
            CommandInterface = Ros2CommandInterface.Forward, TrajectoryInterface = Ros2TrajectoryInterface.Action,
        }.Validate());
        Assert.Contains("trajectory command interface", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Action_topic_names_follow_rmw_cyclonedds()
    {
        var t = new RosActionTopics("/arm_controller/follow_joint_trajectory");
        Assert.Equal("rq/arm_controller/follow_joint_trajectory/_action/send_goalRequest", t.SendGoalRequest);
        Assert.Equal("rr/arm_controller/follow_joint_trajectory/_action/send_goalReply", t.SendGoalReply);
        Assert.Equal("rq/arm_controller/follow_joint_trajectory/_action/cancel_goalRequest", t.CancelGoalRequest);
        Assert.Equal("rr/arm_controller/follow_joint_trajectory/_action/get_resultReply", t.GetResultReply);
        Assert.Equal("rt/arm_controller/follow_joint_trajectory/_action/feedback", t.Feedback);
        Assert.Equal("rt/arm_controller/follow_joint_trajectory/_action/status", t.Status);
        Assert.Equal("control_msgs::action::dds_::FollowJointTrajectory_SendGoal_Request_", DdsParticipant.TypeName(RosType.SendGoalRequest));
        Assert.Equal("control_msgs::action::dds_::FollowJointTrajectory_GetResult_Response_", DdsParticipant.TypeName(RosType.GetResultResponse));
        Assert.Equal("action_msgs::msg::dds_::GoalStatusArray_", DdsParticipant.TypeName(RosType.GoalStatusArray));
        Assert.Equal("action_msgs::srv::dds_::CancelGoal_Request_", DdsParticipant.TypeName(RosType.CancelGoalRequest));
        Assert.Equal("control_msgs::action::dds_::FollowJointTrajectory_FeedbackMessage_", DdsParticipant.TypeName(RosType.FeedbackMessage));
        Assert.Matches("^clientid=[0-9a-f]{1,2}(\\.[0-9a-f]{1,2}){15};$", RosActionTopics.PairingUserData(server: false));
    }
}
