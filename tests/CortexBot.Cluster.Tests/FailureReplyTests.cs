using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Configuration;
using CortexBot.Cluster.Wire;

namespace CortexBot.Cluster.Tests;

/// <summary>
/// Status.Failure (what PipeTo answers when a task faults) travels by Akka.Remote's own serializer, which writes the
/// exception's custom fields through the bindings too: with the wire's no-fallback rule only fields Akka binds (string,
/// int, long, byte[]) cross. No organ answers across the split with a Status.Failure today; these pin what one would get.
/// </summary>
public sealed class FailureReplyTests : IDisposable
{
    private readonly ActorSystem _system = ActorSystem.Create("failures",
        ConfigurationFactory.ParseString("akka.actor.provider = remote\nakka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }")
            .WithFallback(CortexBotWire.Config));

    public void Dispose() => _system.Terminate().Wait(TimeSpan.FromSeconds(10));

    private object RoundTrip(object message)
    {
        var serializer = _system.Serialization.FindSerializerFor(message);
        return _system.Serialization.Deserialize(serializer.ToBinary(message), serializer.Identifier,
            Akka.Serialization.Serialization.ManifestFor(serializer, message));
    }

    [Fact]
    public void A_failure_with_plain_fields_crosses()
    {
        var back = Assert.IsType<Status.Failure>(RoundTrip(new Status.Failure(new ObjectDisposedException("control loop"))));
        var cause = Assert.IsType<ObjectDisposedException>(back.Cause);
        Assert.Equal("control loop", cause.ObjectName);
        Assert.IsType<TaskCanceledException>(Assert.IsType<Status.Failure>(RoundTrip(new Status.Failure(new TaskCanceledException("hold cancelled")))).Cause);
    }

    [Fact]
    public void A_failure_with_unbound_fields_is_refused_not_sent_as_json()
    {
        // ArgumentOutOfRangeException carries its ActualValue (here a double); AggregateException an Exception[].
        Assert.Throws<SerializationException>(() => RoundTrip(new Status.Failure(new ArgumentOutOfRangeException("seconds", 5.0, "too long"))));
        Assert.Throws<SerializationException>(() => RoundTrip(new Status.Failure(new AggregateException(new TimeoutException()))));
    }
}
