using System.Text.Json;
using Xunit.Abstractions;

namespace CortexBot.Cli.Tests;

/// <summary>Impossible or contradictory tasks are bad input: `plan` and `run` say why in one line on stderr and exit 2.</summary>
public sealed class TaskRefusalCliTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("stack the bin on the cube", "I can't stack a bin: it is a container")]
    [InlineData("put the cube in the cube", "a cube is not a container; I can only put things into: bin")]
    [InlineData("stack the red cube on itself", "I can't stack the red cube on itself")]
    [InlineData("build a tower of the red, green and red cubes", "a tower uses each object once, but red_cube is named twice")]
    [InlineData("put the red cube in the bin and on the blue cube", "that contradicts itself: the red cube cannot end both in the bin and on the blue cube; ask for one place")]
    public void Plan_refuses_an_impossible_task_with_one_line_and_exit_2(string task, string reason)
    {
        var r = CliProcess.Run("plan", "--task", task, "--seed", "1", "--recall", "0");
        output.WriteLine(r.Stderr);
        Assert.Equal(2, r.Code);
        Assert.Equal("", r.Stdout);
        Assert.Equal($"error: {reason}", Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public void Plan_json_prints_the_goal_and_exits_0_with_a_plan()
    {
        var r = CliProcess.Run("plan", "--task", "stack the red cube on the blue cube", "--seed", "1", "--recall", "0", "--json");
        output.WriteLine(r.Stderr);
        Assert.Equal(0, r.Code);
        using var doc = JsonDocument.Parse(r.Stdout);
        Assert.Equal(["on(red_cube, blue_cube)"], doc.RootElement.GetProperty("goal").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(["pick(red_cube)", "stack(red_cube, blue_cube)"], doc.RootElement.GetProperty("plan").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public void Run_refuses_a_contradictory_task_with_one_line_and_exit_2()
    {
        var r = CliProcess.Run("run", "--task", "stack the red cube on the red cube", "--fast", "--json", "--memory", CliProcess.TempDb());
        output.WriteLine(r.Stderr);
        Assert.Equal(2, r.Code);
        Assert.Equal("", r.Stdout);
        Assert.Equal("error: I can't stack red_cube on itself", Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries)));
    }
}
