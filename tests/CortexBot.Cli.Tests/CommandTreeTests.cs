using System.Text.Json;
using Xunit.Abstractions;

namespace CortexBot.Cli.Tests;

/// <summary>The shape of the command line: one name per command, enumerated options listed and enforced.</summary>
public sealed class CommandTreeTests(ITestOutputHelper output)
{
    [Fact]
    public void Ros2_benchmark_lives_under_bench_and_the_old_names_are_gone()
    {
        var root = Program.CreateRoot();
        var bench = root.Subcommands.Single(c => c.Name == "bench");
        Assert.Contains(bench.Subcommands, c => c.Name == "ros2");
        Assert.Contains(bench.Subcommands, c => c.Name == "memory");
        Assert.DoesNotContain(root.Subcommands, c => c.Name == "ros2-bench");
        Assert.DoesNotContain(root.Subcommands.Single(c => c.Name == "memory").Subcommands, c => c.Name == "bench");

        var old = CliProcess.Run("ros2-bench", "--seconds", "1");
        Assert.Equal(2, old.Code);
        Assert.StartsWith("error: ", old.Stderr);
        var help = CliProcess.Run("bench", "ros2", "--help");
        Assert.Equal(0, help.Code);
        Assert.Contains("--rates", help.Stdout);
    }

    [Fact]
    public void Bench_memory_reports_durable_appends_and_the_scalar_baseline_beside_the_hnsw_rows()
    {
        var dir = Directory.CreateTempSubdirectory("cortexbot-bench-memory-").FullName;
        try
        {
            var r = CliProcess.Run("bench", "memory", "--sizes", "500", "--dim", "32", "--queries", "10", "--threads", "1",
                "--expansion-search", "32", "--dir", dir, "--json");
            output.WriteLine(r.Stderr);
            Assert.True(r.Code == 0, r.Stderr);
            using var doc = JsonDocument.Parse(r.Stdout);
            var row = doc.RootElement.GetProperty("rows")[0];
            Assert.Equal(500, row.GetProperty("episodes").GetInt32());
            Assert.True(row.GetProperty("single_appends_per_second").GetDouble() > 0);
            Assert.True(row.GetProperty("inserts_per_second").GetDouble() > 0);
            Assert.True(row.GetProperty("scalar_baseline_p99_us").GetDouble() >= row.GetProperty("scalar_baseline_p50_us").GetDouble());
            Assert.True(row.GetProperty("simd_speedup_p50").GetDouble() > 0);
            // SIMD exact search and the scalar loop find the same neighbours
            Assert.Equal(1.0, row.GetProperty("recall_at10_vs_scalar").GetDouble(), 3);
            Assert.Single(row.GetProperty("ann").EnumerateArray());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Theory]
    [InlineData("--robot", "gazebo", "sim, ros2")]
    [InlineData("--command-interface", "velocity", "trajectory, forward")]
    [InlineData("--trajectory-interface", "service", "topic, action")]
    [InlineData("--planner", "gpt", "rule, llama")]
    [InlineData("--ros-distro", "rolling", "humble, jazzy")]
    [InlineData("--onnx-device", "tpu", "cpu, cuda")]
    public void Run_refuses_a_value_outside_an_options_choices_with_one_line_and_exit_2(string option, string value, string listed)
    {
        var r = CliProcess.Run("run", "--task", "put the red cube in the bin", "--fast", option, value, "--memory", CliProcess.TempDb());
        output.WriteLine(r.Stderr);
        Assert.Equal(2, r.Code);
        Assert.Equal("", r.Stdout);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal($"error: {option} must be one of {listed}, got '{value}'", line);
    }

    [Fact]
    public void Help_lists_the_choices_of_enumerated_options()
    {
        var r = CliProcess.Run("run", "--help");
        Assert.Equal(0, r.Code);
        foreach (var choices in new[] { "<sim|ros2>", "<trajectory|forward>", "<topic|action>", "<rule|llama>", "<humble|jazzy>", "<cpu|cuda>" })
            Assert.Contains(choices, r.Stdout);
        var root = CliProcess.Run("--help");
        Assert.Contains("<trace|debug|information|warning|error|none>", root.Stdout);
    }

    [Fact]
    public void Enumerated_values_are_parsed_case_insensitively_into_the_enum()
    {
        var parse = Program.CreateRoot().Parse(["run", "--task", "x", "--robot", "ROS2"]);
        Assert.Empty(parse.Errors);
        Assert.Equal(CortexBot.Host.RobotKind.Ros2, parse.GetValue<CortexBot.Host.RobotKind>("--robot"));
        Assert.Equal(CortexBot.Host.RobotKind.Sim, Program.CreateRoot().Parse(["run", "--task", "x"]).GetValue<CortexBot.Host.RobotKind>("--robot"));
    }
}
