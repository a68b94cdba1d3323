using Xunit.Abstractions;

namespace CortexBot.Cli.Tests;

/// <summary>`run --reset` and `--perception`: bad combinations are one line on stderr and exit 2, before anything moves.</summary>
public class WorldStartCliTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("--reset none", "error: --reset none needs --robot ros2: the embedded simulator always resets its world")]
    [InlineData("--reset home", "error: --reset home needs --robot ros2: the embedded simulator always resets its world")]
    [InlineData("--reset later", "error: --reset must be one of sim, home, none, gazebo, got 'later'")]
    [InlineData("--reset gazebo", "error: --reset gazebo needs --robot ros2: the embedded simulator always resets its world")]
    [InlineData("--gazebo-world cortexbot_tabletop", "error: --gazebo-world needs --robot ros2 (and a Gazebo world behind ros_gz_bridge)")]
    [InlineData("--robot ros2 --reset gazebo --perception sim",
        "error: --reset gazebo perceives the Gazebo world: --perception sim reads `cortexbot sim serve`'s scene topic, which Gazebo has not; use --perception detections or tf")]
    [InlineData("--robot ros2 --reset home --gazebo-world cortexbot_tabletop", "error: --gazebo-world is only used with --reset gazebo, not --reset home")]
    [InlineData("--robot ros2 --reset gazebo --gazebo-world world/one",
        "error: --gazebo-world must be a world name of letters, digits and underscores (it names the service /world/NAME/control), got 'world/one'")]
    [InlineData("--perception detections", "error: --perception detections needs --robot ros2: the embedded simulator's scene is its own")]
    [InlineData("--perception camera", "error: --perception must be one of sim, detections, tf, got 'camera'")]
    [InlineData("--perception tf", "error: --perception tf needs --robot ros2: the embedded simulator's scene is its own")]
    [InlineData("--perception-config sim/perception.json", "error: --perception-config needs --robot ros2 (with detections or tf)")]
    [InlineData("--robot ros2 --perception sim --perception-config sim/perception.json",
        "error: --perception-config is only used with --perception detections or tf, not with the simulator node's scene (--perception sim)")]
    [InlineData("--robot ros2 --perception detections --perception-config /nonexistent/perception.json", "error: perception file not found: /nonexistent/perception.json")]
    [InlineData("--robot ros2 --learned", "error: --learned needs per-tick object poses, which over ROS 2 only detections give: add --perception detections (or tf)")]
    public void Bad_world_start_flags_exit_2_with_one_line(string flags, string expected)
    {
        var r = CliProcess.Run(["run", "--task", "put the red cube in the bin", "--ros-loopback", "--memory", CliProcess.TempDb(),
            .. flags.Split(' ')], workingDirectory: CortexBot.Core.RepoPaths.Root);
        output.WriteLine(r.Stderr);
        Assert.Equal(2, r.Code);
        Assert.Equal(expected, Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public void A_bad_perception_file_is_one_line_naming_it()
    {
        var path = Path.Combine(Path.GetTempPath(), $"cortexbot-perception-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, """{ "table_height": 0, "classes": { "red_cube": { "name": "red_cube", "size": [0.04] } } }""");
        try
        {
            var r = CliProcess.Run("run", "--task", "put the red cube in the bin", "--robot", "ros2", "--ros-loopback", "--ros-domain", "231",
                "--reset", "none", "--perception", "detections", "--perception-config", path, "--memory", CliProcess.TempDb());
            output.WriteLine(r.Stderr);
            Assert.Equal(2, r.Code);
            Assert.Equal($"error: perception file {path}: classes.red_cube.size must be three positive lengths [x, y, z] in metres",
                Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        }
        finally { File.Delete(path); }
    }
}
