using CortexBot.Core;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;

namespace CortexBot.Sim.MuJoCo.Tests;

public sealed class SceneLoadingTests : IDisposable
{
    private readonly string _tempDir = Directory.CreateTempSubdirectory("cortexbot-mujoco-").FullName;

    public void Dispose() => Directory.Delete(_tempDir, recursive: true);

    [Fact]
    public void Default_scene_loads_with_the_arm_the_gripper_the_cubes_and_the_bin()
    {
        using var world = MuJoCoWorld.OpenDefault();
        Assert.True(MuJoCoWorld.MuJoCoVersion >= 220);
        Assert.Equal(["shoulder_pan", "shoulder_lift", "elbow", "wrist_roll1", "wrist_pitch", "wrist_roll2"], world.JointNames);
        Assert.Equal([2.0, 2, 2, 3, 3, 3], world.VelocityLimits.ToArray());
        double[] limits = [2.9, 2.0, 2.6, 2.9, 2.2, 2.9];
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(-limits[i], world.JointRanges[i].Lower, 12);
            Assert.Equal(limits[i], world.JointRanges[i].Upper, 12);
        }
        Assert.Equal([0, 0.3, 1.6, 0, 1.2416, 0], world.HomePosition.ToArray());
        Assert.Equal(0, world.GripperRange.Lower, 12);
        Assert.Equal(0.08, world.GripperRange.Upper, 12);
        Assert.Equal(0.002, world.ModelTimestep, 12);
        Assert.Equal(["red_cube", "green_cube", "blue_cube"], world.ObjectNames.ToArray());

        var snapshot = world.Snapshot();
        Assert.Equal(4, snapshot.Objects.Length);
        foreach (var (name, color) in MuJoCoWorld.Cubes)
        {
            var cube = snapshot.Find(name)!;
            Assert.Equal(SceneKinds.Cube, cube.Kind);
            Assert.Equal(color, cube.Color);
            Assert.Equal(new Vec3(0.02, 0.02, 0.02), cube.HalfSize);
        }
        var bin = snapshot.Find("bin")!;
        Assert.Equal(SceneKinds.Bin, bin.Kind);
        Assert.True(bin.IsContainer);
        Assert.True((bin.Pose.Position - new Vec3(0.25, -0.40, 0.04)).Norm < 1e-9, $"bin at {bin.Pose.Position}");
        Assert.Equal(new Vec3(0.08, 0.08, 0.04), bin.HalfSize);
    }

    [Fact]
    public void Home_posture_puts_the_tcp_over_the_table_pointing_down()
    {
        using var world = MuJoCoWorld.OpenDefault();
        var tcp = world.SitePose(MuJoCoWorld.TcpSite);
        Assert.True((tcp.Position - new Vec3(0.3873, 0, 0.2174)).Norm < 2e-3, $"tcp at {tcp.Position}");
        Assert.True(tcp.Orientation.Rotate(Vec3.UnitZ).Z < -0.999, $"tool z {tcp.Orientation.Rotate(Vec3.UnitZ)}");

        world.SetArmState(new double[6], 0.08);
        Assert.True((world.SitePosition("tcp") - new Vec3(0, 0, 0.99)).Norm < 1e-9, "zero posture points straight up");
    }

    [Fact]
    public void Missing_scene_is_a_configuration_error_naming_the_file()
    {
        var path = Path.Combine(_tempDir, "nope.xml");
        var e = Assert.Throws<ConfigurationException>(() => new MuJoCoWorld(path));
        Assert.Contains("not found", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Malformed_xml_is_a_configuration_error_with_mujocos_text()
    {
        var path = Path.Combine(_tempDir, "bad.xml");
        File.WriteAllText(path, "<mujoco><worldbody><body name=\"a\"></worldbody></mujoco>");
        var e = Assert.Throws<ConfigurationException>(() => new MuJoCoWorld(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("XML", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Scene_without_the_arm_is_a_configuration_error_listing_what_is_missing()
    {
        var path = Path.Combine(_tempDir, "empty.xml");
        File.WriteAllText(path, "<mujoco><worldbody><geom type=\"plane\" size=\"1 1 0.1\"/></worldbody></mujoco>");
        var e = Assert.Throws<ConfigurationException>(() => new MuJoCoWorld(path));
        Assert.Contains("shoulder_pan", e.Message);
        Assert.Contains("home", e.Message);
    }

    [Theory]
    [InlineData(0.002, 1)]
    [InlineData(0.001, 1)]
    [InlineData(0.004, 2)]
    [InlineData(0.006, 3)]
    [InlineData(0.01, 5)]
    [InlineData(0.0333, 17)]
    public void Start_divides_the_control_period_into_whole_substeps(double period, int substeps)
    {
        using var world = MuJoCoWorld.OpenDefault();
        world.Start(period);
        Assert.Equal(substeps, world.Substeps);
        Assert.Equal(period, world.Substeps * world.Timestep, 15);
        Assert.Equal(period, world.ControlPeriod);

        world.ResetScene(1);
        var cmd = TestWorld.HomeCommand(world);
        for (int i = 0; i < 10; i++) world.Write(cmd);
        Assert.Equal(10 * period, world.SimTime, 12);
    }

    [Fact]
    public void Start_rejects_a_non_positive_period()
    {
        using var world = MuJoCoWorld.OpenDefault();
        Assert.Throws<ArgumentOutOfRangeException>(() => world.Start(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => world.Start(double.NaN));
    }

    [Fact]
    public void Dispose_is_idempotent_and_later_use_throws()
    {
        var world = TestWorld.Open();
        var state = new CortexBot.Core.Ports.RobotStateBuffer(6);
        var cmd = TestWorld.HomeCommand(world);
        world.Dispose();
        world.Dispose();
        Assert.Throws<ObjectDisposedException>(() => world.Read(state));
        Assert.Throws<ObjectDisposedException>(() => world.Write(cmd));
        Assert.Throws<ObjectDisposedException>(() => world.Snapshot());
        Assert.Throws<ObjectDisposedException>(() => world.ResetScene(1));
        Assert.Throws<ObjectDisposedException>(() => world.Start(0.002));
        Assert.Throws<ObjectDisposedException>(() => world.SimTime);
        Assert.Throws<ObjectDisposedException>(() => world.SitePosition("tcp"));
    }

    [Fact]
    public void Buffers_of_the_wrong_size_are_rejected()
    {
        using var world = TestWorld.Open();
        Assert.Throws<ArgumentException>(() => world.Read(new CortexBot.Core.Ports.RobotStateBuffer(7)));
        Assert.Throws<ArgumentException>(() => world.Write(new CortexBot.Core.Ports.JointCommandBuffer(5)));
    }
}
