using System.Text.Json;
using System.Xml.Linq;
using CortexBot.Core;

namespace CortexBot.Brainstem.Ros2.Tests;

/// <summary>
/// The launch files' RMW, Gazebo wiring and package manifest, evaluated with the same recording double of ROS 2's launch
/// API: Cyclone DDS is selected before anything starts, gazebo.launch.py starts the generated world and bridges what it
/// publishes (config/gz_bridge.yaml agrees with the world), the xacro command each launch file builds yields the
/// ros2_control hardware it promises, and package.xml declares every package they use.
/// </summary>
public sealed partial class LaunchPackageTests
{
    private const string Share = "/opt/ros/share/";  // where the double's get_package_share_directory puts packages

    private static JsonElement EvaluateAll(string file)
    {
        var harness = Path.Combine(RepoPaths.Root, "tests", "CortexBot.Brainstem.Ros2.Tests", "launch", "evaluate_launch.py");
        return JsonDocument.Parse(Python(harness, Path.Combine(Package, "launch", file))).RootElement.Clone();
    }

    private static XElement SdfWorld() => XDocument.Load(Path.Combine(Package, "worlds", "cortexbot.sdf")).Root!.Element("world")!;

    /// <summary>A node argument or parameter as ROS 2 would pass it, launch arguments at the given values (else their defaults).</summary>
    private static string Flatten(JsonElement token, JsonElement launch, IReadOnlyDictionary<string, string>? given = null)
    {
        switch (token.ValueKind)
        {
            case JsonValueKind.String: return token.GetString()!;
            case JsonValueKind.Array: return string.Concat(token.EnumerateArray().Select(t => Flatten(t, launch, given)));
            case JsonValueKind.True: return "true";
            case JsonValueKind.False: return "false";
        }
        if (token.TryGetProperty("config", out var config))
        {
            var name = config.GetString()!;
            if (given?.TryGetValue(name, out var v) == true) return v;
            Assert.True(launch.GetProperty("arguments").TryGetProperty(name, out var d) && d.ValueKind != JsonValueKind.Null, $"launch argument '{name}' has no default");
            return Flatten(d, launch, given);
        }
        if (token.TryGetProperty("executable", out var exe)) return exe.GetString()!;
        if (token.TryGetProperty("command", out var command)) return Flatten(command, launch, given);
        throw new Xunit.Sdk.XunitException($"cannot flatten {token}");
    }

    private static JsonElement[] Nodes(JsonElement launch, string package, string executable) =>
        [.. launch.GetProperty("nodes").EnumerateArray().Where(n => n.GetProperty("package").GetString() == package && n.GetProperty("executable").GetString() == executable)];

    [Theory]
    [MemberData(nameof(RunningLaunchFiles))]
    public void Launch_files_select_cyclone_dds_before_anything_starts(string file)
    {
        var launch = EvaluateAll(file);
        // first entry of the LaunchDescription, so every process it starts (controllers, bridges, gz's ROS plugins) inherits it
        Assert.Equal("SetEnvironmentVariable", launch.GetProperty("actions")[0].GetString());
        var env = launch.GetProperty("environment").EnumerateArray().Select(e => (e[0].GetString(), e[1].GetString())).ToList();
        Assert.Equal([("RMW_IMPLEMENTATION", "rmw_cyclonedds_cpp")], env);
    }

    [Fact]
    public void Gazebo_launch_starts_the_generated_world_and_bridges_its_clock_camera_poses_and_control_service()
    {
        var launch = EvaluateAll("gazebo.launch.py");
        var world = SdfWorld();
        var args = launch.GetProperty("arguments");
        Assert.Equal(Share + "cortexbot_bringup/worlds/cortexbot.sdf", args.GetProperty("world").GetString());
        Assert.Equal((string)world.Attribute("name")!, args.GetProperty("world_name").GetString());
        Assert.Contains(Share + "ros_gz_sim/launch/gz_sim.launch.py", launch.GetProperty("includes").EnumerateArray().Select(i => Flatten(i, launch)));

        var bridges = Nodes(launch, "ros_gz_bridge", "parameter_bridge");
        var topics = Assert.Single(bridges, b => b.GetProperty("parameters").GetArrayLength() > 0);
        Assert.Equal(Share + "cortexbot_bringup/config/gz_bridge.yaml", Flatten(topics.GetProperty("parameters")[0].GetProperty("config_file"), launch));
        var control = Assert.Single(bridges, b => b.GetProperty("arguments").GetArrayLength() > 0);
        Assert.Equal($"/world/{(string)world.Attribute("name")!}/control@ros_gz_interfaces/srv/ControlWorld", Flatten(Assert.Single(control.GetProperty("arguments").EnumerateArray()), launch));
        // a user's world keeps its control service reachable
        Assert.Equal("/world/other/control@ros_gz_interfaces/srv/ControlWorld",
            Flatten(control.GetProperty("arguments")[0], launch, new Dictionary<string, string> { ["world_name"] = "other" }));

        Assert.Single(Nodes(launch, "ros_gz_sim", "create"));
        Assert.Single(Nodes(launch, "robot_state_publisher", "robot_state_publisher"));
        Assert.Equal(2, Nodes(launch, "controller_manager", "spawner").Length);
    }

