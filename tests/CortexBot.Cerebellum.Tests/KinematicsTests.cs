using CortexBot.Testing;
using CortexBot.Cerebellum.Kinematics;
using CortexBot.Core;
using CortexBot.Core.Geometry;
using CortexBot.Core.Robot;

namespace CortexBot.Cerebellum.Tests;

public class KinematicsTests
{
    private readonly ArmKinematics _kin = new(TestArm.Model);

    [Fact]
    public void Arm_model_is_read_from_the_scene()
    {
        var arm = TestArm.Model;
        Assert.Equal(["shoulder_pan", "shoulder_lift", "elbow", "wrist_roll1", "wrist_pitch", "wrist_roll2"], arm.JointNames);
        Assert.Equal(new Vec3(0, 0, 0.12), arm.ToolOffset);
        Assert.Equal([2.0, 2, 2, 3, 3, 3], arm.Joints.Select(j => j.MaxVelocity));
        Assert.Equal(0.08, arm.GripperMaxOpening, 6);
        Assert.Equal(6, arm.Home.Count);
    }

    [Fact]
    public void Zero_posture_points_straight_up()
    {
        var p = _kin.Forward(new double[6]).Position;
        Assert.Equal(0, p.X, 9);
        Assert.Equal(0, p.Y, 9);
        Assert.Equal(0.99, p.Z, 9);
    }

    [Fact]
    public void Home_posture_points_down_over_the_table()
    {
        var pose = _kin.Forward(TestArm.Model.Home.ToArray());
        Assert.InRange(pose.Position.X, 0.35, 0.43);
        Assert.InRange(pose.Position.Z, 0.18, 0.26);
        var toolZ = pose.Orientation.Rotate(Vec3.UnitZ);
        Assert.True(toolZ.Z < -0.99, $"tool z {toolZ}");
    }

    [Fact]
    public void Jacobian_matches_finite_differences()
    {
        var q = new[] { 0.3, 0.4, 1.2, -0.5, 0.9, 0.2 };
        var jac = new double[6, 6];
        var p0 = _kin.Jacobian(q, jac).Position;
        for (int i = 0; i < 6; i++)
        {
            var qd = (double[])q.Clone();
            qd[i] += 1e-6;
            var d = (_kin.Forward(qd).Position - p0) * 1e6;
            Assert.Equal(jac[0, i], d.X, 4);
            Assert.Equal(jac[1, i], d.Y, 4);
            Assert.Equal(jac[2, i], d.Z, 4);
        }
    }

    [Fact]
    public void Inverse_reaches_top_down_poses_over_the_workspace()
    {
        var rng = new Random(3);
        var home = TestArm.Model.Home.ToArray();
        for (int k = 0; k < 60; k++)
        {
            double r = 0.28 + rng.NextDouble() * 0.27, a = (rng.NextDouble() - 0.5) * 2.4;
            var target = new Pose(new Vec3(r * Math.Cos(a), r * Math.Sin(a), 0.02 + rng.NextDouble() * 0.25),
                ArmKinematics.TopDown(rng.NextDouble() * 2 - 1));
            var q = _kin.Inverse(target, home);
            Assert.True(q is not null, $"no IK for {target.Position} yaw {target.Orientation.Yaw:F2} (k={k})");
            var got = _kin.Forward(q);
            Assert.True((got.Position - target.Position).Norm < 1e-3, $"target {target.Position} got {got.Position}");
            Assert.True(ArmKinematics.OrientationError(target.Orientation, got.Orientation).Norm < 1e-2);
            for (int i = 0; i < 6; i++) Assert.InRange(q[i], TestArm.Model.Joints[i].Lower, TestArm.Model.Joints[i].Upper);
        }
    }

    [Fact]
    public void Inverse_refuses_poses_out_of_reach()
    {
        var far = new Pose(new Vec3(1.5, 0, 0.1), ArmKinematics.TopDown(0));
        Assert.Null(_kin.Inverse(far, TestArm.Model.Home.ToArray()));
    }

    [Fact]
    public void Missing_or_malformed_scene_gives_a_configuration_error()
    {
        var e = Assert.Throws<ConfigurationException>(() => ArmModel.FromMjcf("/nonexistent/scene.xml"));
        Assert.Contains("not found", e.Message);
        var bad = Path.GetTempFileName();
        File.WriteAllText(bad, "<mujoco><worldbody><body");
        e = Assert.Throws<ConfigurationException>(() => ArmModel.FromMjcf(bad));
        Assert.Contains("not valid MJCF", e.Message);
        File.Delete(bad);
    }
}
