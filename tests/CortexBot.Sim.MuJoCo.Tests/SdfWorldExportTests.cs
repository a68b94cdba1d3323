using System.Globalization;
using System.Xml.Linq;
using CortexBot.Core;
using CortexBot.Core.Geometry;

namespace CortexBot.Sim.MuJoCo.Tests;

/// <summary>
/// The Gazebo world in launch/cortexbot_bringup/worlds is sim/scene.xml's: regenerating it gives the checked-in file byte
/// for byte, and its objects sit where MuJoCo (compiling the same MJCF) puts them. libsdformat's verdict on the file is
/// in the ROS 2 tests (RobotDescriptionParserTests).
/// </summary>
public sealed class SdfWorldExportTests : IDisposable
{
    private static readonly string CheckedIn = Path.Combine(RepoPaths.Root, "launch", "cortexbot_bringup", "worlds", "cortexbot.sdf");
    private readonly string _tempDir = Directory.CreateTempSubdirectory("cortexbot-sdf-").FullName;

    public void Dispose() => Directory.Delete(_tempDir, recursive: true);

    private static double[] Doubles(string s) => [.. s.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(x => double.Parse(x, CultureInfo.InvariantCulture))];

    private static XElement World() => XDocument.Load(CheckedIn).Root!.Element("world")!;

    private static XElement Model(string name) => World().Elements("model").Single(m => (string)m.Attribute("name")! == name);

    [Fact]
    public void Checked_in_world_is_what_the_exporter_makes_of_scene_xml()
    {
        var fresh = SdfWorldExporter.Export(RepoPaths.DefaultScene);
        var stored = File.ReadAllText(CheckedIn).ReplaceLineEndings("\n");
        Assert.True(fresh == stored,
            "launch/cortexbot_bringup/worlds/cortexbot.sdf is out of date with sim/scene.xml: regenerate it with " +
            "`./cortexbot sim export-sdf --out launch/cortexbot_bringup/worlds/cortexbot.sdf`");
    }

    [Fact]
    public void Cubes_and_bin_are_where_mujoco_puts_them_with_the_scenes_sizes_colours_and_masses()
    {
        using var world = MuJoCoWorld.OpenDefault();
        var scene = world.Snapshot();
        var mjcf = XDocument.Load(RepoPaths.DefaultScene).Root!;
        var cubeClass = mjcf.Descendants("default").Single(d => (string?)d.Attribute("class") == "cube").Element("geom")!;
        foreach (var (name, _) in MuJoCoWorld.Cubes)
        {
            var model = Model(name);
            Assert.Null(model.Element("static"));
            var pose = Doubles(model.Element("pose")!.Value);
            var cube = scene.Find(name)!;
            Assert.True((new Vec3(pose[0], pose[1], pose[2]) - cube.Pose.Position).Norm < 1e-9, $"{name}: SDF {model.Element("pose")!.Value}, MuJoCo {cube.Pose.Position}");
            var link = model.Element("link")!;
            Assert.Equal(Doubles(link.Element("collision")!.Element("geometry")!.Element("box")!.Element("size")!.Value),
                new[] { 2 * cube.HalfSize.X, 2 * cube.HalfSize.Y, 2 * cube.HalfSize.Z });
            Assert.Equal(double.Parse((string)cubeClass.Attribute("mass")!, CultureInfo.InvariantCulture), double.Parse(link.Element("inertial")!.Element("mass")!.Value, CultureInfo.InvariantCulture));
            var rgba = (string)mjcf.Descendants("geom").Single(g => (string?)g.Attribute("name") == $"{name}_geom").Attribute("rgba")!;
            Assert.Equal(Doubles(rgba), Doubles(link.Element("visual")!.Element("material")!.Element("diffuse")!.Value));
            // its pose is published for the bridge
            Assert.Contains(model.Elements("plugin"), p => (string?)p.Attribute("filename") == "gz-sim-pose-publisher-system");
        }
        var bin = scene.Find("bin")!;
        var binPose = Doubles(Model("bin").Element("pose")!.Value);
        Assert.Equal(bin.Pose.Position.X, binPose[0], 9);
        Assert.Equal(bin.Pose.Position.Y, binPose[1], 9);
        Assert.Equal("true", Model("bin").Element("static")!.Value);
        // the arm is not in the world: Gazebo spawns it from the URDF
        Assert.DoesNotContain(World().Elements("model"), m => ((string)m.Attribute("name")!).StartsWith("link", StringComparison.Ordinal) || (string)m.Attribute("name")! == "base");
    }