    [Fact]
    public void Bridge_config_maps_exactly_what_the_world_publishes()
    {
        var world = SdfWorld();
        var name = (string)world.Attribute("name")!;
        var entries = Yaml("config/gz_bridge.yaml").EnumerateArray().ToList();
        foreach (var e in entries)
        {
            Assert.Equal("GZ_TO_ROS", e.GetProperty("direction").GetString());
            foreach (var key in new[] { "ros_topic_name", "gz_topic_name", "ros_type_name", "gz_type_name" }) Assert.True(e.TryGetProperty(key, out _), $"bridge entry without {key}: {e}");
        }
        var byGz = entries.ToDictionary(e => e.GetProperty("gz_topic_name").GetString()!);
        (string Ros, string Gz) Types(string gz) => (byGz[gz].GetProperty("ros_type_name").GetString()!, byGz[gz].GetProperty("gz_type_name").GetString()!);

        var expected = new List<string> { "/clock" };
        Assert.Equal(("rosgraph_msgs/msg/Clock", "gz.msgs.Clock"), Types("/clock"));
        // the camera: its image where CortexBot reads images, and its camera_info beside it (gz-sensors' naming)
        var image = world.Descendants("sensor").Single(s => (string?)s.Attribute("type") == "camera").Element("topic")!.Value;
        var info = image[..image.LastIndexOf('/')] + "/camera_info";
        expected.AddRange([image, info]);
        Assert.Equal(("sensor_msgs/msg/Image", "gz.msgs.Image"), Types(image));
        Assert.Equal(new Ros2Options().ImageTopic, byGz[image].GetProperty("ros_topic_name").GetString());
        Assert.Equal(("sensor_msgs/msg/CameraInfo", "gz.msgs.CameraInfo"), Types(info));
        // every entity's pose from the scene broadcaster, and each free object's own pose publisher
        var dynamic = $"/world/{name}/dynamic_pose/info";
        expected.Add(dynamic);
        Assert.Equal(("tf2_msgs/msg/TFMessage", "gz.msgs.Pose_V"), Types(dynamic));
        var free = world.Elements("model").Where(m => m.Elements("plugin").Any(p => (string?)p.Attribute("filename") == "gz-sim-pose-publisher-system")).Select(m => (string)m.Attribute("name")!).ToList();
        Assert.Equal(["red_cube", "green_cube", "blue_cube"], free);
        foreach (var m in free)
        {
            expected.Add($"/model/{m}/pose");
            Assert.Equal(("tf2_msgs/msg/TFMessage", "gz.msgs.Pose_V"), Types($"/model/{m}/pose"));
            Assert.Equal($"/gazebo/objects/{m}/pose", byGz[$"/model/{m}/pose"].GetProperty("ros_topic_name").GetString());
        }
        Assert.Equal(expected.Order(), byGz.Keys.Order());
    }

