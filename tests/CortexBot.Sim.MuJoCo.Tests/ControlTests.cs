using CortexBot.Core.Geometry;
using CortexBot.Core.Ports;
using Xunit.Abstractions;

namespace CortexBot.Sim.MuJoCo.Tests;

public sealed class ControlTests(ITestOutputHelper output)
{
    [Fact]
    public void Holding_home_for_two_seconds_keeps_the_joints_within_2_mrad_and_the_cubes_still()
    {
        using var world = TestWorld.Open(seed: 11);
        var before = world.Snapshot();
        var cmd = TestWorld.HomeCommand(world);
        var state = new RobotStateBuffer(6);
        double worst = 0;
        for (int t = 0; t < 1000; t++)
        {
            world.Write(cmd);
            world.Read(state);
            for (int i = 0; i < 6; i++) worst = Math.Max(worst, Math.Abs(state.Position[i] - world.HomePosition[i]));
        }
        output.WriteLine($"worst joint deviation over 2 s: {worst * 1e3:F4} mrad");
        Assert.True(worst < 2e-3, $"joint deviated {worst * 1e3:F3} mrad");
        Assert.Equal(2.0, world.SimTime, 9);
        Assert.Equal(0.08, state.GripperOpening, 4);

        var after = world.Snapshot();
        foreach (var name in world.ObjectNames)
        {
            var moved = (after.Find(name)!.Pose.Position - before.Find(name)!.Pose.Position).Norm;
            output.WriteLine($"{name} moved {moved * 1e3:F3} mm");
            Assert.True(moved < 1e-3, $"{name} moved {moved * 1e3:F2} mm");
        }
        Assert.Equal(0, world.WarningCount);
    }

    [Fact]
    public void A_step_of_0_2_rad_on_each_joint_is_tracked_without_overshoot()
    {
        using var world = TestWorld.Open(seed: 3);
        var state = new RobotStateBuffer(6);
        for (int j = 0; j < 6; j++)
        {
            world.ResetScene(3);
            var home = world.HomePosition;
            var cmd = TestWorld.Command(home.AsSpan(), 0.08);
            double target = home[j] + 0.2;
            cmd.Position[j] = target;
            double peak = 0, settled = double.NaN, worstOther = 0;
            for (int t = 1; t <= 750; t++)
            {
                world.Write(cmd);
                world.Read(state);
                double progress = (state.Position[j] - home[j]) / 0.2;
                peak = Math.Max(peak, progress);
                if (Math.Abs(progress - 1) > 0.02) settled = double.NaN;
                else if (double.IsNaN(settled)) settled = t * TestWorld.Period;
                for (int k = 0; k < 6; k++)
                    if (k != j) worstOther = Math.Max(worstOther, Math.Abs(state.Position[k] - home[k]));
            }
            double final = state.Position[j] - target;
            output.WriteLine($"{world.JointNames[j],-14} overshoot {(peak - 1) * 100,5:F2}%  settled (2%) after {settled:F3} s  final error {final * 1e3:F4} mrad  max disturbance of other joints {worstOther * 1e3:F2} mrad");
            Assert.True(peak < 1.10, $"{world.JointNames[j]} overshoot {(peak - 1) * 100:F1}%");
            Assert.True(settled <= 0.6, $"{world.JointNames[j]} settled after {settled:F3} s");
            Assert.True(Math.Abs(final) < 1e-3, $"{world.JointNames[j]} final error {final * 1e3:F3} mrad");
            Assert.True(Math.Abs(state.Velocity[j]) < 1e-2);
        }
    }

    [Fact]
    public void A_ramp_at_the_velocity_limit_is_followed_with_a_small_lag()
    {
        using var world = TestWorld.Open(seed: 3);
        var state = new RobotStateBuffer(6);
        var home = world.HomePosition;
        var cmd = TestWorld.Command(home.AsSpan(), 0.08);
        double v = world.VelocityLimits[0] * 0.5;
        double worst = 0;
        // accelerate smoothly (0.1 s), cruise, stop after 0.6 rad
        double q = home[0], speed = 0;
        for (int t = 0; t < 600; t++)
        {
            double remaining = 0.6 - (q - home[0]);
            speed = remaining <= 0 ? 0 : Math.Min(Math.Min(v, speed + v * TestWorld.Period / 0.1), Math.Sqrt(2 * v / 0.1 * remaining));
            q += speed * TestWorld.Period;
            cmd.Position[0] = q;
            world.Write(cmd);
            world.Read(state);
            worst = Math.Max(worst, Math.Abs(state.Position[0] - q));
        }
        output.WriteLine($"shoulder_pan ramp at {v:F2} rad/s: worst lag {worst * 1e3:F2} mrad, final error {(state.Position[0] - q) * 1e3:F3} mrad");
        Assert.True(worst < 0.02, $"lag {worst * 1e3:F1} mrad");
        Assert.True(Math.Abs(state.Position[0] - q) < 1e-3);
    }

