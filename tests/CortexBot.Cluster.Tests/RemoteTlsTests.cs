using System.Threading.Channels;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using CortexBot.Cluster.Remoting;
using CortexBot.Cluster.Wire;
using CortexBot.Core.Messages;
using CortexBot.Testing;

namespace CortexBot.Cluster.Tests;

/// <summary>
/// Real TLS between two actor systems in this process on 127.0.0.1, configured only by <see cref="NodeTransport"/>
/// (its HOCON and its TLS setup) with certificates openssl makes now: messages cross both ways with TLS on both ends;
/// a node without TLS, or with a certificate the other does not trust, gets nothing through.
/// </summary>
public sealed class RemoteTlsTests : IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    /// <summary>How long a refused node keeps trying; the same exchange takes well under a second when trusted.</summary>
    private static readonly TimeSpan RefusedFor = TimeSpan.FromSeconds(4);

    private readonly OpenSslCertificates _files = new();
    private readonly List<ActorSystem> _systems = [];

    public void Dispose()
    {
        Task.WhenAll(_systems.Select(s => s.Terminate())).Wait(Wait);
        _files.Dispose();
    }

    private static readonly Config Base = ConfigurationFactory.ParseString("""
        akka.actor.provider = remote
        akka.loglevel = INFO
        akka.stdout-loglevel = WARNING
        """).WithFallback(CortexBotWire.Config);

    private (ActorSystem System, NodeTransport Transport) Node(NodeTransport transport)
    {
        var system = ActorSystem.Create("cortexbot", transport.SystemSetup(Base));
        _systems.Add(system);
        return (system, transport);
    }

    /// <summary>Where <paramref name="from"/> reaches <paramref name="to"/>'s cerebellum: its port, in <paramref name="from"/>'s protocol, as a brain given --robot-node writes it.</summary>
    private static string CerebellumPath((ActorSystem System, NodeTransport Transport) from, ActorSystem to) =>
        $"{from.Transport.AddressOf("cortexbot", NodeEndpoint.Parse($"127.0.0.1:{((ExtendedActorSystem)to).Provider.DefaultAddress.Port}"))}/user/cerebellum";

    private NodeTls Cert(string name, string subject = "/CN=cortexbot-cluster")
    {
        _files.SelfSigned(name, subject);
        return NodeTls.Load(_files.Pkcs12(name, "pw-" + name), "pw-" + name);
    }

    /// <summary>The robot side's stand-in cerebellum: records what arrives, answers an ExecuteSkill with a SkillResult.</summary>
    private sealed class Cerebellum : ReceiveActor
    {
        public Cerebellum(ChannelWriter<object> got) => ReceiveAny(m =>
        {
            got.TryWrite(m);
            if (m is ExecuteSkill x)
                Sender.Tell(new SkillResult(x.TaskId, x.StepIndex, x.Skill, SkillOutcome.Succeeded, "done", TimeSpan.FromSeconds(1), null));
        });
    }

    private sealed class Recorder<T> : ReceiveActor
    {
        public Recorder(ChannelWriter<T> got) => ReceiveAny(m => { if (m is T t) got.TryWrite(t); });
    }

    private static ExecuteSkill Command(int step) => new(Guid.NewGuid(), step, SkillInvocation.Of(SkillNames.Pick, "red_cube"), new SkillTuning(true));

    private static string AddressOf(ActorSystem s) => ((ExtendedActorSystem)s).Provider.DefaultAddress.ToString();

    private static async Task<T> Next<T>(Channel<T> c)
    {
        using var timeout = new CancellationTokenSource(Wait);
        return await c.Reader.ReadAsync(timeout.Token);
    }

    [Fact]
    public async Task Two_tls_nodes_exchange_crossing_messages_both_ways()
    {
        var tls = Cert("cluster");
        await ExchangeBothWays(tls, tls);
    }

    [Fact]
    public async Task Nodes_with_their_own_certificates_from_one_private_ca_talk_and_another_cas_node_does_not()
    {
        _files.SelfSigned("ca", "/CN=cortexbot-ca");
        _files.IssuedBy("robot", "ca", "/CN=robot");
        _files.IssuedBy("brain", "ca", "/CN=brain");
        _files.SelfSigned("otherca", "/CN=cortexbot-ca");
        _files.IssuedBy("intruder", "otherca", "/CN=brain");
        var robotTls = NodeTls.Load(_files.Pkcs12("robot", "r", "ca"), "r");
        await ExchangeBothWays(robotTls, NodeTls.Load(_files.Pkcs12("brain", "b", "ca"), "b"));
        var (robot, _) = Node(NodeTransport.Create(NodeEndpoint.Loopback(), robotTls));
        await NothingGetsThrough(robot, Node(NodeTransport.Create(NodeEndpoint.Loopback(), NodeTls.Load(_files.Pkcs12("intruder", "i", "otherca"), "i"))));
    }

    private async Task ExchangeBothWays(NodeTls robotTls, NodeTls brainTls)
    {
        var (robot, _) = Node(NodeTransport.Create(NodeEndpoint.Loopback(), robotTls));
        var brainNode = Node(NodeTransport.Create(NodeEndpoint.Loopback(), brainTls, peer: NodeEndpoint.Parse("127.0.0.1:1")));
        var brain = brainNode.System;
        Assert.StartsWith("akka.ssl.tcp://cortexbot@127.0.0.1:", AddressOf(robot), StringComparison.Ordinal);
        var robotGot = Channel.CreateUnbounded<object>();
        var brainGot = Channel.CreateUnbounded<SkillResult>();
        robot.ActorOf(Props.Create(() => new Cerebellum(robotGot.Writer)), "cerebellum");
        var episode = brain.ActorOf(Props.Create(() => new Recorder<SkillResult>(brainGot.Writer)), "episode");

        // Identify there and ActorIdentity back, then a CortexBot command there and its result back, over the wire serializer.
        var cerebellum = await brain.ActorSelection(CerebellumPath(brainNode, robot)).ResolveOne(Wait);
        var command = Command(3);
        cerebellum.Tell(command, episode);
        var got = Assert.IsType<ExecuteSkill>(await Next(robotGot));
        Assert.Null(Structural.Difference(command, got));
        var result = await Next(brainGot);
        Assert.Equal((command.TaskId, 3, SkillOutcome.Succeeded), (result.TaskId, result.StepIndex, result.Outcome));
        // The robot reaches the brain's actors by their remote path too (its reply above went over the same association).
        var seenFromRobot = await robot.ActorSelection($"{AddressOf(brain)}/user/episode").ResolveOne(Wait);
        Assert.Equal(episode.Path.Name, seenFromRobot.Path.Name);
    }

    [Fact]
    public async Task A_node_without_tls_gets_nothing_through_to_a_tls_node()
    {
        var (robot, _) = Node(NodeTransport.Create(NodeEndpoint.Loopback(), Cert("cluster")));
        var plain = Node(NodeTransport.Create(NodeEndpoint.Loopback()));
        Assert.StartsWith("akka.tcp://", CerebellumPath(plain, robot), StringComparison.Ordinal);
        await NothingGetsThrough(robot, plain);
    }

    [Fact]
    public async Task A_tls_node_with_a_certificate_the_other_does_not_trust_gets_nothing_through()
    {
        var robotLog = Channel.CreateUnbounded<LogEvent>();
        var (robot, _) = Node(NodeTransport.Create(NodeEndpoint.Loopback(), Cert("cluster")));
        robot.EventStream.Subscribe(robot.ActorOf(Props.Create(() => new Recorder<LogEvent>(robotLog.Writer))), typeof(Warning));
        // Same subject, another key: only the certificate in the robot's own file counts, not the name.
        var stranger = Node(NodeTransport.Create(NodeEndpoint.Loopback(), Cert("stranger")));
        await NothingGetsThrough(robot, stranger);
        using var timeout = new CancellationTokenSource(Wait);
        while (true)
        {
            var e = await robotLog.Reader.ReadAsync(timeout.Token);
            if (e.Message?.ToString()?.StartsWith("TLS: refused the peer", StringComparison.Ordinal) == true) break;
        }
    }

    private static async Task NothingGetsThrough(ActorSystem robot, (ActorSystem System, NodeTransport Transport) intruder)
    {
        var robotGot = Channel.CreateUnbounded<object>();
        robot.ActorOf(Props.Create(() => new Cerebellum(robotGot.Writer)), "cerebellum");
        var selection = intruder.System.ActorSelection(CerebellumPath(intruder, robot));
        selection.Tell(Command(0));
        await Assert.ThrowsAsync<ActorNotFoundException>(() => selection.ResolveOne(RefusedFor));
        Assert.False(robotGot.Reader.TryRead(out var leaked), $"the robot received {leaked}");
    }
}

