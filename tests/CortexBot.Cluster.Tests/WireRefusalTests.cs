using System.Runtime.Serialization;
using Akka.Actor;
using CortexBot.Cluster.Wire;
using CortexBot.Core.Messages;
using Proto = CortexBot.Cluster.Wire.Proto;

namespace CortexBot.Cluster.Tests;

public sealed class WireRefusalTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("wire", CortexBotWire.Config);

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    private static readonly ExecuteSkill Command = (ExecuteSkill)WireSamples.All.First(m => m is ExecuteSkill);

    private object Deserialize(byte[] bytes, string manifest) => _system.Serialization.Deserialize(bytes, CortexBotWireSerializer.Id, manifest);

    [Fact]
    public void An_unknown_manifest_is_refused()
    {
        var e = Assert.Throws<SerializationException>(() => Deserialize(WireCodec.Encode(Command), "zz"));
        Assert.Contains("unknown message manifest 'zz'", e.Message);
    }

    [Fact]
    public void A_frame_of_another_schema_version_is_refused_by_name()
    {
        var frame = WireCodec.Encode(Command);
        frame[1] = CortexBotWire.SchemaVersion + 1;
        var e = Assert.Throws<SerializationException>(() => Deserialize(frame, "xs"));
        Assert.Contains($"the peer speaks schema {CortexBotWire.SchemaVersion + 1}, this node schema {CortexBotWire.SchemaVersion}", e.Message);
        Assert.Null(CortexBotWire.Incompatibility(CortexBotWire.SchemaVersion));
    }

    public static TheoryData<string, byte[]> Garbled()
    {
        var good = WireCodec.Encode(Command);
        var random = new byte[64];
        new Random(12).NextBytes(random);
        random[0] = WireCodec.Magic;
        random[1] = CortexBotWire.SchemaVersion;
        return new TheoryData<string, byte[]>
        {
            { "empty", [] },
            { "no header", good[2..] },
            { "random body", random },
            { "truncated", good[..^3] },
            // A well-formed field 99 (varint 1) that schema 1 does not have.
            { "foreign field", [.. good, 0x98, 0x06, 0x01] },
            // task_id (field 1, bytes) of 15 bytes instead of 16.
            { "short task id", [WireCodec.Magic, CortexBotWire.SchemaVersion, 0x0A, 15, .. new byte[15]] },
            // A body without the skill invocation.
            { "missing skill", [WireCodec.Magic, CortexBotWire.SchemaVersion, 0x0A, 16, .. new byte[16], 0x10, 0x01] },
        };
    }

    [Theory, MemberData(nameof(Garbled))]
    public void A_garbled_frame_is_refused(string name, byte[] frame)
    {
        var e = Assert.Throws<SerializationException>(() => Deserialize(frame, "xs"));
        Assert.True(e.Message.StartsWith("CortexBot wire: garbled ExecuteSkill frame", StringComparison.Ordinal), $"{name}: {e.Message}");
    }

    [Fact]
    public void A_skill_result_without_an_outcome_is_refused()
    {
        var result = (SkillResult)WireSamples.All.First(m => m is SkillResult);
        var proto = Proto.SkillResult.Parser.ParseFrom(WireCodec.Encode(result).AsSpan(2));
        proto.Outcome = Proto.SkillOutcome.Unspecified;
        byte[] frame = [WireCodec.Magic, CortexBotWire.SchemaVersion, .. Google.Protobuf.MessageExtensions.ToByteArray(proto)];
        var e = Assert.Throws<SerializationException>(() => Deserialize(frame, "sr"));
        Assert.Contains("SkillResult.outcome 0 is not an outcome", e.Message);
    }

    [Fact]
    public void A_trace_that_is_not_a_trace_is_refused_by_name()
    {
        var proto = new Proto.EpisodeTraceEnded
        {
            TaskId = Google.Protobuf.ByteString.CopyFrom(new byte[16]), RobotSeconds = 1, Trace = Google.Protobuf.ByteString.CopyFromUtf8("CBTX not a trace"),
        };
        byte[] frame = [WireCodec.Magic, CortexBotWire.SchemaVersion, .. Google.Protobuf.MessageExtensions.ToByteArray(proto)];
        var e = Assert.Throws<SerializationException>(() => Deserialize(frame, "td"));
        Assert.Equal("CortexBot wire: garbled EpisodeTraceEnded frame: EpisodeTraceEnded.trace: not an episode trace (no CBTR header)", e.Message);
    }

    [Fact]
    public void A_robot_clock_without_a_tick_period_is_refused()
    {
        byte[] frame = [WireCodec.Magic, CortexBotWire.SchemaVersion, .. Google.Protobuf.MessageExtensions.ToByteArray(new Proto.RobotClock { Tick = 5 })];
        var e = Assert.Throws<SerializationException>(() => Deserialize(frame, "rc"));
        Assert.Contains("RobotClock.period_s is 0, a tick period must be positive", e.Message);
    }

    public static TheoryData<string, object> Broken() => new()
    {
        { "AbortSkill: null reason", new AbortSkill(null!) },
        { "ExecuteSkill: ExecuteSkill.Skill is null", new ExecuteSkill(Guid.NewGuid(), 0, null!) },
        { "WorldReady: WorldReady.Scene is null", new WorldReady(1, null!) },
        { "SceneSnapshot: SceneSnapshot.Objects[] is null", new SceneSnapshot(1, [null!]) },
    };

    [Theory, MemberData(nameof(Broken), DisableDiscoveryEnumeration = true)]
    public void A_message_that_breaks_its_record_is_refused_when_written(string expected, object message)
    {
        var e = Assert.Throws<SerializationException>(() => WireCodec.Encode(message));
        var (type, detail) = (expected.Split(": ")[0], expected.Split(": ")[1]);
        Assert.StartsWith($"CortexBot wire: cannot write {type}", e.Message);
        if (!detail.StartsWith("null", StringComparison.Ordinal)) Assert.Contains(detail, e.Message);
    }

    [Fact]
    public void A_message_that_does_not_cross_has_no_mapping()
    {
        var e = Assert.Throws<SerializationException>(() => WireCodec.Encode(new CancelPlanning(Guid.NewGuid())));
        Assert.Contains("CortexBot.Core.Messages.CancelPlanning is not a message between the brain and the robot node", e.Message);
    }

    [Fact]
    public void Akka_refuses_an_unbound_type_instead_of_falling_back_to_json()
    {
        // Without the wire's settings Akka would serialize it with its default JSON serializer...
        using (var plain = ActorSystem.Create("plain"))
        {
            Assert.IsType<Akka.Serialization.NewtonSoftJsonSerializer>(plain.Serialization.FindSerializerForType(typeof(CancelPlanning)));
            plain.Terminate().Wait(TimeSpan.FromSeconds(10));
        }
        // ...with them, an unbound type has no serializer at all, and crossing types have ours.
        Assert.Throws<SerializationException>(() => _system.Serialization.FindSerializerForType(typeof(CancelPlanning)));
        Assert.Throws<SerializationException>(() => _system.Serialization.FindSerializerFor(new PlanReady(Guid.NewGuid(), new Plan([]), "rule", TimeSpan.Zero)));
        Assert.All(CrossingMessages.All, m => Assert.IsType<CortexBotWireSerializer>(_system.Serialization.FindSerializerForType(m.Type)));
    }
}
