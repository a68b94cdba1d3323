using System.Diagnostics;
using System.Globalization;
using System.Xml.Linq;
using CortexBot.Core;
using CortexBot.Core.Robot;
using CortexBot.Sim.MuJoCo;

namespace CortexBot.Brainstem.Ros2.Tests;

/// <summary>
/// The launch package's robot and world descriptions through the parsers ROS 2 and Gazebo use, from Debian (test-only
/// dependencies libsdformat-dev and liburdfdom-dev): small C++ checkers (native/sdf_check.cpp, native/urdf_check.cpp)
/// compiled here with g++ print what the parser understood. The URDF is the xacro expanded by launch/expand_xacro.py
/// (xacro itself is a ROS package) with the arguments the launch files pass.
/// </summary>
public sealed class RobotDescriptionParserTests : IDisposable
{
    private static readonly string Package = Path.Combine(RepoPaths.Root, "launch", "cortexbot_bringup");
    private static readonly string World = Path.Combine(Package, "worlds", "cortexbot.sdf");
    private static readonly string Native = Path.Combine(RepoPaths.Root, "tests", "CortexBot.Brainstem.Ros2.Tests", "native");
    private static readonly Lazy<string> SdfCheck = new(() => Compile("sdf_check", "sdformat12"));
    private static readonly Lazy<string> UrdfCheck = new(() => Compile("urdf_check", "urdfdom"));
    private readonly string _tempDir = Directory.CreateTempSubdirectory("cortexbot-descriptions-").FullName;

    public void Dispose() => Directory.Delete(_tempDir, recursive: true);

