using System.Collections.Immutable;
using CortexBot.Core.Messages;
using Microsoft.Data.Sqlite;

namespace CortexBot.Hippocampus.Tests;

internal static class Samples
{
    public static EpisodeRecord Episode(string instruction = "put the red cube in the bin", int seed = 7, int steps = 2,
        bool success = true, string? failureReason = null)
    {
        var plan = Enumerable.Range(0, steps).Select(i => $"skill_{i}(red_cube, bin)").ToImmutableArray();
        var stepRecords = Enumerable.Range(0, steps)
            .Select(i => new StepRecord(i, $"skill_{i}", i == steps - 1 && !success ? SkillOutcome.Failed : SkillOutcome.Succeeded,
                i % 2 == 0 ? null : $"detail {i}", 0.5 * i, 0.25 + i))
            .ToImmutableArray();
        return new EpisodeRecord(
            TaskId: Guid.NewGuid(),
            Instruction: instruction,
            Seed: seed,
            StartedAt: new DateTimeOffset(2025, 3, 14, 15, 9, 26, TimeSpan.FromHours(2)).AddTicks(5358979),
            DurationS: 12.5,
            Success: success,
            FailureReason: failureReason,
            Planner: "rule-based",
            Plan: plan,
            Steps: stepRecords,
            Anomalies: [],
            PlanLatencyMs: 3.25,
            ControllerVersion: "0.1.0-test");
    }

    public static void AssertSame(EpisodeRecord expected, EpisodeRecord? actual)
    {
        Assert.NotNull(actual);
        Assert.Equal(expected.TaskId, actual.TaskId);
        Assert.Equal(expected.Instruction, actual.Instruction);
        Assert.Equal(expected.Seed, actual.Seed);
        Assert.Equal(expected.StartedAt, actual.StartedAt);
        Assert.Equal(expected.StartedAt.Offset, actual.StartedAt.Offset);
        Assert.Equal(expected.DurationS, actual.DurationS);
        Assert.Equal(expected.Success, actual.Success);
        Assert.Equal(expected.FailureReason, actual.FailureReason);
        Assert.Equal(expected.Planner, actual.Planner);
        Assert.Equal(expected.Plan.AsEnumerable(), actual.Plan.AsEnumerable());
        Assert.Equal(expected.Anomalies.AsEnumerable(), actual.Anomalies.AsEnumerable());
        Assert.Equal(expected.PlanLatencyMs, actual.PlanLatencyMs);
        Assert.Equal(expected.ControllerVersion, actual.ControllerVersion);
        Assert.Equal(expected.Steps.AsEnumerable(), actual.Steps.AsEnumerable()); // StepRecord has value equality
    }

    /// <summary>A raw connection that really closes its file on dispose.</summary>
    public static SqliteConnection Raw(string path, SqliteOpenMode mode = SqliteOpenMode.ReadWriteCreate)
    {
        var c = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = mode, Pooling = false }.ToString());
        c.Open();
        return c;
    }

    public static object? Scalar(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }
}

/// <summary>A fresh folder under the temp dir, deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cortexbot-hippocampus-tests", Guid.NewGuid().ToString("N"));

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
