using System.Text.Json;
using CortexBot.Cli.Benchmarks;
using CortexBot.Core.Json;

namespace CortexBot.Cli.Tests;

/// <summary>
/// `bench ros2-episodes` without DDS: its summary of episodes (percentiles, ratios to the baseline, failures), the node's
/// closing line read back, and bad flags refused before anything starts. The real run is in CortexBot.Sim.Ros2.Tests.
/// </summary>
public sealed class Ros2EpisodeBenchTests
{
    private static EpisodeSample S(string iface, int seed, bool ok, long? msgs, double? track, double? robot, string? failure = null) =>
        new(iface, seed, iface == "embedded" ? null : 120, ok, msgs, track, robot, 10, failure, null);

    [Fact]
    public void Summary_counts_successes_takes_nearest_rank_percentiles_and_ratios_to_the_baseline()
    {
        var samples = new List<EpisodeSample>
        {
            S("embedded", 1, true, null, 0.010, 7.0), S("embedded", 2, true, null, 0.020, 8.0),
            S("embedded", 3, true, null, 0.030, 9.0), S("embedded", 4, false, null, 0.040, 10.0, "timeout"),
            S("topic", 1, true, 6, 0.020, 7.5), S("topic", 2, true, 8, 0.040, 8.5),
            S("topic", 3, false, null, null, null, "perception stale"), S("topic", 4, false, 7, 0.080, 11.0, "goal not reached"),
        };
        var r = Ros2EpisodeReport.Summarize("put the red cube in the bin", 4, 1, 0.005, 15, ["topic"], samples);

        Assert.Equal(3, r.Baseline.Successes);
        Assert.Equal(4, r.Baseline.Episodes);
        Assert.Null(r.Baseline.MessagesP50);
        Assert.Equal(0.020, r.Baseline.TrackingErrorP99RadP50);   // nearest rank: the 2nd of 4
        Assert.Equal(0.040, r.Baseline.TrackingErrorP99RadP99);
        Assert.Equal(8.0, r.Baseline.RobotTimeP50S);
        Assert.Null(r.Baseline.SuccessRateRatio);

        var t = Assert.Single(r.Interfaces);
        Assert.Equal("topic", t.Interface);
        Assert.Equal(2, t.Successes);
        Assert.Equal(0.5, t.SuccessRate);
        Assert.Equal(0.67, t.SuccessRateRatio);                     // 0.5 / 0.75
        Assert.Equal(7, t.MessagesP50);                              // of 6, 7, 8: the episode without a report has no count
        Assert.Equal(8, t.MessagesMax);
        Assert.Equal(0.040, t.TrackingErrorP99RadP50);
        Assert.Equal(0.080, t.TrackingErrorP99RadP99);
        Assert.Equal(2.0, t.TrackingErrorP50Ratio);
        Assert.Equal(2.0, t.TrackingErrorP99Ratio);
        Assert.Equal(["seed 3: perception stale", "seed 4: goal not reached"], t.Failures);
        Assert.Equal(["seed 4: timeout"], r.Baseline.Failures);

        var table = r.ToTable();
        Assert.Contains("topic", table);
        Assert.Contains("2/4", table);
        Assert.Contains("  topic seed 3: perception stale", table);

        // the JSON document's names are the project's snake_case
        using var doc = JsonDocument.Parse(JsonSerializer.Serialize(r, CortexBotJson.Options));
        var row = doc.RootElement.GetProperty("interfaces")[0];
        foreach (var name in new[] { "success_rate", "success_rate_ratio", "messages_p50", "messages_max", "tracking_error_p99_rad_p50",
                     "tracking_error_p99_rad_p99", "tracking_error_p50_ratio", "tracking_error_p99_ratio", "robot_time_p50_s", "robot_time_p50_ratio", "failures" })
            Assert.True(row.TryGetProperty(name, out _), name);
        Assert.Equal(8, doc.RootElement.GetProperty("samples").GetArrayLength());
        Assert.Equal("embedded", doc.RootElement.GetProperty("baseline").GetProperty("interface").GetString());
    }

