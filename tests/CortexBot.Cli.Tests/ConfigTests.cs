using System.Text.Json;
using CortexBot.Cli.Commands;
using CortexBot.Core;
using Xunit.Abstractions;

namespace CortexBot.Cli.Tests;

/// <summary>`--config FILE` (JSON or YAML) and CORTEXBOT_* variables: flag &gt; environment &gt; file &gt; default, checked at start.</summary>
public sealed class ConfigTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cortexbot-cli-config-").FullName;
    private static readonly Dictionary<string, string> NoEnvironment = [];

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static System.CommandLine.ParseResult Parse(IReadOnlyDictionary<string, string> env, params string[] args)
    {
        var parse = ConfigSources.Parse(Program.CreateRoot(), args, env);
        Assert.True(parse.Errors.Count == 0, string.Join("; ", parse.Errors.Select(e => e.Message)));
        return parse;
    }

    [Fact]
    public void Flag_beats_environment_beats_file_beats_default()
    {
        var yaml = Write("c.yaml", "seed: 3\nepisodes: 4\nrate: 250\ntask: put the red cube in the bin\nfast: true\n");
        var env = new Dictionary<string, string> { ["CORTEXBOT_SEED"] = "5", ["CORTEXBOT_EPISODES"] = "6", ["CORTEXBOT_HOME"] = "/x", ["CORTEXBOT_NOT_AN_OPTION"] = "1" };
        var parse = Parse(env, "run", "--config", yaml, "--seed", "7");
        Assert.Equal(7, parse.GetValue<int>("--seed"));         // flag
        Assert.Equal(6, parse.GetValue<int>("--episodes"));     // environment over file
        Assert.Equal(250, parse.GetValue<double>("--rate"));    // file
        Assert.True(parse.GetValue<bool>("--fast"));            // file
        Assert.Equal(500, Parse(NoEnvironment, "run", "--task", "x").GetValue<double>("--rate")); // default
        Assert.Equal("put the red cube in the bin", parse.GetValue<string>("--task")); // a required option from the file
    }

    [Fact]
    public void Json_files_lists_and_global_options_bind_too()
    {
        var json = Write("c.json", """{ "task": "x", "perturb": ["red_cube:slippery", "blue_cube:mass=0.2"], "log_level": "debug", "robot": "ROS2" }""");
        var parse = Parse(NoEnvironment, "run", "--config", json);
        Assert.Equal(["red_cube:slippery", "blue_cube:mass=0.2"], parse.GetValue<string[]>("--perturb")!);
        Assert.Equal("debug", parse.GetValue<string>("--log-level"));
        Assert.Equal(CortexBot.Host.RobotKind.Ros2, parse.GetValue<CortexBot.Host.RobotKind>("--robot"));
    }

    [Fact]
    public void The_safety_envelope_flags_bind_from_files_and_the_environment()
    {
        var yaml = Write("env.yaml", "task: x\nmax_tool_speed: 0.1\nworkspace: \"-0.2,-0.5,0,0.8,0.5,1\"\n");
        var parse = Parse(NoEnvironment, "run", "--config", yaml);
        Assert.Equal(0.1, parse.GetValue<double?>("--max-tool-speed"));
        Assert.Equal("-0.2,-0.5,0,0.8,0.5,1", parse.GetValue<string>("--workspace"));
        var env = new Dictionary<string, string> { ["CORTEXBOT_MAX_TOOL_SPEED"] = "0.2" };
        Assert.Equal(0.2, Parse(env, "run", "--config", yaml).GetValue<double?>("--max-tool-speed"));
        Assert.Null(Parse(NoEnvironment, "run", "--task", "x").GetValue<double?>("--max-tool-speed"));
    }

    [Theory]
    [InlineData("--workspace", "0,0,0,1,1", "error: --workspace wants six numbers xmin,ymin,zmin,xmax,ymax,zmax (metres), got '0,0,0,1,1'")]
    [InlineData("--workspace", "1,0,0,0,1,1", "error: workspace minimum (1, 0, 0) must be below its maximum (0, 1, 1) on every axis")]
    [InlineData("--max-tool-speed", "0", "error: --max-tool-speed must be above 0 and at most 10 m/s, got 0")]
    public void Bad_envelope_flags_exit_2_with_one_line(string flag, string value, string expected)
    {
        var r = CliProcess.Run("run", "--task", "put the red cube in the bin", "--fast", "--memory", CliProcess.TempDb(), flag, value);
        output.WriteLine(r.Stderr);
        Assert.Equal(2, r.Code);
        Assert.Equal(expected, Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Theory]
    [InlineData("c.yaml", "task: x\nbogus: 1\n", "config {0}: unknown key 'bogus' (`cortexbot run` has no option --bogus)")]
    [InlineData("c.yaml", "task: x\nrate: fast\n", "config {0}: key 'rate': Cannot parse argument 'fast' for option '--rate'")]
    [InlineData("c.json", "{\"task\": \"x\", \"robot\": \"gazebo\"}", "config {0}: key 'robot': --robot must be one of sim, ros2, got 'gazebo'")]
    [InlineData("c.yaml", "task: [a, b]\n", "config {0}: key 'task': --task takes a single value, not a list")]
    [InlineData("c.yaml", "task: {a: 1}\n", "config {0}: key 'task': --task takes a single value, not a mapping")]
    [InlineData("c.yaml", "task: \"x\n", "config {0} is not valid YAML")]
    [InlineData("c.json", "[1, 2]", "config {0}: the top level must be an object")]
    public void Bad_files_exit_2_with_one_line_naming_the_key(string name, string text, string expected)
    {
        var path = Write(name, text);
        var r = CliProcess.Run("run", "--config", path, "--memory", CliProcess.TempDb());
        output.WriteLine(r.Stderr);
        Assert.Equal(2, r.Code);
        Assert.Equal("", r.Stdout);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: " + string.Format(expected, path), line);
    }

    [Fact]
    public void Bad_environment_values_and_missing_files_exit_2_naming_them()
    {
        var r = CliProcess.Run(["run", "--task", "x", "--fast"], new Dictionary<string, string> { ["CORTEXBOT_EPISODES"] = "many" });
        Assert.Equal(2, r.Code);
        Assert.StartsWith("error: environment variable CORTEXBOT_EPISODES: Cannot parse argument 'many'", r.Stderr.Trim());
        var missing = CliProcess.Run("run", "--task", "x", "--config", Path.Combine(_dir, "none.yaml"));
        Assert.Equal(2, missing.Code);
        Assert.StartsWith("error: config file not found:", missing.Stderr.Trim());
    }

    [Fact]
    public void A_run_configured_by_file_and_environment_runs_as_the_same_flags_would()
    {
        var yaml = Write("run.yaml", "cortexbot:\n  task: put the red cube in the bin\n  episodes: 1\n  fast: true\n  json: true\n");
        var r = CliProcess.Run(["run", "--config", yaml], new Dictionary<string, string> { ["CORTEXBOT_SEED"] = "4", ["CORTEXBOT_MEMORY"] = CliProcess.TempDb() });
        output.WriteLine(r.Stderr);
        Assert.True(r.Code == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Equal(4, doc.RootElement.GetProperty("episodes")[0].GetProperty("seed").GetInt32());
    }

    [Fact]
    public void The_launch_packages_cortexbot_yaml_is_a_valid_config()
    {
        var yaml = Path.Combine(RepoPaths.Root, "launch", "cortexbot_bringup", "config", "cortexbot.yaml");
        var parse = Parse(NoEnvironment, "run", "--task", "x", "--config", yaml);
        Assert.Equal(50, parse.GetValue<double>("--stale-ms"));
        Assert.Equal("finger_left,finger_right", parse.GetValue<string>("--gripper-joints"));
    }
}
