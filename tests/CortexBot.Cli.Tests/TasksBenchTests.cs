using System.Text.Json;
using Xunit.Abstractions;

namespace CortexBot.Cli.Tests;

/// <summary>`bench tasks` as users run it: real episodes per family in the embedded simulator, one JSON object with `--json`.</summary>
public sealed class TasksBenchTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cortexbot-cli-tasks-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Json_has_a_row_per_family_with_the_rates_and_leaves_no_memory_behind()
    {
        var r = CliProcess.Run("bench", "tasks", "--families", "pick-place", "--episodes", "2", "--dir", _dir, "--json");
        output.WriteLine(r.Stderr);
        Assert.True(r.Code == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var family = Assert.Single(doc.RootElement.GetProperty("families").EnumerateArray().ToList());
        Assert.Equal("pick-place", family.GetProperty("name").GetString());
        Assert.Equal(2, family.GetProperty("episodes").GetInt32());
        Assert.Equal(family.GetProperty("successes").GetInt32() / 2.0, family.GetProperty("success_rate").GetDouble());
        Assert.InRange(family.GetProperty("mean_duration_s").GetDouble(), 1, 60);   // robot time of real episodes
        // Planner calls are the slow path's plans: the second episode may come from memory.
        int fast = family.GetProperty("fast_plans").GetInt32(), slow = family.GetProperty("slow_plans").GetInt32();
        Assert.True(fast + slow >= 2 && slow >= 1, $"fast {fast}, slow {slow}");
        Assert.Equal(slow / 2.0, family.GetProperty("planner_calls_per_task").GetDouble());
        Assert.Equal(Math.Round(fast / (double)(fast + slow), 4), family.GetProperty("fast_share").GetDouble());
        Assert.Equal(JsonValueKind.Null, family.GetProperty("refused").ValueKind);
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public void Compare_recall_runs_each_family_with_memory_off_on_the_same_seeds_too()
    {
        var r = CliProcess.Run("bench", "tasks", "--families", "pick-place", "--episodes", "2", "--compare-recall", "--dir", _dir, "--json");
        output.WriteLine(r.Stderr);
        Assert.True(r.Code == 0, r.Stderr);
        using var doc = JsonDocument.Parse(r.Stdout);
        var family = Assert.Single(doc.RootElement.GetProperty("families").EnumerateArray().ToList());
        var off = family.GetProperty("without_recall");
        Assert.Equal(2, off.GetProperty("episodes").GetInt32());
        Assert.Equal(0, off.GetProperty("fast_plans").GetInt32());
        Assert.True(off.GetProperty("planner_calls_per_task").GetDouble() >= 1);
        Assert.Equal(off.GetProperty("successes").GetInt32() / 2.0, off.GetProperty("success_rate").GetDouble());
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public void Compare_recall_without_recall_is_one_line_and_exit_2()
    {
        var r = CliProcess.Run("bench", "tasks", "--families", "pick-place", "--compare-recall", "--no-recall");
        Assert.Equal(2, r.Code);
        Assert.Equal("error: --compare-recall runs every family with recall on and off; leave out --no-recall", r.Stderr.Trim());
    }

    [Fact]
    public void An_unknown_family_is_one_line_and_exit_2()
    {
        var r = CliProcess.Run("bench", "tasks", "--families", "juggling");
        Assert.Equal(2, r.Code);
        Assert.Equal("error: unknown task family juggling; known: pick-place, multi-place, stack-2, stack-3, sort", r.Stderr.Trim());
    }
}
