using Akka.Configuration;
using Akka.Hosting;

namespace CortexBot.Cluster.Wire;

/// <summary>The wire between the brain node and the robot node: its schema version and its Akka configuration.</summary>
public static class CortexBotWire
{
    /// <summary>
    /// The version of <c>cortexbot_wire.proto</c> this build speaks, carried in every frame. Raise it with any change to
    /// an existing message or manifest: nodes of different versions then refuse each other's messages by name (new
    /// messages under new manifests: see the rules in the .proto).
    /// </summary>
    public const byte SchemaVersion = 1;

    /// <summary>The serializer's name in <c>akka.actor.serializers</c>.</summary>
    public const string SerializerName = "cortexbot-wire";

    /// <summary>
    /// The serializer, a binding of every type in <see cref="CrossingMessages.All"/> to it, and
    /// <c>allow-unregistered-types = off</c>: a message without an explicit binding (a CortexBot message that should not
    /// cross, or a new one nobody mapped) is refused when it is about to be sent, instead of silently falling back to
    /// Akka's JSON serializer. Akka's and Akka.Remote's own messages have their own bindings and are not affected.
    /// </summary>
    public static string Hocon { get; } = BuildHocon();

    public static Config Config => ConfigurationFactory.ParseString(Hocon);

    /// <summary>Adds <see cref="Hocon"/> ahead of the host's own settings (for Akka.Hosting hosts: brain and robot nodes).</summary>
    public static AkkaConfigurationBuilder AddCortexBotWire(this AkkaConfigurationBuilder builder) =>
        builder.AddHocon(Hocon, HoconAddMode.Prepend);

    /// <summary>
    /// Null when a peer speaking <paramref name="peerSchema"/> can talk to this node; otherwise the one line to show the user.
    /// </summary>
    public static string? Incompatibility(int peerSchema) => peerSchema == SchemaVersion
        ? null
        : $"CortexBot wire: the peer speaks schema {peerSchema}, this node schema {SchemaVersion}; run the same CortexBot version on the brain and the robot node";

    private static string BuildHocon()
    {
        var serializer = typeof(CortexBotWireSerializer);
        var bindings = string.Join("\n", CrossingMessages.All.Select(m => $"      \"{m.Type.FullName}, {m.Type.Assembly.GetName().Name}\" = {SerializerName}"));
        return $$"""
            akka.actor {
              serializers {
                {{SerializerName}} = "{{serializer.FullName}}, {{serializer.Assembly.GetName().Name}}"
              }
              serialization-bindings {
            {{bindings}}
              }
              serialization-settings.allow-unregistered-types = off
            }
            """;
    }
}
