using CortexBot.Cluster.Wire;
using CortexBot.Core.Messages;

namespace CortexBot.Cluster.Tests;

/// <summary>
/// The fields issue 12's measurements added to schema 1 (a command's send stamp, the command latency in the control
/// counters, the perception counters in the robot node's status): each crosses exactly, and a message without them is
/// the frame it was.
/// </summary>
public sealed class WireMeasureFieldsTests
{
    private static readonly Guid Task = Guid.Parse("00112233-4455-6677-8899-aabbccddeeff");

    private static T RoundTrip<T>(T message) where T : notnull => (T)WireCodec.Decode(WireCodec.ManifestOf(message), WireCodec.Encode(message));

    private static ControlCounters Counters() => new(1000, 999.9, 8, 40, 900, 1, 5000, "realtime", true, 0, 0, 0, 1.0, 0.5, 0, 0, 0.001);

    [Fact]
    public void A_commands_send_stamp_crosses_and_an_unstamped_command_is_unchanged()
    {
        var command = new ExecuteSkill(Task, 2, SkillInvocation.Of(SkillNames.MoveHome));
        long stamp = 1_765_432_109_876_543_210;
        Assert.Equal(stamp, RoundTrip(command with { SentUnixNs = stamp }).SentUnixNs);
        Assert.Equal(0, RoundTrip(command).SentUnixNs);
        // the stamp is field 6 (varint), appended; without it the frame is byte for byte what schema 1 had
        var stamped = WireCodec.Encode(command with { SentUnixNs = stamp });
        var plain = WireCodec.Encode(command);
        Assert.Equal(plain, stamped[..plain.Length]);
        Assert.Equal(0x30, stamped[plain.Length]);
    }

    [Fact]
    public void The_command_latency_crosses_in_the_robot_status()
    {
        var status = new RobotStatus("r", 7, 1, 0, 0, null, Counters() with
        {
            CommandsTimed = 99, CommandLatencyP50Us = 640, CommandLatencyP99Us = 1_850, CommandLatencyMaxUs = 9_001,
        });
        var c = RoundTrip(status).Control;
        Assert.Equal((99L, 640L, 1_850L, 9_001L), (c.CommandsTimed, c.CommandLatencyP50Us, c.CommandLatencyP99Us, c.CommandLatencyMaxUs));
    }

    [Fact]
    public void The_perception_counters_cross_in_the_robot_status_and_stay_absent_without_a_perception_node()
    {
        var counters = new PerceptionCounters(FramesAccepted: 300, FramesRefusedStale: 2, FramesOutOfOrder: 1, Detections: 1_200, UnknownDetections: 9,
            FixtureDetections: 299, RejectedDetections: 3, Jumps: 4, Vanished: 5, FramesBeforeReset: 6);
        var status = new RobotStatus("r", 7, 1, 0, 0, "b", Counters()) { Perception = counters };
        Assert.Equal(counters, RoundTrip(status).Perception);
        var sim = new RobotStatus("r", 7, 1, 0, 0, "b", Counters());
        Assert.Null(RoundTrip(sim).Perception);
    }

    [Fact]
    public void A_persistent_robot_nodes_perception_counters_give_the_runs_share()
    {
        var start = new PerceptionCounters(10, 1, 0, 40, 2, 10, 0, 0, 1, 0);
        var end = new PerceptionCounters(25, 1, 2, 100, 5, 25, 1, 3, 1, 4);
        Assert.Equal(new PerceptionCounters(15, 0, 2, 60, 3, 15, 1, 3, 0, 4), end.Since(start));
    }
}