/// <summary>IPv6 loopback, the other address family <see cref="NodeEndpoint"/> parses, with TLS.</summary>
public sealed class RemoteTlsIpv6Tests : IDisposable
{
    private readonly OpenSslCertificates _files = new();
    public void Dispose() => _files.Dispose();

    [Fact]
    public async Task Two_tls_nodes_on_ipv6_loopback_identify_each_other()
    {
        _files.SelfSigned("cluster");
        var tls = NodeTls.Load(_files.Pkcs12("cluster", "pw"), "pw");
        var config = ConfigurationFactory.ParseString("akka.actor.provider = remote\nakka.stdout-loglevel = WARNING");
        var robotTransport = NodeTransport.Create(NodeEndpoint.Parse("[::1]:0"), tls);
        using var robot = ActorSystem.Create("cortexbot", robotTransport.SystemSetup(config));
        var brainTransport = NodeTransport.Create(NodeEndpoint.Parse("[::1]:0"), tls);
        using var brain = ActorSystem.Create("cortexbot", brainTransport.SystemSetup(config));
        robot.ActorOf(Props.Empty, "cerebellum");
        int port = ((ExtendedActorSystem)robot).Provider.DefaultAddress.Port!.Value;
        var address = brainTransport.AddressOf("cortexbot", NodeEndpoint.Parse($"[::1]:{port}"));
        var found = await brain.ActorSelection($"{address}/user/cerebellum").ResolveOne(TimeSpan.FromSeconds(15));
        Assert.Equal("cerebellum", found.Path.Name);
        await Task.WhenAll(brain.Terminate(), robot.Terminate());
    }
}
