using Akka.Actor;
using Akka.Serialization;
using CortexBot.Cluster.Wire;
using CortexBot.Core.Messages;

namespace CortexBot.Cluster.Tests;

public sealed class WireRoundTripTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("wire", CortexBotWire.Config);

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    public static TheoryData<string, object> Samples() => WireSamples.Rows();

    [Fact]
    public void The_codec_maps_exactly_the_crossing_messages()
    {
        var crossing = CrossingMessages.All.Select(m => m.Type).ToHashSet();
        Assert.Equal(crossing.Count, CrossingMessages.All.Length); // listed once each
        var unmapped = crossing.Where(t => !WireCodec.Maps(t)).Select(t => t.Name).ToList();
        Assert.True(unmapped.Count == 0, $"crossing messages without a wire mapping: {string.Join(", ", unmapped)}");
        var notCrossing = WireCodec.MappedTypes.Where(t => !crossing.Contains(t)).Select(t => t.Name).ToList();
        Assert.True(notCrossing.Count == 0, $"mapped but not in CrossingMessages: {string.Join(", ", notCrossing)}");
    }

    [Fact]
    public void Every_crossing_message_has_samples_that_set_every_field()
    {
        foreach (var crossing in CrossingMessages.All)
        {
            var samples = WireSamples.All.Where(s => s.GetType() == crossing.Type).ToList();
            Assert.True(samples.Count > 0, $"no sample of {crossing.Type.Name} in WireSamples");
            var missing = FieldCoverage.Fields(crossing.Type);
            missing.ExceptWith(samples.SelectMany(FieldCoverage.Set));
            Assert.True(missing.Count == 0, $"no {crossing.Type.Name} sample gives these fields a non-default value: {string.Join(", ", missing)}");
        }
    }

    [Theory, MemberData(nameof(Samples), DisableDiscoveryEnumeration = true)]
    public void Round_trips_equal_through_the_codec(string name, object message)
    {
        var back = WireCodec.Decode(WireCodec.ManifestOf(message), WireCodec.Encode(message));
        Assert.True(Structural.Difference(message, back) is null, $"{name}: {Structural.Difference(message, back)}");
    }

    [Theory, MemberData(nameof(Samples), DisableDiscoveryEnumeration = true)]
    public void Round_trips_equal_through_akka_serialization(string name, object message)
    {
        var serializer = _system.Serialization.FindSerializerFor(message);
        Assert.IsType<CortexBotWireSerializer>(serializer);
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, message);
        Assert.InRange(manifest.Length, 2, 3);
        var bytes = serializer.ToBinary(message);
        var back = _system.Serialization.Deserialize(bytes, serializer.Identifier, manifest);
        Assert.True(Structural.Difference(message, back) is null, $"{name}: {Structural.Difference(message, back)}");
    }

    [Fact]
    public void An_episode_trace_crosses_byte_for_byte()
    {
        // Structural equality sees the trace's shape, not its samples: compare its stored blob (NaN poses included).
        var sent = new EpisodeTraceEnded(Guid.NewGuid(), 12.374, WireSamples.Trace());
        var back = (EpisodeTraceEnded)WireCodec.Decode("td", WireCodec.Encode(sent));
        Assert.Equal(sent.Trace!.Encode(), back.Trace!.Encode());
        Assert.False(back.Trace.TryGetObjectPose(1, 0, out _));
        Assert.Equal(-1.1f, back.Trace.Joint(1, 1));
    }

    [Fact]
    public void Manifests_are_short_and_distinct()
    {
        var manifests = CrossingMessages.All.Select(m => WireCodec.ManifestOf(WireSamples.All.First(s => s.GetType() == m.Type))).ToList();
        Assert.Equal(manifests.Count, manifests.Distinct(StringComparer.Ordinal).Count());
        Assert.All(manifests, m => Assert.InRange(m.Length, 2, 3));
    }

    [Fact]
    public void Every_frame_carries_the_schema_version()
    {
        Assert.All(WireSamples.All, m =>
        {
            var frame = WireCodec.Encode(m);
            Assert.Equal(WireCodec.Magic, frame[0]);
            Assert.Equal(CortexBotWire.SchemaVersion, frame[1]);
        });
    }
}