    [Fact]
    public void Gazebo_launch_relays_the_object_poses_as_detections_and_the_brain_resets_gazebos_world_and_reads_them()
    {
        var launch = Evaluate("gazebo.launch.py");
        var env = new Dictionary<string, string>();
        // the relay: `cortexbot sim detections`, started with the bridge (unconditionally, not after the controllers)
        var relays = Enumerable.Range(0, launch.Processes.Length).Where(i => IsCortexbot(launch, i, "sim")).ToList();
        int r = Assert.Single(relays);
        Assert.Null(launch.Conditions[r]);
        Assert.Contains("ExecuteProcess", EvaluateAll("gazebo.launch.py").GetProperty("actions").EnumerateArray().Select(a => a.GetString()));
        string[] argv = [.. launch.Processes[r].Skip(1).Select(t => Resolve(t, launch, env))];
        Assert.Equal(["sim", "detections"], argv[..2]);
        var (_, flags) = CliCommand(argv[..2]);
        foreach (var flag in argv.Where(a => a.StartsWith("--", StringComparison.Ordinal)))
            Assert.True(flags.Contains(flag), $"gazebo.launch.py passes `{flag}` to `cortexbot sim detections`, which has no such option");
        var parse = CortexBot.Cli.Commands.ConfigSources.Parse(CortexBot.Cli.Program.CreateRoot(), argv, new Dictionary<string, string>());
        Assert.True(parse.Errors.Count == 0, $"`cortexbot {string.Join(' ', argv)}`: {string.Join("; ", parse.Errors.Select(e => e.Message))}");
        string Flag(string name) => argv[Array.IndexOf(argv, name) + 1];

        // it reads every free object's bridged pose topic (child_frame_id = the model's name), not the nameless dynamic_pose/info
        var world = SdfWorld();
        var free = world.Elements("model").Where(m => m.Elements("plugin").Any(p => (string?)p.Attribute("filename") == "gz-sim-pose-publisher-system"))
            .Select(m => (string)m.Attribute("name")!).ToList();
        var bridged = Yaml("config/gz_bridge.yaml").EnumerateArray().ToDictionary(e => e.GetProperty("gz_topic_name").GetString()!, e => e.GetProperty("ros_topic_name").GetString()!);
        Assert.Equal(free.Select(m => bridged[$"/model/{m}/pose"]), Flag("--from-tf").Split(','));
        Assert.DoesNotContain(bridged[$"/world/{(string)world.Attribute("name")!}/dynamic_pose/info"], Flag("--from-tf").Split(','));
        // where the brain reads detections, stamped at receipt (Gazebo's stamps are simulated time), in the world frame
        Assert.Equal(new Ros2Options().DetectionsTopic, Flag("--to"));
        Assert.Equal("receipt", Flag("--stamp"));
        Assert.Equal("world", Flag("--frame"));
        Assert.Equal("15", Flag("--rate"));
        Assert.Equal("jazzy", Flag("--ros-distro"));
        var rate = Array.FindIndex(launch.Processes[r], t => t.ValueKind == JsonValueKind.String && t.GetString() == "--rate");
        Assert.Equal("30", Resolve(launch.Processes[r][rate + 1], launch with { Arguments = new(launch.Arguments) { ["detections_rate_hz"] = JsonDocument.Parse("\"30\"").RootElement } }, env));

        // the brain: one `cortexbot run`, unconditional, resetting Gazebo's world through the bridged control service of the
        // world the launch starts, and perceiving the relayed detections
        int brain = Assert.Single(Enumerable.Range(0, launch.Processes.Length), i => IsCortexbot(launch, i, "run"));
        Assert.Null(launch.Conditions[brain]);
        Assert.DoesNotContain("brain_detections_flags", launch.Arguments.Keys);
        string[] brainArgv = [.. launch.Processes[brain].Skip(1).Select(t => Resolve(t, launch, env))];
        string Brain(string name) => brainArgv[Array.IndexOf(brainArgv, name) + 1];
        Assert.Equal("gazebo", Brain("--reset"));
        Assert.Equal("detections", Brain("--perception"));
        var worldName = (string)world.Attribute("name")!;
        Assert.Equal(worldName, Brain("--gazebo-world"));
        // the service it calls is the one the world-control bridge bridges (see the test of the bridges), for a renamed world too
        Assert.Equal($"/world/{worldName}/control", new Ros2Options { GazeboWorld = Brain("--gazebo-world") }.GazeboControlService);
        var other = launch with { Arguments = new(launch.Arguments) { ["world_name"] = JsonDocument.Parse("\"other_world\"").RootElement } };
        Assert.Equal("other_world", Resolve(launch.Processes[brain][1 + Array.IndexOf(brainArgv, "--gazebo-world") + 1], other, env));
        // the whole command line parses as `cortexbot run`, the package's config read as cortexbot reads it
        int config = Array.IndexOf(brainArgv, "--config");
        brainArgv[config + 1] = Path.Combine(Package, "config", "cortexbot.yaml");
        var brainParse = CortexBot.Cli.Commands.ConfigSources.Parse(CortexBot.Cli.Program.CreateRoot(), brainArgv, new Dictionary<string, string>());
        Assert.True(brainParse.Errors.Count == 0, string.Join("; ", brainParse.Errors.Select(e => e.Message)));
    }

