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
        Assert.Equal(expected.SceneAtStart.AsEnumerable(), actual.SceneAtStart.AsEnumerable());
        Assert.Equal(expected.SceneAtEnd.AsEnumerable(), actual.SceneAtEnd.AsEnumerable());
        Assert.Equal(expected.AnomalyEvents.AsEnumerable(), actual.AnomalyEvents.AsEnumerable());
        Assert.Equal(expected.Policy, actual.Policy);
        Assert.Equal(expected.Perturbations.AsEnumerable(), actual.Perturbations.AsEnumerable());
        Assert.Equal(expected.Goal.AsEnumerable(), actual.Goal.AsEnumerable());
        Assert.Equal(expected.Unmet.AsEnumerable(), actual.Unmet.AsEnumerable());
        Assert.Equal(expected.Tree, actual.Tree); // ExecutionTree compares its nodes by value
        Assert.Equal(expected.Interrupted, actual.Interrupted);
    }

    /// <summary>An episode with every field since schema 3: scenes, anomaly events, policy, a trace, perturbations, the goal and what was unmet.</summary>
    public static EpisodeRecord Rich(string instruction = "put the red cube in the bin", int seed = 11)
    {
        var trace = new EpisodeTrace(["j1", "j2", "j3"], 500, 0.04,
            [.. Enumerable.Range(0, 50).SelectMany(k => new[] { 0.01f * k, -0.5f + 0.002f * k, 1.25f, 0.04f - 0.0005f * k })]);
        return Episode(instruction, seed) with
        {
            Steps = [new StepRecord(0, "learned_pick_place(red_cube, bin)", SkillOutcome.Failed, "grasp missed", 0, 1.96, "hold_speed=0.5")],
            Anomalies = ["grasp_missed: gripper closed on nothing"],
            SceneAtStart = [new ObjectPlacement("red_cube", "cube", 0.41, -0.12, 0.02, 1.2345), new ObjectPlacement("bin", "bin", 0.1, 0.35, 0.05, 0)],
            SceneAtEnd = [new ObjectPlacement("red_cube", "cube", 0.4123, -0.1201, 0.02, -3.1), new ObjectPlacement("bin", "bin", 0.1, 0.35, 0.05, 0)],
            AnomalyEvents = [new AnomalyEvent("grasp_missed", 1.96, "gripper closed on nothing (opening 0.001 m)", 0)],
            Policy = new PolicyIdentity("pick_place.onnx", "sha256:0123456789abcdef"),
            Perturbations = [new AppliedPerturbation("red_cube", 0.2, 0.3), new AppliedPerturbation("blue_cube", 0.05, 1.125)],
            Goal = ["in(red_cube, bin)", "on(green_cube, blue_cube)"],
            Unmet = ["in(red_cube, bin)"],
            Tree = new ExecutionTree(instruction, NodeStatus.Failed, 0, 7.25,
            [
                new SubgoalNode("in(red_cube, bin)", NodeStatus.Repaired, 0, 5.5, "holds", 1,
                [
                    new SkillNode("pick(red_cube)", NodeStatus.Succeeded, 0, 1.96, 0),
                    new SkillNode("place(red_cube, bin)", NodeStatus.Failed, 1.96, 3.1, 1),
                    new SkillNode("pick(red_cube)", NodeStatus.Succeeded, 3.2, 4.4, 2),
                    new SkillNode("place(red_cube, bin)", NodeStatus.Succeeded, 4.4, 5.2, 3),
                ]),
                new SubgoalNode("on(green_cube, blue_cube)", NodeStatus.Failed, 5.5, 7.0, "knocked out again: green_cube is not on blue_cube", 0,
                    [new SkillNode("pick(green_cube)", NodeStatus.Succeeded, 5.5, 6.5, 4), new SkillNode("stack(green_cube, blue_cube)", NodeStatus.Skipped, null, null)]),
                new SubgoalNode(null, NodeStatus.Skipped, null, null, null, 0, [new SkillNode("move_home", NodeStatus.Skipped, null, null)]),
            ]),
            Trace = trace,
        };
    }

    public static void AssertSameTrace(EpisodeTrace? expected, EpisodeTrace? actual)
    {
        Assert.NotNull(expected);
        Assert.NotNull(actual);
        Assert.Equal(expected.Encode(), actual.Encode());
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
