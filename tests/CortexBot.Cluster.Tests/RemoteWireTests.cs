using System.Threading.Channels;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Remote;
using Akka.Serialization;
using CortexBot.Cluster.Wire;
using CortexBot.Core.Messages;

namespace CortexBot.Cluster.Tests;

/// <summary>A frame written as is, under a manifest of our choosing: what a broken or foreign peer could send.</summary>
public sealed record Forged(string Manifest, byte[] Frame);

/// <summary>
/// Stands in for the wire serializer on the sending side (same id, so the receiver hands its frames to the real one):
/// writes <see cref="Forged"/> frames verbatim and everything else as the real serializer does.
/// </summary>
public sealed class ForgingWireSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public override int Identifier => CortexBotWireSerializer.Id;
    public override string Manifest(object o) => o is Forged f ? f.Manifest : WireCodec.ManifestOf(o);
    public override byte[] ToBinary(object obj) => obj is Forged f ? f.Frame : WireCodec.Encode(obj);
    public override object FromBinary(byte[] bytes, string manifest) => WireCodec.Decode(manifest, bytes);
}

/// <summary>Two actor systems in this process talking over Akka.Remote on loopback, as the brain and robot nodes will.</summary>
public sealed class RemoteWireTests : IAsyncLifetime
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    private static Config Remote => ConfigurationFactory.ParseString("""
        akka.actor.provider = remote
        akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
        akka.loglevel = INFO
        """);

    private ActorSystem _robot = null!;
    private ActorSystem _brain = null!;
    private readonly Channel<object> _cerebellumGot = Channel.CreateUnbounded<object>();
    private readonly Channel<object> _episodeGot = Channel.CreateUnbounded<object>();
    private readonly Channel<LogEvent> _robotLog = Channel.CreateUnbounded<LogEvent>();
    private readonly Channel<LogEvent> _brainLog = Channel.CreateUnbounded<LogEvent>();
    private readonly Channel<object> _robotLinkEvents = Channel.CreateUnbounded<object>();
    private IActorRef _cerebellum = null!;
    private IActorRef _episode = null!;

    /// <summary>The robot side's stand-in cerebellum: records what arrives, answers an ExecuteSkill with a SkillResult.</summary>
    private sealed class Recorder : ReceiveActor
    {
        public Recorder(ChannelWriter<object> got)
        {
            ReceiveAny(m =>
            {
                got.TryWrite(m);
                if (m is ExecuteSkill x)
                    Sender.Tell(new SkillResult(x.TaskId, x.StepIndex, x.Skill, SkillOutcome.Succeeded, "done", TimeSpan.FromSeconds(2), null));
            });
        }
    }

    private sealed class Listener : ReceiveActor
    {
        public Listener(ChannelWriter<object> got) => ReceiveAny(m => got.TryWrite(m));
    }

    public async Task InitializeAsync()
    {
        _robot = ActorSystem.Create("cortexbot", Remote.WithFallback(CortexBotWire.Config));
        // The brain writes through the forging serializer: the robot's side is exactly what a node runs.
        _brain = ActorSystem.Create("cortexbot", ConfigurationFactory.ParseString($$"""
            akka.actor.serializers.{{CortexBotWire.SerializerName}} = "{{typeof(ForgingWireSerializer).FullName}}, {{typeof(ForgingWireSerializer).Assembly.GetName().Name}}"
            akka.actor.serialization-bindings { "{{typeof(Forged).FullName}}, {{typeof(Forged).Assembly.GetName().Name}}" = {{CortexBotWire.SerializerName}} }
            """).WithFallback(Remote).WithFallback(CortexBotWire.Config));
        Subscribe(_robot, typeof(LogEvent), _robotLog.Writer);
        Subscribe(_brain, typeof(LogEvent), _brainLog.Writer);
        Subscribe(_robot, typeof(RemotingLifecycleEvent), _robotLinkEvents.Writer);
        _robot.ActorOf(Props.Create(() => new Recorder(_cerebellumGot.Writer)), "cerebellum");
        _episode = _brain.ActorOf(Props.Create(() => new Listener(_episodeGot.Writer)), "episode");
        var robotAddress = ((ExtendedActorSystem)_robot).Provider.DefaultAddress;
        _cerebellum = await _brain.ActorSelection($"{robotAddress}/user/cerebellum").ResolveOne(Wait);
    }

    private static void Subscribe<T>(ActorSystem system, Type type, ChannelWriter<T> into) where T : class =>
        system.EventStream.Subscribe(system.ActorOf(Props.Create(() => new Listener(new Cast<T>(into)))), type);

    private sealed class Cast<T>(ChannelWriter<T> inner) : ChannelWriter<object> where T : class
    {
        public override bool TryWrite(object item) => item is T t && inner.TryWrite(t);
        public override ValueTask<bool> WaitToWriteAsync(CancellationToken cancellationToken = default) => inner.WaitToWriteAsync(cancellationToken);
    }

    public async Task DisposeAsync()
    {
        await Task.WhenAll(_brain.Terminate(), _robot.Terminate()).WaitAsync(Wait);
    }

    private static async Task<T> Next<T>(Channel<T> channel)
    {
        using var timeout = new CancellationTokenSource(Wait);
        return await channel.Reader.ReadAsync(timeout.Token);
    }

    private static async Task<string> LogLineContaining(Channel<LogEvent> log, string text)
    {
        using var timeout = new CancellationTokenSource(Wait);
        var seen = new List<string>();
        while (true)
        {
            LogEvent e;
            try { e = await log.Reader.ReadAsync(timeout.Token); }
            catch (OperationCanceledException) { throw new Xunit.Sdk.XunitException($"no log line with '{text}' in {Wait.TotalSeconds} s; saw:\n{string.Join("\n", seen)}"); }
            var line = $"[{e.LogLevel()}] {e.Message} {e.Cause?.Message}";
            if (line.Contains(text, StringComparison.Ordinal)) return line;
            seen.Add(line);
        }
    }

    private static ExecuteSkill Command(int step) => new(Guid.NewGuid(), step, SkillInvocation.Of(SkillNames.Pick, "red_cube"), new SkillTuning(true));

    private async Task TheNextGoodMessageStillArrives(int step)
    {
        var command = Command(step);
        _cerebellum.Tell(command, _episode);
        var got = await Next(_cerebellumGot);
        Assert.True(Structural.Difference(command, got) is null, $"the robot got {got} instead of {command}");
        var answer = Assert.IsType<SkillResult>(await Next(_episodeGot));
        Assert.Equal((command.TaskId, step, SkillOutcome.Succeeded, TimeSpan.FromSeconds(2)), (answer.TaskId, answer.StepIndex, answer.Outcome, answer.Duration));
        // The association survives: no disassociation, error or quarantine on the robot's side.
        while (_robotLinkEvents.Reader.TryRead(out var linkEvent))
            Assert.False(linkEvent is DisassociatedEvent or AssociationErrorEvent or QuarantinedEvent or ThisActorSystemQuarantinedEvent, $"the link broke: {linkEvent}");
        Assert.False(_robot.WhenTerminated.IsCompleted || _brain.WhenTerminated.IsCompleted, "a node terminated");
    }

    [Fact]
    public async Task A_garbled_frame_is_logged_and_dropped_and_the_next_message_arrives()
    {
        await TheNextGoodMessageStillArrives(0);

        var frame = WireCodec.Encode(Command(1));
        frame[^5] ^= 0xFF;
        Array.Resize(ref frame, frame.Length - 2);
        _cerebellum.Tell(new Forged("xs", frame), _episode);
        await TheNextGoodMessageStillArrives(2);
        var line = await LogLineContaining(_robotLog, "CortexBot wire: garbled ExecuteSkill frame");
        // Akka.Remote's endpoint reader reports a frame it cannot deserialize as a warning and carries on.
        Assert.True(line.StartsWith("[WarningLevel]", StringComparison.Ordinal) || line.StartsWith("[ErrorLevel]", StringComparison.Ordinal), line);
    }

    [Fact]
    public async Task An_unknown_manifest_or_another_schema_is_logged_and_dropped()
    {
        _cerebellum.Tell(new Forged("zz", WireCodec.Encode(Command(0))), _episode);
        await TheNextGoodMessageStillArrives(1);
        await LogLineContaining(_robotLog, "unknown message manifest 'zz'");

        var future = WireCodec.Encode(Command(2));
        future[1] = CortexBotWire.SchemaVersion + 1;
        _cerebellum.Tell(new Forged("xs", future), _episode);
        await TheNextGoodMessageStillArrives(3);
        await LogLineContaining(_robotLog, $"the peer speaks schema {CortexBotWire.SchemaVersion + 1}");
    }

    [Fact]
    public async Task A_message_without_a_wire_binding_is_refused_by_the_sender_not_sent_as_json()
    {
        _cerebellum.Tell(new CancelPlanning(Guid.NewGuid()), _episode);
        await TheNextGoodMessageStillArrives(0);
        // Akka: "Serialization failed for message [...CancelPlanning]. Transient association error (association remains live) No serializer binding found..."
        var line = await LogLineContaining(_brainLog, $"[{typeof(CancelPlanning).FullName}]");
        Assert.StartsWith("[ErrorLevel]", line, StringComparison.Ordinal);
    }
}
