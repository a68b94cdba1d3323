using Akka.Actor;
using Akka.Serialization;
using CortexBot.Cluster.Wire;
using CortexBot.Core.Messages;
using Xunit.Abstractions;

namespace CortexBot.Cluster.Tests;

/// <summary>What the explicit wire saves over Akka's default JSON serializer for the two most frequent messages (bytes, not speed).</summary>
public sealed class WireSizeTests(ITestOutputHelper output) : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("sizes");

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    [Theory]
    [InlineData(typeof(ExecuteSkill))]
    [InlineData(typeof(RobotStateSnapshot))]
    public void A_frame_is_under_half_the_default_json(Type type)
    {
        var message = WireSamples.All.First(m => m.GetType() == type);
        var json = new NewtonSoftJsonSerializer((ExtendedActorSystem)_system);
        // What travels besides the envelope: the body and, for the wire, its string manifest; JSON names the type inside its body.
        int wire = WireCodec.Encode(message).Length + WireCodec.ManifestOf(message).Length;
        int defaultJson = json.ToBinary(message).Length;
        output.WriteLine($"{type.Name}: protobuf frame + manifest {wire} bytes, default JSON {defaultJson} bytes");
        Assert.True(wire * 2 < defaultJson, $"{type.Name}: {wire} bytes on the wire vs {defaultJson} as JSON");
    }
}