    [Fact]
    public void Without_a_baseline_success_there_is_no_success_ratio()
    {
        var r = Ros2EpisodeReport.Summarize("t", 1, 1, 0, 15, ["action"],
            [S("embedded", 1, false, null, null, null, "boom"), S("action", 1, true, 5, 0.01, 7)]);
        Assert.Null(r.Interfaces[0].SuccessRateRatio);
        Assert.Null(r.Interfaces[0].TrackingErrorP50Ratio);
        Assert.Equal(1, r.Interfaces[0].SuccessRate);
    }

    [Fact]
    public void The_nodes_closing_line_is_read_back_with_and_without_a_rejection_reason()
    {
        const string plain = "sim serve: stopped after 4632 ticks; trajectories 7, forward commands 0, gripper commands 4, rejected 0, resets 0, late ticks 12, " +
            "controller states 463, images 23 (failed 0); goals 0 received, 0 accepted, 0 rejected, 0 succeeded, 0 canceled, 0 aborted; detection frames 139";
        var c = Ros2EpisodeBenchmark.ParseNodeCounters(["sim serve: node /cortexbot_sim, ROS domain 120 (loopback), 500 Hz", plain])!;
        Assert.Equal(new SimNodeCounters(4632, 7, 0, 4, 0, 12, 0, 0, 0, 0, 0, 0, 139), c);

        const string rejected = "sim serve: stopped after 10 ticks; trajectories 1, forward commands 2, gripper commands 3, rejected 4, resets 5, late ticks 6, " +
            "controller states 1, images 0 (failed 0: no OSMesa, 3 tries); goals 9 received, 8 accepted, 1 rejected (last: joint elbow (4) missing, 2 points), " +
            "7 succeeded, 0 canceled, 1 aborted";
        c = Ros2EpisodeBenchmark.ParseNodeCounters([rejected, "sim serve: something after"])!;
        Assert.Equal(new SimNodeCounters(10, 1, 2, 3, 4, 6, 9, 8, 1, 7, 0, 1, null), c);

        Assert.Null(Ros2EpisodeBenchmark.ParseNodeCounters(["sim serve: node /cortexbot_sim ..."]));
    }

    [Fact]
    public void A_failed_run_is_told_by_its_error_line()
    {
        Assert.Equal("cannot start: perception stale", Ros2EpisodeBenchmark.OneLine("warning: slow\nerror: cannot start: perception stale\n\n"));
        Assert.Equal("last words", Ros2EpisodeBenchmark.OneLine("first\nlast words\n"));
        Assert.Null(Ros2EpisodeBenchmark.OneLine("\n"));
    }

    [Theory]
    [InlineData("--interfaces", "topic,bogus", "--interfaces must be one of topic, action, forward, got 'bogus'")]
    [InlineData("--interfaces", "topic,topic", "--interfaces names topic twice")]
    [InlineData("--episodes", "0", "--episodes must be between 1 and 1000, got 0")]
    [InlineData("--detection-noise", "-1", "--detection-noise must be between 0 and 0.5 metres, got -1")]
    [InlineData("--detection-rate", "0", "--detection-rate must be in (0, 100] Hz, got 0")]
    [InlineData("--ros-domain", "230", "--ros-domain must be between 0 and 217")]
    [InlineData("--first-seed", "-3", "--first-seed must be 0 or more, got -3")]
    public void Bad_flags_exit_2_with_one_line_before_anything_starts(string flag, string value, string message)
    {
        var r = CliProcess.Run("bench", "ros2-episodes", flag, value);
        Assert.Equal(2, r.Code);
        Assert.Equal("", r.Stdout);
        var line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: " + message, line, StringComparison.Ordinal);
    }
}
