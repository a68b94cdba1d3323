using System.Text.Json;
using Xunit.Abstractions;

namespace CortexBot.Cli.Tests;

/// <summary>
/// `bench control`'s robot node rows and `bench nodes` as users run them: a real `robot serve` child process on loopback,
/// tiny counts; the shape and that the values are real, never timing bounds.
/// </summary>
public sealed class SplitBenchTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cortexbot-cli-nodes-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Bench_control_json_has_the_robot_node_rows_with_its_gc_counts_and_the_command_latency()
    {
        var r = CliProcess.Run("bench", "control", "--rate", "200", "--seconds", "0.5", "--commands", "3", "--json");
        output.WriteLine(r.Stderr);
        Assert.True(r.Code == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var rows = doc.RootElement.GetProperty("rows").EnumerateArray().ToList();
        var split = rows.Single(x => x.GetProperty("phase").GetString() == "control loop (robot node), allocating load in the brain node");
        Assert.True(split.GetProperty("ticks").GetInt64() > 20);
        var gc = split.GetProperty("robot_node_gc");
        foreach (var gen in new[] { "gen0", "gen1", "gen2" }) Assert.True(gc.GetProperty(gen).GetInt32() >= 0);
        // the in-process rows are this process's: no robot node GC on them
        Assert.False(rows.Single(x => x.GetProperty("phase").GetString() == "control loop, allocating load on all cores").TryGetProperty("robot_node_gc", out _));
        var latency = doc.RootElement.GetProperty("command_latency").EnumerateArray().ToList();
        Assert.Equal(2, latency.Count);
        Assert.All(latency, l =>
        {
            Assert.Equal(3, l.GetProperty("commands").GetInt32());
            Assert.Equal(3, l.GetProperty("timed").GetInt64() + l.GetProperty("not_applied_in_time").GetInt32());
            Assert.True(l.GetProperty("p50_us").GetInt64() > 0);
        });
    }

    [Fact]
    public void Bench_nodes_json_compares_the_split_with_one_process_on_the_same_seeds()
    {
        var r = CliProcess.Run("bench", "nodes", "--episodes", "2", "--block", "1", "--dir", _dir, "--json");
        output.WriteLine(r.Stderr);
        Assert.True(r.Code == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var root = doc.RootElement;
        var a = root.GetProperty("in_process");
        var b = root.GetProperty("robot_node");
        Assert.Equal(2, a.GetProperty("episodes").GetInt32());
        Assert.Equal(2, b.GetProperty("episodes").GetInt32());
        Assert.True(a.GetProperty("episodes_per_second").GetDouble() > 0 && b.GetProperty("episodes_per_second").GetDouble() > 0);
        Assert.Equal(Math.Round(b.GetProperty("episodes_per_second").GetDouble() / a.GetProperty("episodes_per_second").GetDouble(), 3),
            root.GetProperty("throughput_ratio").GetDouble());
        Assert.Equal(JsonValueKind.Object, b.GetProperty("robot_node_gc").ValueKind);
        Assert.True(b.GetProperty("commands_timed").GetInt64() > 0);
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public void Bad_counts_are_one_line_and_exit_2()
    {
        var r = CliProcess.Run("bench", "nodes", "--episodes", "0");
        Assert.Equal(2, r.Code);
        Assert.Equal("error: --episodes must be between 1 and 10000, got 0", r.Stderr.Trim());
    }
}