    [Theory]
    [InlineData("gazebo.launch.py", null, "gz_ros2_control/GazeboSimSystem")]
    [InlineData("robot.launch.py", "true", "mock_components/GenericSystem")]
    [InlineData("robot.launch.py", "false", "my_arm_driver/MyArmHardware")]
    public void Robot_description_command_of_each_launch_file_gives_the_hardware_it_promises(string file, string? mock, string plugin)
    {
        var launch = EvaluateAll(file);
        var rsp = Assert.Single(Nodes(launch, "robot_state_publisher", "robot_state_publisher"));
        var given = new Dictionary<string, string> { ["hardware"] = "my_arm_driver/MyArmHardware" };
        if (mock is not null) given["use_mock_hardware"] = mock;
        var argv = Flatten(rsp.GetProperty("parameters")[0].GetProperty("robot_description"), launch, given)
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("xacro", argv[0]);
        var xacroArgs = argv[2..].Select(a => a.Replace(Share + "cortexbot_bringup", Package, StringComparison.Ordinal)).ToArray();
        var harness = Path.Combine(RepoPaths.Root, "tests", "CortexBot.Brainstem.Ros2.Tests", "launch", "expand_xacro.py");
        var urdf = XDocument.Parse(Python([harness, argv[1].Replace(Share + "cortexbot_bringup", Package, StringComparison.Ordinal), .. xacroArgs])).Root!;
        Assert.Equal(plugin, urdf.Element("ros2_control")!.Element("hardware")!.Element("plugin")!.Value.Trim());
    }

    [Fact]
    public void Robot_launch_without_an_arm_plugin_or_mock_hardware_stops_at_xacro_with_what_to_pass()
    {
        var launch = EvaluateAll("robot.launch.py");
        var rsp = Assert.Single(Nodes(launch, "robot_state_publisher", "robot_state_publisher"));
        var argv = Flatten(rsp.GetProperty("parameters")[0].GetProperty("robot_description"), launch).Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var err = PythonFailing([Path.Combine(RepoPaths.Root, "tests", "CortexBot.Brainstem.Ros2.Tests", "launch", "expand_xacro.py"),
            .. argv[1..].Select(a => a.Replace(Share + "cortexbot_bringup", Package, StringComparison.Ordinal))]);
        Assert.Contains("use_mock_hardware:=true", err);
        Assert.Contains("hardware:=", err);
    }

    [Fact]
    public void Package_manifest_declares_every_package_the_launch_files_the_urdf_and_the_controllers_use()
    {
        var manifest = XDocument.Load(Path.Combine(Package, "package.xml")).Root!;
        var declared = manifest.Elements().Where(e => e.Name.LocalName is "exec_depend" or "depend").Select(e => e.Value.Trim()).ToHashSet();
        var used = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var file in Running)
        {
            var launch = EvaluateAll(file);
            used.UnionWith(launch.GetProperty("packages").EnumerateArray().Select(p => p.GetString()!));
            used.UnionWith(launch.GetProperty("environment").EnumerateArray().Where(e => e[0].GetString() == "RMW_IMPLEMENTATION").Select(e => e[1].GetString()!));
            // service types the bridges are asked for: ros_gz_interfaces/srv/ControlWorld
            foreach (var node in launch.GetProperty("nodes").EnumerateArray())
                foreach (var a in node.GetProperty("arguments").EnumerateArray().Select(a => Flatten(a, launch)).Where(a => a.Contains("/srv/", StringComparison.Ordinal)))
                    used.Add(a.Split('@')[1].Split('/')[0]);
        }
        used.Remove("cortexbot_bringup");
        // pluginlib packages the URDF and the controllers name (mock_components/GenericSystem is in hardware_interface)
        var xacro = File.ReadAllText(Path.Combine(Package, "urdf", "cortexbot_arm.urdf.xacro"));
        foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(xacro, @"<plugin>([a-z0-9_]+)/[A-Za-z0-9]+</plugin>"))
            used.Add(m.Groups[1].Value == "mock_components" ? "hardware_interface" : m.Groups[1].Value);
        var cm = Yaml("config/controllers.yaml").GetProperty("controller_manager").GetProperty("ros__parameters");
        foreach (var c in cm.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Object && p.Value.TryGetProperty("type", out _)))
            used.Add(c.Value.GetProperty("type").GetString()!.Split('/')[0]);
        Assert.Superset(new HashSet<string> { "ros_gz_sim", "ros_gz_bridge", "robot_state_publisher", "controller_manager", "xacro", "rmw_cyclonedds_cpp",
            "joint_state_broadcaster", "joint_trajectory_controller", "forward_command_controller", "gz_ros2_control", "hardware_interface", "ros_gz_interfaces" }, used);
        var missing = used.Where(p => !declared.Contains(p)).ToList();
        Assert.True(missing.Count == 0, $"package.xml does not declare {string.Join(", ", missing)} (used by the launch files, the URDF or the controllers)");
    }
}