    [Fact]
    public void Gripper_opens_and_closes_and_the_opening_is_reported()
    {
        using var world = TestWorld.Open(seed: 2);
        var state = new RobotStateBuffer(6);
        var cmd = TestWorld.HomeCommand(world);
        world.Read(state);
        Assert.Equal(0.08, state.GripperOpening, 6);

        cmd.GripperOpening = 0.03;
        TestWorld.Run(world, cmd, 0.4);
        world.Read(state);
        Assert.Equal(0.03, state.GripperOpening, 3);

        cmd.GripperOpening = 0;
        TestWorld.Run(world, cmd, 0.4);
        world.Read(state);
        Assert.InRange(state.GripperOpening, -1e-6, 1e-3);

        cmd.GripperOpening = 0.5; // beyond the range: clamped to fully open
        TestWorld.Run(world, cmd, 0.4);
        world.Read(state);
        Assert.Equal(0.08, state.GripperOpening, 3);
    }

    [Fact]
    public void A_cube_between_the_fingers_is_grasped_lifted_and_carried()
    {
        using var world = TestWorld.Open(seed: 4);
        world.SetArmState(TestWorld.GraspPosture, 0.08);
        var tcp = world.SitePosition(MuJoCoWorld.TcpSite);
        Assert.True(Math.Abs(tcp.Z - 0.02) < 2e-3, $"tcp at {tcp}");
        world.SetObjectPose("red_cube", new Pose(new Vec3(tcp.X, tcp.Y, 0.02), Quat.FromAxisAngle(Vec3.UnitZ, 0.2)));

        var cmd = TestWorld.Command(TestWorld.GraspPosture, 0.08);
        TestWorld.Run(world, cmd, 0.2);
        cmd.GripperOpening = 0;
        TestWorld.Run(world, cmd, 0.5);
        var state = new RobotStateBuffer(6);
        world.Read(state);
        output.WriteLine($"gripper closed on the cube at {state.GripperOpening * 1e3:F1} mm");
        Assert.InRange(state.GripperOpening, 0.035, 0.06); // stopped by the 4 cm cube (edge-on when turned)

        // lift back to home over 1 s, then swing the base by -1 rad
        var home = world.HomePosition;
        for (int t = 1; t <= 500; t++)
        {
            for (int i = 0; i < 6; i++) cmd.Position[i] = TestWorld.GraspPosture[i] + (home[i] - TestWorld.GraspPosture[i]) * t / 500.0;
            world.Write(cmd);
        }
        TestWorld.Run(world, cmd, 0.3);
        var lifted = world.Snapshot().Find("red_cube")!.Pose.Position;
        tcp = world.SitePosition(MuJoCoWorld.TcpSite);
        output.WriteLine($"lifted: tcp {tcp}, cube {lifted}");
        Assert.True((lifted - tcp).Norm < 0.01, $"cube {lifted} left the tcp {tcp}");

        for (int t = 1; t <= 500; t++)
        {
            cmd.Position[0] = -1.0 * t / 500.0;
            world.Write(cmd);
        }
        TestWorld.Run(world, cmd, 0.3);
        var carried = world.Snapshot().Find("red_cube")!.Pose.Position;
        tcp = world.SitePosition(MuJoCoWorld.TcpSite);
        output.WriteLine($"carried: tcp {tcp}, cube {carried}");
        Assert.True((carried - tcp).Norm < 0.01, $"cube {carried} left the tcp {tcp}");

        cmd.GripperOpening = 0.08;
        TestWorld.Run(world, cmd, 1.0);
        Assert.True(world.Snapshot().Find("red_cube")!.Pose.Position.Z < 0.05, "released cube falls");
    }

    [Fact]
    public void Non_finite_commands_are_ignored_and_the_last_target_held()
    {
        using var world = TestWorld.Open(seed: 6);
        var cmd = TestWorld.HomeCommand(world);
        cmd.Position[2] = double.NaN;
        cmd.GripperOpening = double.PositiveInfinity;
        TestWorld.Run(world, cmd, 0.2);
        var state = new RobotStateBuffer(6);
        world.Read(state);
        Assert.True(state.IsFinite());
        Assert.Equal(world.HomePosition[2], state.Position[2], 3);
        Assert.Equal(0.08, state.GripperOpening, 3);
        Assert.Equal(200, world.NonFiniteCommands); // 100 ticks, arm and gripper each
    }
}
