using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Hosting;
using Akka.Serialization;
using CortexBot.Cluster.Wire;
using CortexBot.Core.Messages;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CortexBot.Cluster.Tests;

public sealed class HostingTests
{
    [Fact]
    public async Task AddCortexBotWire_binds_the_crossing_messages_in_an_akka_hosting_host()
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddAkka("cortexbot", b => b.AddCortexBotWire());
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var system = host.Services.GetRequiredService<ActorSystem>();
            Assert.All(CrossingMessages.All, m => Assert.IsType<CortexBotWireSerializer>(system.Serialization.FindSerializerForType(m.Type)));
            Assert.Throws<SerializationException>(() => system.Serialization.FindSerializerForType(typeof(CancelPlanning)));
            // Akka's own types keep their serializers.
            Assert.IsType<ByteArraySerializer>(system.Serialization.FindSerializerForType(typeof(byte[])));
        }
        finally
        {
            await host.StopAsync();
        }
    }
}
