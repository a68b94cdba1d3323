using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Xml.Linq;
using CortexBot.Core;
using CortexBot.Core.Robot;

namespace CortexBot.Brainstem.Ros2.Tests;

/// <summary>
/// Static checks of launch/cortexbot_bringup (ROS 2 and Gazebo cannot run here): the launch files compile as Python,
/// every file they reference exists, evaluated against a recording double of ROS 2's launch API they start cortexbot
/// with real flags only (its node name and ROS distribution among them) and declare every argument they read, robot.launch.py
/// starts the robot node (`robot serve`) on loopback unless told otherwise and passes TLS or --insecure only when given,
/// the URDF is well-formed and agrees with sim/scene.xml, and the joint names agree
/// between the URDF, the controller YAML, CortexBot's YAML and CortexBot's arm.
/// </summary>
public sealed partial class LaunchPackageTests
{
    private static readonly string Package = Path.Combine(RepoPaths.Root, "launch", "cortexbot_bringup");
    private static readonly ArmModel Arm = ArmModel.FromMjcf(RepoPaths.DefaultScene);
    private static readonly string[] Fingers = [.. new Ros2Options().GripperJoints];

    /// <summary>Runs python3; its exit code, stdout and stderr.</summary>
    private static (int Exit, string Output, string Error) RunPython(string[] args)
    {
        var psi = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output, err.Result);
    }

    private static string Python(params string[] args)
    {
        var (exit, output, error) = RunPython(args);
        Assert.True(exit == 0, $"python3 {string.Join(' ', args)} failed: {error}");
        return output;
    }

    /// <summary>Runs python3 expecting it to fail; its stderr.</summary>
    private static string PythonFailing(params string[] args)
    {
        var (exit, output, error) = RunPython(args);
        Assert.True(exit != 0, $"python3 {string.Join(' ', args)} succeeded: {output}");
        return error;
    }

    private static JsonElement Yaml(string relative) =>
        JsonDocument.Parse(Python("-c", "import json,sys,yaml; print(json.dumps(yaml.safe_load(open(sys.argv[1]))))", Path.Combine(Package, relative))).RootElement;

    private static string[] Strings(JsonElement e) => [.. e.EnumerateArray().Select(x => x.GetString()!)];

    public static TheoryData<string> LaunchFiles() => [.. Directory.GetFiles(Path.Combine(Package, "launch"), "*.py").Select(f => Path.GetFileName(f))];

    [Theory]
    [MemberData(nameof(LaunchFiles))]
    public void Launch_files_compile_as_python(string file)
    {
        var cfile = Path.Combine(Path.GetTempPath(), $"cortexbot-{Guid.NewGuid():N}.pyc");
        try { Python("-c", "import py_compile,sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)", Path.Combine(Package, "launch", file), cfile); }
        finally { File.Delete(cfile); }
    }

    [Fact]
    public void Both_launch_files_exist_and_every_file_they_reference_is_in_the_package()
    {
        Assert.True(File.Exists(Path.Combine(Package, "launch", "robot.launch.py")));
        Assert.True(File.Exists(Path.Combine(Package, "launch", "gazebo.launch.py")));
        // the package-relative paths the launch files use are the constants of launch/common.py (no ROS imports there)
        var json = Python("-c", "import json,sys; sys.path.insert(0, sys.argv[1]); import common; print(json.dumps([common.URDF, common.CONTROLLERS, common.CORTEXBOT_CONFIG, common.WORLD, common.GZ_BRIDGE, common.PACKAGE]))",
            Path.Combine(Package, "launch"));
        var refs = JsonSerializer.Deserialize<string[]>(json)!;
        foreach (var r in refs[..^1]) Assert.True(File.Exists(Path.Combine(Package, r)), $"{r} is referenced but missing");
        Assert.Equal("cortexbot_bringup", refs[^1]);
        foreach (var (launch, builder) in new[] { ("robot.launch.py", "robot_node_command("), ("gazebo.launch.py", "cortexbot_command(") })
        {
            var text = File.ReadAllText(Path.Combine(Package, "launch", launch));
            // no path literals besides those constants: every os.path.join(share, X) uses one of them
            foreach (System.Text.RegularExpressions.Match m in System.Text.RegularExpressions.Regex.Matches(text, @"os\.path\.join\(share,\s*([^)]+)\)"))
                Assert.Contains(m.Groups[1].Value.Trim(), new[] { "URDF", "CONTROLLERS", "CORTEXBOT_CONFIG", "WORLD", "GZ_BRIDGE" });
            // the CortexBot flags they pass exist on `cortexbot run`
            Assert.Contains(builder, text);
        }
        var common = File.ReadAllText(Path.Combine(Package, "launch", "common.py"));
        foreach (var flag in new[] { "--robot", "--node-name", "--ros-distro", "--task", "--episodes", "--controller", "--command-interface", "--trajectory-interface", "--rate", "--stale-ms", "--json", "--listen" })
            Assert.Contains($"'{flag}'", common);
    }

    /// <summary>What a launch file builds, evaluated by tests/.../launch/evaluate_launch.py with recorders for ROS 2's launch API.</summary>
    /// <summary>Conditions[i] is process i's IfCondition/UnlessCondition (null: none).</summary>
    private sealed record EvaluatedLaunch(Dictionary<string, JsonElement> Arguments, JsonElement[][] Processes, string[] Configurations, JsonElement?[] Conditions);

    /// <summary><paramref name="given"/>: `name:=value` launch arguments, as an OpaqueFunction's context sees them.</summary>
    private static EvaluatedLaunch Evaluate(string file, params string[] given)
    {
        var harness = Path.Combine(RepoPaths.Root, "tests", "CortexBot.Brainstem.Ros2.Tests", "launch", "evaluate_launch.py");
        var root = JsonDocument.Parse(Python([harness, Path.Combine(Package, "launch", file), .. given])).RootElement;
        return new EvaluatedLaunch(
            root.GetProperty("arguments").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.Clone()),
            [.. root.GetProperty("processes").EnumerateArray().Select(p => p.EnumerateArray().Select(t => t.Clone()).ToArray())],
            Strings(root.GetProperty("configurations")),
            [.. root.GetProperty("process_conditions").EnumerateArray().Select(c => c.ValueKind == JsonValueKind.Null ? (JsonElement?)null : c.Clone())]);
    }

    /// <summary>Whether process <paramref name="i"/> is `cortexbot SUBCOMMAND ...` (the cortexbot launch argument as its executable).</summary>
    private static bool IsCortexbot(EvaluatedLaunch launch, int i, string subcommand) =>
        launch.Processes[i] is var p && p.Length > 1 && p[0].ValueKind == JsonValueKind.Object && p[0].TryGetProperty("config", out var c)
        && c.GetString() == "cortexbot" && p[1].ValueKind == JsonValueKind.String && p[1].GetString() == subcommand;

    /// <summary>A command-line token with every launch argument at its declared default (the environment for EnvironmentVariable).</summary>
    private static string Resolve(JsonElement token, EvaluatedLaunch launch, IReadOnlyDictionary<string, string> environment)
    {
        switch (token.ValueKind)
        {
            case JsonValueKind.String: return token.GetString()!;
            case JsonValueKind.Array: return string.Concat(token.EnumerateArray().Select(t => Resolve(t, launch, environment)));
        }
        if (token.TryGetProperty("config", out var config))
        {
            var name = config.GetString()!;
            Assert.True(launch.Arguments.TryGetValue(name, out var d), $"LaunchConfiguration('{name}') is not a declared launch argument");
            Assert.True(d.ValueKind != JsonValueKind.Null, $"launch argument '{name}' reaches cortexbot's command line but has no default");
            return Resolve(d, launch, environment);
        }
        if (token.TryGetProperty("env", out var env))
        {
            if (environment.TryGetValue(env.GetString()!, out var v)) return v;
            var d = token.GetProperty("default");
            Assert.True(d.ValueKind != JsonValueKind.Null, $"EnvironmentVariable('{env.GetString()}') has no default");
            return Resolve(d, launch, environment);
        }
        throw new Xunit.Sdk.XunitException($"the launch file builds a token the test cannot evaluate: {token}");
    }

    /// <summary>The flags (long and short names) of a CortexBot command, from the CLI's own System.CommandLine definitions.</summary>
    private static (System.CommandLine.Command Command, HashSet<string> Flags) CliCommand(IEnumerable<string> path)
    {
        System.CommandLine.Command cmd = CortexBot.Cli.Program.CreateRoot();
        foreach (var name in path)
            cmd = cmd.Subcommands.SingleOrDefault(c => c.Name == name || c.Aliases.Contains(name))
                ?? throw new Xunit.Sdk.XunitException($"the launch file calls `cortexbot {string.Join(' ', path)}`, but '{name}' is no cortexbot command");
        var flags = new HashSet<string>(StringComparer.Ordinal);
        foreach (var o in cmd.Options) { flags.Add(o.Name); flags.UnionWith(o.Aliases); }
        // the root's recursive options (--config, --log-level, --quiet) apply to every command
        foreach (var o in CortexBot.Cli.Program.CreateRoot().Options.Where(o => o.Recursive)) { flags.Add(o.Name); flags.UnionWith(o.Aliases); }
        return (cmd, flags);
    }

    [Theory]
    [MemberData(nameof(RunningLaunchFiles))]
    public void Launch_files_pass_cortexbot_only_real_flags_and_its_node_name(string file)
    {
        var launch = Evaluate(file);
        // every LaunchConfiguration the file reads is declared (a typo would be an error only at `ros2 launch` time)
        foreach (var c in launch.Configurations) Assert.True(launch.Arguments.ContainsKey(c), $"{file} reads LaunchConfiguration('{c}') but declares no such argument");
        // CortexBot as started by default (the robot node beside an arm, `run` in Gazebo): without a condition, or the one a switch leaves on
        var subcommand = StartsCortexbot[file];
        var cortexbot = Enumerable.Range(0, launch.Processes.Length)
            .Where(i => IsCortexbot(launch, i, subcommand[0]) && (launch.Conditions[i] is not { } c || c.GetProperty("kind").GetString() == "UnlessCondition"))
            .Select(i => launch.Processes[i]).ToList();
        Assert.True(cortexbot.Count == 1, $"{file} starts cortexbot {subcommand[0]} once by default (found {cortexbot.Count} processes)");
        var env = new Dictionary<string, string>();
        string[] argv = [.. cortexbot[0].Skip(1).Select(t => Resolve(t, launch, env))];
        var path = argv.TakeWhile(a => !a.StartsWith('-')).ToArray();
        Assert.Equal(subcommand, path);
        var (command, flags) = CliCommand(path);
        foreach (var flag in argv.Skip(path.Length).Where(a => a.StartsWith("--", StringComparison.Ordinal)))
            Assert.True(flags.Contains(flag), $"{file} passes `{flag}` to `cortexbot {string.Join(' ', path)}`, which has no such option");
        // the whole command line, every argument at its default, parses without error, with the package's
        // config/cortexbot.yaml (installed under the share directory) read as cortexbot reads it
        int config = Array.IndexOf(argv, "--config");
        Assert.True(config > 0, $"{file} passes --config");
        Assert.Equal(Path.Combine(Share, "cortexbot_bringup", "config", "cortexbot.yaml"), argv[config + 1]);
        argv[config + 1] = Path.Combine(Package, "config", "cortexbot.yaml");
        var parse = CortexBot.Cli.Commands.ConfigSources.Parse(CortexBot.Cli.Program.CreateRoot(), argv, new Dictionary<string, string>());
        Assert.True(parse.Errors.Count == 0, $"{file}: `cortexbot {string.Join(' ', argv)}`: {string.Join("; ", parse.Errors.Select(e => e.Message))}");
        Assert.Equal(command.Name, parse.CommandResult.Command.Name);

        // CortexBot's ROS 2 node name is a launch argument with a valid default, passed as --node-name
        int at = Array.FindIndex(cortexbot[0], t => t.ValueKind == JsonValueKind.String && t.GetString() == "--node-name");
        Assert.True(at > 0, $"{file} passes --node-name");
        Assert.Equal("node_name", cortexbot[0][at + 1].GetProperty("config").GetString());
        var nodeName = launch.Arguments["node_name"].GetString()!;
        Assert.Equal("cortexbot", nodeName);
        RosNames.ValidateNodeName(nodeName);
        Assert.Equal(nodeName, parse.GetValue<string>("--node-name"));
        // a user's choice reaches the command line
        var named = launch with { Arguments = new(launch.Arguments) { ["node_name"] = JsonDocument.Parse("\"arm_brain\"").RootElement } };
        Assert.Equal("arm_brain", Resolve(cortexbot[0][at + 1], named, env));

        // the distribution's layouts: --ros-distro from the launch argument ros_distro, whose default is the launch
        // environment's ROS_DISTRO (jazzy without one)
        int distro = Array.FindIndex(cortexbot[0], t => t.ValueKind == JsonValueKind.String && t.GetString() == "--ros-distro");
        Assert.True(distro > 0, $"{file} passes --ros-distro");
        Assert.Equal("ros_distro", cortexbot[0][distro + 1].GetProperty("config").GetString());
        Assert.Equal("ROS_DISTRO", launch.Arguments["ros_distro"].GetProperty("env").GetString());
        Assert.Equal("jazzy", parse.GetValue<string>("--ros-distro"));
        var humble = new Dictionary<string, string> { ["ROS_DISTRO"] = "humble" };
        string[] underHumble = [.. cortexbot[0].Skip(1).Select(t => Resolve(t, launch, humble))];
        var humbleParse = CortexBot.Cli.Program.CreateRoot().Parse(underHumble);
        Assert.Empty(humbleParse.Errors);
        Assert.Equal("humble", humbleParse.GetValue<string>("--ros-distro"));
        Assert.Equal(RosDistro.Humble, Ros2Options.ParseDistro(humbleParse.GetValue<string>("--ros-distro")));
    }

    [Fact]
    public void Robot_launch_starts_the_robot_node_on_loopback_by_default_and_passes_tls_or_insecure_only_when_given()
    {
        var env = new Dictionary<string, string>();
        // `ros2 launch ... name:=value`: the OpaqueFunction sees the values, and the substitutions resolve to them
        string[] RobotNode(params string[] given)
        {
            var launch = Evaluate("robot.launch.py", given);
            Assert.DoesNotContain(Enumerable.Range(0, launch.Processes.Length), i => IsCortexbot(launch, i, "run")); // brains attach from anywhere
            var arguments = new Dictionary<string, JsonElement>(launch.Arguments);
            foreach (var g in given)
            {
                var (name, value) = (g[..g.IndexOf(":=", StringComparison.Ordinal)], g[(g.IndexOf(":=", StringComparison.Ordinal) + 2)..]);
                Assert.True(arguments.ContainsKey(name), $"robot.launch.py declares no argument {name}");
                arguments[name] = JsonSerializer.SerializeToElement(value);
            }
            var resolved = launch with { Arguments = arguments };
            int at = Assert.Single(Enumerable.Range(0, launch.Processes.Length), i => IsCortexbot(launch, i, "robot"));
            return [.. launch.Processes[at].Skip(1).Select(t => Resolve(t, resolved, env))];
        }
        string[] transport = ["--public-host", "--tls-cert", "--tls-password-env", "--tls-password-file", "--insecure"];

        // by default: `robot serve`'s own default address (loopback), no transport flags
        var plain = RobotNode();
        Assert.Equal(["robot", "serve"], plain[..2]);
        var serveDefault = CortexBot.Cli.Program.CreateRoot().Parse(["robot", "serve"]).GetValue<string>("--listen");
        Assert.Equal(serveDefault, plain[Array.IndexOf(plain, "--listen") + 1]);
        Assert.StartsWith("127.0.0.1:", serveDefault);
        Assert.Empty(plain.Intersect(transport));

        // for a brain on a second machine: every interface, the name brains use, TLS whose password stays in the environment
        var tls = RobotNode("listen:=0.0.0.0:7470", "public_host:=arm-pc.local", "tls_cert:=/etc/cortexbot/robot.p12", "tls_password_env:=CORTEXBOT_TLS_PASSWORD");
        Assert.Equal(["--listen", "0.0.0.0:7470", "--public-host", "arm-pc.local", "--tls-cert", "/etc/cortexbot/robot.p12", "--tls-password-env", "CORTEXBOT_TLS_PASSWORD"], tls[^8..]);
        Assert.DoesNotContain("--insecure", tls);
        Assert.Equal(plain[..^2], tls[..^8]);
        // the flags are the node transport's (NodeCliOptions, which `robot serve` takes) or `robot serve`'s own
        var (_, serveFlags) = CliCommand(["robot", "serve"]);
        var nodeFlags = new CortexBot.Cli.Commands.NodeCliOptions().All.SelectMany(o => o.Aliases.Append(o.Name)).ToHashSet();
        foreach (var flag in tls.Where(a => a.StartsWith("--", StringComparison.Ordinal)))
            Assert.True(serveFlags.Contains(flag) || nodeFlags.Contains(flag), $"robot.launch.py passes `{flag}`, which is no option of `cortexbot robot serve` nor of a node's transport");

        // a plain link off loopback only when asked for, by a boolean as launch spells them
        var insecure = RobotNode("listen:=192.168.1.20:7470", "insecure:=true");
        Assert.Equal(["--listen", "192.168.1.20:7470", "--insecure"], insecure[^3..]);
        Assert.Equal(plain, RobotNode("insecure:=False"));
        var harness = Path.Combine(RepoPaths.Root, "tests", "CortexBot.Brainstem.Ros2.Tests", "launch", "evaluate_launch.py");
        Assert.Contains("launch argument insecure must be true or false, got 'maybe'", PythonFailing(harness, Path.Combine(Package, "launch", "robot.launch.py"), "insecure:=maybe"));
    }

    private static readonly string[] Running = ["robot.launch.py", "gazebo.launch.py"];
    /// <summary>The cortexbot command each launch file starts: the robot node beside an arm (brains attach from anywhere), a whole run in Gazebo.</summary>
    private static readonly Dictionary<string, string[]> StartsCortexbot = new()
    {
        ["robot.launch.py"] = ["robot", "serve"],
        ["gazebo.launch.py"] = ["run"],
    };
    public static TheoryData<string> RunningLaunchFiles() => [.. Running];

    [Fact]
    public void Cortexbot_yaml_states_the_launch_files_defaults()
    {
        var cb = Yaml("config/cortexbot.yaml").GetProperty("cortexbot");
        // yaml key -> launch argument of the same meaning
        var keys = new Dictionary<string, string>
        {
            ["node_name"] = "node_name", ["controller"] = "controller", ["command_interface"] = "command_interface",
            ["trajectory_interface"] = "trajectory_interface", ["rate"] = "rate_hz", ["stale_ms"] = "stale_ms",
        };
        foreach (var file in Running)
        {
            var launch = Evaluate(file);
            foreach (var (key, argument) in keys)
            {
                var yaml = cb.GetProperty(key);
                string value = yaml.ValueKind == JsonValueKind.String ? yaml.GetString()! : yaml.GetRawText();
                Assert.True(launch.Arguments.TryGetValue(argument, out var d), $"{file} declares {argument}");
                Assert.True(value == d.GetString(), $"config/cortexbot.yaml says {key}: {value}, {file} defaults {argument} to {d}");
            }
        }
    }

    [Fact]
    public void Package_manifest_and_build_file_agree()
    {
        var manifest = XDocument.Load(Path.Combine(Package, "package.xml"));
        Assert.Equal("cortexbot_bringup", manifest.Root!.Element("name")!.Value);
        var cmake = File.ReadAllText(Path.Combine(Package, "CMakeLists.txt"));
        Assert.Contains("project(cortexbot_bringup)", cmake);
        var install = System.Text.RegularExpressions.Regex.Match(cmake, @"install\(DIRECTORY ([^\n]+)").Groups[1].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEmpty(install);
        foreach (var dir in install) Assert.True(Directory.Exists(Path.Combine(Package, dir)), $"CMakeLists installs missing folder {dir}");
    }

    private static XElement Urdf() => XDocument.Load(Path.Combine(Package, "urdf", "cortexbot_arm.urdf.xacro")).Root!;

    private static double[] Vec(string? s) => [.. (s ?? "0 0 0").Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(x => double.Parse(x, CultureInfo.InvariantCulture))];

    [Fact]
    public void Urdf_is_well_formed_and_matches_the_mjcf_arm()
    {
        var robot = Urdf();
        var joints = robot.Elements("joint").Where(j => (string?)j.Attribute("type") == "revolute").ToList();
        Assert.Equal(Arm.JointNames, joints.Select(j => (string)j.Attribute("name")!));
        for (int i = 0; i < Arm.Dof; i++)
        {
            var j = joints[i];
            var a = Arm.Joints[i];
            Assert.Equal([a.Offset.X, a.Offset.Y, a.Offset.Z], Vec((string?)j.Element("origin")?.Attribute("xyz")));
            Assert.Equal([a.Axis.X, a.Axis.Y, a.Axis.Z], Vec((string?)j.Element("axis")!.Attribute("xyz")));
            var limit = j.Element("limit")!;
            Assert.Equal(a.Lower, (double)limit.Attribute("lower")!, 9);
            Assert.Equal(a.Upper, (double)limit.Attribute("upper")!, 9);
            Assert.Equal(a.MaxVelocity, (double)limit.Attribute("velocity")!, 9);
        }
        // the fingers are xacro macro calls, one per gripper joint
        XNamespace x = "http://www.ros.org/wiki/xacro";
        Assert.Equal(Fingers, robot.Elements(x + "finger").Select(f => (string)f.Attribute("name")!));
    }

    [Fact]
    public void Ros2_control_block_exposes_every_joint_for_gz_ros2_control()
    {
        var rc = Urdf().Element("ros2_control")!;
        Assert.Contains("gz_ros2_control/GazeboSimSystem", rc.Element("hardware")!.Descendants("plugin").Select(p => p.Value));
        var joints = rc.Elements("joint").ToList();
        Assert.Equal([.. Arm.JointNames, .. Fingers], joints.Select(j => (string)j.Attribute("name")!));
        foreach (var j in joints)
        {
            Assert.Contains("position", j.Elements("command_interface").Select(c => (string)c.Attribute("name")!));
            Assert.Equal(["position", "velocity"], j.Elements("state_interface").Select(c => (string)c.Attribute("name")!));
        }
    }

    [Fact]
    public void Controller_yaml_and_cortexbot_yaml_name_the_same_joints_and_topics_as_cortexbot()
    {
        var c = Yaml("config/controllers.yaml");
        var defaults = new Ros2Options();
        var cm = c.GetProperty("controller_manager").GetProperty("ros__parameters");
        Assert.Equal("joint_state_broadcaster/JointStateBroadcaster", cm.GetProperty("joint_state_broadcaster").GetProperty("type").GetString());
        Assert.Equal("joint_trajectory_controller/JointTrajectoryController", cm.GetProperty(defaults.Controller).GetProperty("type").GetString());
        Assert.Equal(Arm.JointNames, Strings(c.GetProperty(defaults.Controller).GetProperty("ros__parameters").GetProperty("joints")));
        // the gripper controller's name is the one in CortexBot's gripper topic /<name>/commands
        var gripper = defaults.GripperTopic.Split('/', StringSplitOptions.RemoveEmptyEntries)[0];
        Assert.Equal("forward_command_controller/ForwardCommandController", cm.GetProperty(gripper).GetProperty("type").GetString());
        Assert.Equal(Fingers, Strings(c.GetProperty(gripper).GetProperty("ros__parameters").GetProperty("joints")));
        Assert.Equal("position", c.GetProperty(gripper).GetProperty("ros__parameters").GetProperty("interface_name").GetString());

        var cb = Yaml("config/cortexbot.yaml").GetProperty("cortexbot");
        Assert.Equal(defaults.Controller, cb.GetProperty("controller").GetString());
        Assert.Equal(Fingers, Strings(cb.GetProperty("gripper_joints")));
        Assert.Equal(defaults.StaleAfter.TotalMilliseconds, cb.GetProperty("stale_ms").GetDouble());
        Assert.Equal(defaults.TrajectoryInterface.ToString().ToLowerInvariant(), cb.GetProperty("trajectory_interface").GetString());
    }

    [Fact]
    public void Cortexbot_yaml_is_a_valid_cortexbot_config_whose_values_reach_the_options()
    {
        var yaml = Path.Combine(Package, "config", "cortexbot.yaml");
        var parse = CortexBot.Cli.Commands.ConfigSources.Parse(CortexBot.Cli.Program.CreateRoot(),
            ["run", "--task", "put the red cube in the bin", "--config", yaml], new Dictionary<string, string>());
        Assert.True(parse.Errors.Count == 0, string.Join("; ", parse.Errors.Select(e => e.Message)));
        var cb = Yaml("config/cortexbot.yaml").GetProperty("cortexbot");
        Assert.Equal(CortexBot.Host.RobotKind.Ros2, parse.GetValue<CortexBot.Host.RobotKind>("--robot"));
        Assert.Equal(cb.GetProperty("node_name").GetString(), parse.GetValue<string>("--node-name"));
        Assert.Equal(cb.GetProperty("controller").GetString(), parse.GetValue<string>("--controller"));
        Assert.Equal(Ros2CommandInterface.Trajectory, parse.GetValue<Ros2CommandInterface>("--command-interface"));
        Assert.Equal(Ros2TrajectoryInterface.Topic, parse.GetValue<Ros2TrajectoryInterface>("--trajectory-interface"));
        Assert.Equal(cb.GetProperty("rate").GetDouble(), parse.GetValue<double>("--rate"));
        Assert.Equal(cb.GetProperty("stale_ms").GetDouble(), parse.GetValue<double>("--stale-ms"));
        Assert.Equal(string.Join(',', Fingers), parse.GetValue<string>("--gripper-joints"));

        // the file is checked as cortexbot checks it: a key it does not know is refused by name
        var broken = Path.Combine(Path.GetTempPath(), $"cortexbot-{Guid.NewGuid():N}.yaml");
        try
        {
            File.WriteAllText(broken, File.ReadAllText(yaml).Replace("stale_ms:", "stale_msec:"));
            var e = Assert.Throws<ConfigurationException>(() => CortexBot.Cli.Commands.ConfigSources.Parse(CortexBot.Cli.Program.CreateRoot(),
                ["run", "--task", "x", "--config", broken], new Dictionary<string, string>()));
            Assert.Contains("unknown key 'stale_msec'", e.Message);
        }
        finally
        {
            File.Delete(broken);
        }
    }
}