    [Fact]
    public void Camera_looks_where_the_mujoco_camera_looks_with_its_field_of_view()
    {
        var cam = XDocument.Load(RepoPaths.DefaultScene).Root!.Element("worldbody")!.Elements("camera").Single();
        var xy = Doubles((string)cam.Attribute("xyaxes")!);
        var right = new Vec3(xy[0], xy[1], xy[2]).Normalized();
        var up = new Vec3(xy[3], xy[4], xy[5]).Normalized();
        var forward = -right.Cross(up);  // MuJoCo cameras look down -z

        var model = Model((string)cam.Attribute("name")!);
        var p = Doubles(model.Element("pose")!.Value);
        Assert.Equal(Doubles((string)cam.Attribute("pos")!), p[..3]);
        // SDF: R = Rz(yaw) Ry(pitch) Rx(roll); a Gazebo camera looks down +x with +z up
        var q = Quat.FromAxisAngle(Vec3.UnitZ, p[5]) * Quat.FromAxisAngle(Vec3.UnitY, p[4]) * Quat.FromAxisAngle(Vec3.UnitX, p[3]);
        Assert.True((q.Rotate(Vec3.UnitX) - forward).Norm < 1e-6, $"camera looks along {q.Rotate(Vec3.UnitX)}, MuJoCo's along {forward}");
        Assert.True((q.Rotate(Vec3.UnitZ) - up).Norm < 1e-6, $"camera up {q.Rotate(Vec3.UnitZ)}, MuJoCo's {up}");

        var camera = model.Element("link")!.Element("sensor")!.Element("camera")!;
        double hfov = double.Parse(camera.Element("horizontal_fov")!.Value, CultureInfo.InvariantCulture);
        double w = double.Parse(camera.Element("image")!.Element("width")!.Value, CultureInfo.InvariantCulture);
        double h = double.Parse(camera.Element("image")!.Element("height")!.Value, CultureInfo.InvariantCulture);
        var options = new MuJoCoCameraOptions();
        Assert.Equal((options.Width, options.Height), ((int)w, (int)h));
        double fovy = 2 * Math.Atan(Math.Tan(hfov / 2) * h / w) * 180 / Math.PI;
        Assert.Equal(double.Parse((string)cam.Attribute("fovy")!, CultureInfo.InvariantCulture), fovy, 6);
        double fx = double.Parse(camera.Element("lens")!.Element("intrinsics")!.Element("fx")!.Value, CultureInfo.InvariantCulture);
        Assert.Equal(w / 2 / Math.Tan(hfov / 2), fx, 5);
    }

    [Fact]
    public void Export_refuses_what_it_cannot_translate_naming_the_geom()
    {
        var path = Path.Combine(_tempDir, "capsule.xml");
        File.WriteAllText(path, "<mujoco model=\"m\"><worldbody><geom name=\"rod\" type=\"capsule\" size=\"0.1 0.2\"/></worldbody></mujoco>");
        var e = Assert.Throws<ConfigurationException>(() => SdfWorldExporter.Export(path));
        Assert.Contains("rod", e.Message);
        Assert.Contains("capsule", e.Message);
        File.WriteAllText(path, "<mujoco><worldbody/></mujoco>");
        Assert.Contains("model name", Assert.Throws<ConfigurationException>(() => SdfWorldExporter.Export(path)).Message);
    }
}
