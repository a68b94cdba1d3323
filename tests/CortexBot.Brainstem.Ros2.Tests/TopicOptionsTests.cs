using System.Diagnostics;
using CortexBot.Core;
using CortexBot.Core.Ports;
using CortexBot.Sim.MuJoCo;
using CortexBot.Sim.Ros2;

namespace CortexBot.Brainstem.Ros2.Tests;

/// <summary>The joint state, gripper, emergency stop and status topics and the gripper joints are configurable (and the CLI exposes them).</summary>
public sealed class TopicOptionsTests
{
    [Theory]
    [InlineData("gripper=/cortexbot/status", "--gripper-topic and --status-topic are both '/cortexbot/status'")]
    [InlineData("states=/camera/image_raw", "--joint-states-topic and --image-topic are both '/camera/image_raw'")]
    [InlineData("estop=/joint_trajectory_controller/joint_trajectory", "the controller's command topic and --estop-topic are both '/joint_trajectory_controller/joint_trajectory'")]
    [InlineData("gripper=/hand cmd", "--gripper-topic: '/hand cmd' is not a valid")]
    [InlineData("joints=", "--gripper-joints must name at least one joint")]
    [InlineData("joints=a,,b", "--gripper-joints must name at least one joint")]
    [InlineData("joints=a,a", "--gripper-joints names a joint twice")]
    [InlineData("joints=left finger", "must not contain whitespace")]
    public void Bad_topic_and_gripper_options_are_clear_errors(string setting, string message)
    {
        var (key, value) = (setting.Split('=')[0], setting[(setting.IndexOf('=') + 1)..]);
        var o = new Ros2Options();
        o = key switch
        {
            "gripper" => o with { GripperTopic = value },
            "states" => o with { JointStatesTopic = value },
            "estop" => o with { EmergencyStopTopic = value },
            _ => o with { GripperJoints = value.Split(',') },
        };
        var e = Assert.Throws<ConfigurationException>(() => o.Validate());
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_gripper_joint_may_not_also_be_an_arm_joint()
    {
        var o = TestBus.Options(TestBus.NewDomain()) with { GripperJoints = ["finger_left", "elbow"] };
        var e = Assert.Throws<ConfigurationException>(() => new Ros2RobotLink(Ros2Defaults.Arm, o));
        Assert.Contains("'elbow' is also an arm joint", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Link_and_node_on_other_joint_state_and_gripper_topics_with_three_gripper_joints()
    {
        int d = TestBus.NewDomain();
        var o = TestBus.Options(d) with
        {
            JointStatesTopic = "/arm/joint_states", GripperTopic = "/hand/commands", GripperJoints = ["hand_a", "hand_b", "hand_c"],
            EmergencyStopTopic = "/safety/stop", StatusTopic = "/arm/cortexbot_status", StaleAfter = TimeSpan.FromMilliseconds(500),
        };
        using var world = MuJoCoWorld.OpenDefault();
        using var node = new Ros2SimNode(world, o, 250, seed: 1);
        using var cts = new CancellationTokenSource();
        var t = new Thread(() => node.Run(cts.Token)) { IsBackground = true };
        t.Start();
        try
        {
            using var link = new Ros2RobotLink(MuJoCoWorld.ArmJoints, o);
            link.Start(0.004);
            var s = new RobotStateBuffer(6);
            Assert.True(link.Read(s));
            double open = s.GripperOpening;
            var cmd = new JointCommandBuffer(6);
            for (int i = 0; i < 6; i++) cmd.Position[i] = s.Position[i];
            double target = open > 0.04 ? open - 0.02 : open + 0.02;
            cmd.GripperOpening = target;
            TestBus.WaitUntil(() =>
            {
                link.Read(s);
                link.Write(cmd);
                Thread.Sleep(4);
                return Math.Abs(s.GripperOpening - target) < 0.004;
            }, $"the gripper to move from {open} to {target} over /hand/commands", 10);
            Assert.True(node.Counters.GripperCommandsApplied > 0);
            Assert.Equal(0, node.Counters.CommandsRejected);

            // the emergency stop is read on its configured topic
            using var stop = new DdsParticipant(d, DdsParticipant.LoopbackConfig());
            int w = stop.Writer(RosType.Bool, "/safety/stop", RosQos.Default);
            TestBus.WaitUntil(() => DdsParticipant.Matched(w, true) > 0, "the link's emergency stop reader");
            unsafe
            {
                BoolMsg m = new() { Data = 1 };
                Native.Write(w, &m);
            }
            TestBus.WaitUntil(() => link.EmergencyStopped, "the emergency stop on /safety/stop", 5);
        }
        finally
        {
            cts.Cancel();
            t.Join();
        }
    }

    [Fact]
    public void The_cli_passes_the_topic_flags_and_refuses_clashing_ones()
    {
        var cli = Path.Combine(AppContext.BaseDirectory, "cortexbot.dll");
        (int Code, string Err) Run(string args)
        {
            var psi = new ProcessStartInfo("dotnet", $"\"{cli}\" {args}") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            psi.Environment.Remove("CYCLONEDDS_URI");
            using var p = Process.Start(psi)!;
            var err = p.StandardError.ReadToEndAsync();
            var outp = p.StandardOutput.ReadToEndAsync();
            Assert.True(p.WaitForExit(TimeSpan.FromMinutes(1)), "cortexbot exits");
            return (p.ExitCode, err.Result + outp.Result);
        }
        int d = TestBus.NewDomain();
        var node = Run($"sim serve --ros-domain {d} --ros-loopback --no-camera --duration 0.5 --joint-states-topic /arm/joint_states --gripper-topic /hand/commands --gripper-joints hand_a,hand_b");
        Assert.True(node.Code == 0, node.Err);
        Assert.Contains("publishing /arm/joint_states", node.Err, StringComparison.Ordinal);
        Assert.Contains("/hand/commands (joints hand_a,hand_b)", node.Err, StringComparison.Ordinal);
        // The old name stays an alias of `sim serve`, options and all.
        var alias = Run($"sim-node --ros-domain {d} --ros-loopback --no-camera --duration 0.2 --joint-states-topic /arm2/joint_states");
        Assert.True(alias.Code == 0, alias.Err);
        Assert.Contains("publishing /arm2/joint_states", alias.Err, StringComparison.Ordinal);

        var clash = Run("run --robot ros2 --ros-loopback --gripper-topic /cortexbot/status --task \"put the red cube in the bin\" --json");
        Assert.NotEqual(0, clash.Code);
        Assert.Contains("--gripper-topic and --status-topic are both '/cortexbot/status'", clash.Err, StringComparison.Ordinal);
        var joints = Run("run --robot ros2 --ros-loopback --gripper-joints finger_left,,finger_right --task \"put the red cube in the bin\" --json");
        Assert.NotEqual(0, joints.Code);
        Assert.Contains("--gripper-joints must name at least one joint", joints.Err, StringComparison.Ordinal);
    }
}