    private static (int Code, string Out, string Err) Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output, err.Result);
    }

    /// <summary>Builds a checker once per test run (into a private folder), failing with what to install when a parser is missing.</summary>
    private static string Compile(string name, string pkgConfig)
    {
        var flags = Run("pkg-config", "--cflags", "--libs", pkgConfig);
        Assert.True(flags.Code == 0, $"pkg-config {pkgConfig} failed ({flags.Err.Trim()}): install the test dependencies libsdformat-dev and liburdfdom-dev (.ci/install-deps.sh)");
        var dir = Directory.CreateTempSubdirectory("cortexbot-parsers-").FullName;
        var exe = Path.Combine(dir, name);
        var build = Run("bash", "-c", $"g++ -O1 -o '{exe}' '{Path.Combine(Native, name + ".cpp")}' {flags.Out.Trim()}");
        Assert.True(build.Code == 0, $"g++ {name}.cpp failed: {build.Err}");
        return exe;
    }

    private static List<string[]> Records(string output, string kind) =>
        [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('\t')).Where(f => f[0] == kind)];

    private static double D(string s) => double.Parse(s, CultureInfo.InvariantCulture);

    private static double[] Ds(string s) => [.. s.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(D)];

    [Fact]
    public void Sdf_world_loads_in_libsdformat_without_errors_with_the_scene_the_gazebo_systems_and_the_camera()
    {
        var (code, output, err) = Run(SdfCheck.Value, World);
        Assert.True(Records(output, "error").Count == 0 && code == 0, $"libsdformat reports errors in {World}:\n{output}{err}");
        var world = Assert.Single(Records(output, "world"));
        Assert.Equal("cortexbot_tabletop", world[1]);
        Assert.Equal([0, 0, -9.81], Ds(world[2]));
        Assert.Equal(0.002, D(world[3]));

        var models = Records(output, "model").ToDictionary(m => m[1]);
        Assert.Equal(["floor", "table", "bin", "red_cube", "green_cube", "blue_cube", "cam"], models.Keys);
        foreach (var (cube, _) in MuJoCoWorld.Cubes)
        {
            Assert.Equal("dynamic", models[cube][2]);
            Assert.Equal(0.05, D(Records(output, "link").Single(l => l[1] == cube)[3]), 12);
            Assert.Equal([0.04, 0.04, 0.04], Ds(Records(output, "collision").Single(c => c[1] == cube)[4]));
            Assert.Contains(Records(output, "plugin"), p => p[1] == cube && p[2] == "gz-sim-pose-publisher-system" && p[3] == "gz::sim::systems::PosePublisher");
        }
        foreach (var fixture in new[] { "floor", "table", "bin", "cam" }) Assert.Equal("static", models[fixture][2]);

        // the systems gz sim needs for this world: physics, `ros_gz_sim create`, /world/<name>/control and pose topics, the camera
        var systems = Records(output, "plugin").Where(p => p[1] == world[1]).Select(p => (p[2], p[3])).ToList();
        Assert.Equal([("gz-sim-physics-system", "gz::sim::systems::Physics"), ("gz-sim-user-commands-system", "gz::sim::systems::UserCommands"),
            ("gz-sim-scene-broadcaster-system", "gz::sim::systems::SceneBroadcaster"), ("gz-sim-sensors-system", "gz::sim::systems::Sensors")], systems);

        // the camera publishes where CortexBot reads images, at sim serve's rate and size
        var sensor = Assert.Single(Records(output, "sensor"));
        var ros = new Ros2Options();
        var camera = new MuJoCoCameraOptions();
        Assert.Equal(("cam", "camera", ros.ImageTopic), (sensor[1], sensor[3], sensor[4]));
        Assert.Equal(ros.ImageRateHz, D(sensor[5]));
        Assert.Equal((camera.Width, camera.Height), (int.Parse(sensor[7], CultureInfo.InvariantCulture), int.Parse(sensor[8], CultureInfo.InvariantCulture)));
        Assert.Equal(camera.Width / 2.0, D(sensor[11]));
        Assert.Equal(D(sensor[9]), D(sensor[10]));  // square pixels
        Assert.Equal(2, Records(output, "light").Count);
    }

    [Theory]
    [InlineData("sort.xml")]
    [InlineData("mixed.xml")]
    public void The_other_scenes_export_to_worlds_libsdformat_loads_with_their_objects_and_bins(string file)
    {
        var scene = Path.Combine(RepoPaths.Sim, file);
        var path = Path.Combine(_tempDir, Path.ChangeExtension(file, ".sdf"));
        File.WriteAllText(path, SdfWorldExporter.Export(scene));
        var (code, output, err) = Run(SdfCheck.Value, path);
        Assert.True(Records(output, "error").Count == 0 && code == 0, $"libsdformat reports errors in the world of {file}:\n{output}{err}");
        var models = Records(output, "model").ToDictionary(m => m[1]);
        using var world = new MuJoCoWorld(scene);
        foreach (var o in world.Snapshot().Objects)
        {
            Assert.True(models.ContainsKey(o.Name), $"{file}: libsdformat sees no model {o.Name}");
            Assert.Equal(o.IsContainer ? "static" : "dynamic", models[o.Name][2]);
            if (!o.IsContainer)
                Assert.Equal([2 * o.HalfSize.X, 2 * o.HalfSize.Y, 2 * o.HalfSize.Z], Ds(Records(output, "collision").Single(c => c[1] == o.Name)[4]));
        }
    }

    [Fact]
    public void Sdf_checker_reports_the_errors_of_a_broken_world()
    {
        // two models of one name: libsdformat refuses it
        var broken = Path.Combine(_tempDir, "broken.sdf");
        File.WriteAllText(broken, File.ReadAllText(World).Replace("<model name=\"green_cube\">", "<model name=\"red_cube\">"));
        var (code, output, _) = Run(SdfCheck.Value, broken);
        Assert.NotEqual(0, code);
        Assert.Contains(Records(output, "error"), e => e[2].Contains("red_cube", StringComparison.Ordinal));
    }

    /// <summary>The URDF as `xacro` makes it from the launch package's file with these arguments.</summary>
    private string Expand(string name, params string[] args)
    {
        var harness = Path.Combine(RepoPaths.Root, "tests", "CortexBot.Brainstem.Ros2.Tests", "launch", "expand_xacro.py");
        var (code, output, err) = Run("python3", [harness, Path.Combine(Package, "urdf", "cortexbot_arm.urdf.xacro"), .. args,
            $"controllers_file:={Path.Combine(Package, "config", "controllers.yaml")}"]);
        Assert.True(code == 0, $"expanding the xacro ({string.Join(' ', args)}) failed: {err}");
        var path = Path.Combine(_tempDir, name + ".urdf");
        File.WriteAllText(path, output);
        return path;
    }

    public static TheoryData<string, string[], string> Hardware() => new()
    {
        // gazebo.launch.py, robot.launch.py with an arm's plugin, robot.launch.py use_mock_hardware:=true
        { "gazebo", ["hardware:=gazebo"], "gz_ros2_control/GazeboSimSystem" },
        { "arm", ["hardware:=my_arm_driver/MyArmHardware", "use_mock_hardware:=false"], "my_arm_driver/MyArmHardware" },
        { "mock", ["hardware:=", "use_mock_hardware:=true"], "mock_components/GenericSystem" },
    };

    [Theory]
    [MemberData(nameof(Hardware))]
    public void Expanded_urdf_parses_in_liburdfdom_with_the_joints_and_limits_of_scene_xml(string name, string[] args, string plugin)
    {
        var urdf = Expand(name, args);
        var (code, output, err) = Run(UrdfCheck.Value, urdf);
        Assert.True(code == 0, $"liburdfdom refuses the {name} URDF: {output}{err}");
        Assert.Equal("world", Assert.Single(Records(output, "robot"))[2]);
        var joints = Records(output, "joint").ToDictionary(j => j[1]);
        var arm = ArmModel.FromMjcf(RepoPaths.DefaultScene);
        for (int i = 0; i < arm.Dof; i++)
        {
            var j = joints[arm.JointNames[i]];
            var a = arm.Joints[i];
            Assert.Equal("revolute", j[2]);
            Assert.Equal([a.Offset.X, a.Offset.Y, a.Offset.Z], Ds(j[5]));
            Assert.Equal([a.Axis.X, a.Axis.Y, a.Axis.Z], Ds(j[6]));
            Assert.Equal((a.Lower, a.Upper, a.MaxVelocity), (D(j[7]), D(j[8]), D(j[9])));
        }
        Assert.Equal(arm.Dof, joints.Values.Count(j => j[2] == "revolute"));
        // the fingers: slide joints of the MJCF, same axis and range
        var mjcf = XDocument.Load(RepoPaths.DefaultScene).Root!;
        foreach (var finger in new Ros2Options().GripperJoints)
        {
            var m = mjcf.Descendants("joint").Single(e => (string?)e.Attribute("name") == finger);
            var j = joints[finger];
            Assert.Equal("prismatic", j[2]);
            Assert.Equal(Ds((string)m.Attribute("axis")!), Ds(j[6]));
            Assert.Equal(Ds((string)m.Attribute("range")!), new[] { D(j[7]), D(j[8]) });
        }
        // the ros2_control hardware this variant asks for
        var hardware = XDocument.Load(urdf).Root!.Element("ros2_control")!.Element("hardware")!;
        Assert.Equal(plugin, Assert.Single(hardware.Elements("plugin")).Value.Trim());
        Assert.Equal(name == "gazebo", XDocument.Load(urdf).Root!.Elements("gazebo").Any());
    }

    [Fact]
    public void Urdf_checker_refuses_a_broken_urdf()
    {
        var broken = Path.Combine(_tempDir, "broken.urdf");
        File.WriteAllText(broken, File.ReadAllText(Expand("gazebo", "hardware:=gazebo")).Replace("<child link=\"link3\" />", "<child link=\"no_such_link\" />"));
        Assert.NotEqual(0, Run(UrdfCheck.Value, broken).Code);
    }
}
