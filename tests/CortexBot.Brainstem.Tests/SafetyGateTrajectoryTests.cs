using CortexBot.Cerebellum.Kinematics;
using CortexBot.Core;
using CortexBot.Core.Geometry;
using CortexBot.Core.Ports;
using CortexBot.Core.Robot;
using CortexBot.Testing;

namespace CortexBot.Brainstem.Tests;

/// <summary>
/// In front of a trajectory controller the gate cannot shape each tick, so it checks every trajectory whole before it is
/// sent, and refuses one that violates a limit or the envelope.
/// </summary>
public class SafetyGateTrajectoryTests
{
    private static readonly ArmModel Arm = TestArm.Model;
    private static readonly double[] Home = Arm.Home.ToArray();

    private static (SafetyGate Gate, FakeTrajectoryLink Link) Make(double maxToolSpeed = 1.0)
    {
        var link = new FakeTrajectoryLink(Arm);
        var gate = new SafetyGate(link, Arm, SafetyEnvelope.ForScene(RepoPaths.DefaultScene, maxToolSpeed));
        gate.Start(0.002);
        return (gate, link);
    }

    /// <summary>Joint positions that put the tool pointing down at <paramref name="p"/>.</summary>
    private static double[] At(Vec3 p) =>
        new ArmKinematics(Arm).Inverse(new Pose(p, ArmKinematics.TopDown(0)), Home) ?? throw new InvalidOperationException($"{p} unreachable");

    /// <summary>A minimum-jerk move from home as the skill compiler plans it (half the joints' speed limits).</summary>
    private static ArmTrajectory Move(double[] to, double? duration = null)
    {
        double d = 0.4;
        for (int i = 0; i < to.Length; i++) d = Math.Max(d, 1.875 * Math.Abs(to[i] - Home[i]) / (0.5 * Arm.Joints[i].MaxVelocity));
        return ArmTrajectory.MinimumJerk(Home, to, duration ?? d, 0.02, "test move");
    }

    [Fact]
    public void A_segment_that_stays_inside_passes_to_the_controller()
    {
        var (gate, link) = Make();
        var t = Move(At(new Vec3(0.4, 0.1, 0.12)));
        Assert.True(gate.Execute(t, out var why), why);
        Assert.Equal(1, link.ExecutedCount);
        Assert.Equal(1, gate.TrajectoriesPassed);
    }

    [Fact]
    public void A_segment_that_goes_below_the_table_is_refused_whole_and_nothing_is_sent()
    {
        var (gate, link) = Make();
        var t = Move(At(new Vec3(0.4, 0.1, -0.04)));
        Assert.False(gate.Execute(t, out var why));
        Assert.Contains("safety envelope", why, StringComparison.Ordinal);
        Assert.Equal(0, link.ExecutedCount);
        Assert.Equal(1, gate.TrajectoriesRefused);
        Assert.Equal(why, gate.LastTrajectoryRefusal);
    }

    [Fact]
    public void A_segment_that_leaves_the_workspace_box_is_refused()
    {
        var (gate, link) = Make();
        // the default box spans the table top (x -0.30..0.90, y -0.80..0.80): a reachable point past one of its edges
        var env = SafetyEnvelope.ForScene(RepoPaths.DefaultScene, 1.0);
        Vec3[] outside = [new(-0.35, 0.0, 0.3), new(-0.4, 0.1, 0.4), new(-0.33, -0.2, 0.2), new(0.1, 0.82, 0.2), new(0.1, -0.82, 0.2)];
        var target = outside.Where(p => !env.Contains(p))
            .Select(p => new ArmKinematics(Arm).Inverse(new Pose(p, ArmKinematics.TopDown(0)), Home)).FirstOrDefault(q => q is not null);
        Assert.True(target is not null, "the arm reaches none of the points outside the box");
        Assert.False(gate.Execute(Move(target!), out var why));
        Assert.Contains("safety envelope", why, StringComparison.Ordinal);
        Assert.Equal(0, link.ExecutedCount);
    }

    [Fact]
    public void A_segment_faster_than_a_joint_may_move_is_refused()
    {
        var (gate, link) = Make();
        var to = (double[])Home.Clone();
        to[0] += 0.6;
        // 1.875 x 0.6 rad / 0.2 s = 5.6 rad/s at its peak
        Assert.False(gate.Execute(Move(to, duration: 0.2), out var why));
        Assert.Contains("rad/s, above its limit", why, StringComparison.Ordinal);
        Assert.Equal(0, link.ExecutedCount);
    }

    [Fact]
    public void A_segment_whose_tool_outruns_the_envelope_speed_is_refused_and_passes_under_a_higher_limit()
    {
        var target = At(new Vec3(0.45, -0.2, 0.15));
        var slow = Make(maxToolSpeed: 0.05);
        Assert.False(slow.Gate.Execute(Move(target), out var why));
        Assert.Contains("m/s, above the envelope's 0.05 m/s", why, StringComparison.Ordinal);
        var fast = Make(maxToolSpeed: 1.0);
        Assert.True(fast.Gate.Execute(Move(target), out why), why);
    }

    [Fact]
    public void A_point_outside_a_joint_range_is_refused()
    {
        var (gate, link) = Make();
        var t = Move(At(new Vec3(0.4, 0.1, 0.12)));
        t.Position[(t.Count / 2) * 6 + 1] = Arm.Joints[1].Upper + 0.01;
        Assert.False(gate.Execute(t, out var why));
        Assert.Contains("leaves its range", why, StringComparison.Ordinal);
        Assert.Equal(0, link.ExecutedCount);
    }

    [Fact]
    public void An_emergency_stop_cancels_the_trajectory_in_force_once_and_refuses_new_ones()
    {
        var (gate, link) = Make();
        var cmd = new JointCommandBuffer(Arm.Dof);
        Home.CopyTo(cmd.Position, 0);
        cmd.GripperOpening = Arm.GripperMaxOpening;
        Assert.True(gate.Execute(Move(At(new Vec3(0.4, 0.1, 0.12))), out _));
        gate.Write(cmd);
        gate.EmergencyStop();
        gate.Write(cmd);
        gate.Write(cmd);
        Assert.Equal(1, link.Cancels);
        Assert.False(gate.Execute(Move(At(new Vec3(0.4, 0.1, 0.12))), out var why));
        Assert.Contains("emergency stop", why, StringComparison.Ordinal);
        Assert.Equal(1, link.ExecutedCount);
        gate.Release();
        gate.Write(cmd);
        Assert.True(gate.Execute(Move(At(new Vec3(0.4, 0.1, 0.12))), out why), why);
    }

    [Fact]
    public void A_link_that_streams_takes_no_trajectories()
    {
        var gate = new SafetyGate(new FakeArmLink(Arm), Arm);
        Assert.False(gate.TakesTrajectories);
        Assert.Throws<InvalidOperationException>(() => gate.Execute(Move(At(new Vec3(0.4, 0.1, 0.12))), out _));
    }
}
