using Akka.Actor;
using Akka.Configuration;
using CortexBot.Cluster.Nodes;
using CortexBot.Cluster.Remoting;
using CortexBot.Cluster.Wire;
using CortexBot.Core;
using CortexBot.Core.Messages;
using CortexBot.Testing;

namespace CortexBot.Cluster.Tests;

public sealed class ClusterNodeConfigTests
{
    [Fact]
    public void The_largest_trace_the_wire_carries_fits_one_frame()
    {
        string Name(char c, int i) => $"{c}{i:D3}".PadRight(255, c);
        var joints = Enumerable.Range(0, EpisodeTrace.MaxJoints).Select(i => Name('j', i)).ToArray();
        var objects = Enumerable.Range(0, EpisodeTrace.MaxObjects).Select(i => Name('o', i)).ToArray();
        var samples = new float[EpisodeTrace.MaxSamples * (joints.Length + 1)];
        var poses = new float[EpisodeTrace.MaxSamples * objects.Length * EpisodeTrace.PoseWidth];
        var trace = new EpisodeTrace([.. joints], 1000, 0.04, samples, [.. objects], poses);

        int frame = WireCodec.Encode(new EpisodeTraceEnded(Guid.NewGuid(), 360, trace)).Length;

        Assert.True(frame > 128_000, "Akka.Remote's default frame (128,000 bytes) would not carry it");
        // the frame plus the envelope (paths and manifest, far under 64 KiB) within the configured maximum
        Assert.True(frame + 64 * 1024 <= ClusterNodeConfig.MaximumFrameSize, $"{frame} bytes + envelope > {ClusterNodeConfig.MaximumFrameSize}");
        Assert.Contains($"maximum-frame-size = {ClusterNodeConfig.MaximumFrameSize}b", ClusterNodeConfig.Hocon(NodeRole.Robot, NodeTransport.Create(NodeEndpoint.DefaultRobot)));
    }

    [Fact]
    public void The_robot_node_is_the_one_the_downing_keeps_and_it_never_downs_itself_alone()
    {
        var config = ConfigurationFactory.ParseString(ClusterNodeConfig.Hocon(NodeRole.Robot, NodeTransport.Create(NodeEndpoint.Loopback())));
        Assert.Equal("cluster", config.GetString("akka.actor.provider"));
        Assert.Equal(["robot"], config.GetStringList("akka.cluster.roles"));
        Assert.Equal("keep-oldest", config.GetString("akka.cluster.split-brain-resolver.active-strategy"));
        Assert.False(config.GetBoolean("akka.cluster.split-brain-resolver.keep-oldest.down-if-alone"));
        Assert.Equal("robot", config.GetString("akka.cluster.split-brain-resolver.keep-oldest.role"));
        Assert.Equal(["brain"], ConfigurationFactory.ParseString(ClusterNodeConfig.Hocon(NodeRole.Brain, NodeTransport.Create(NodeEndpoint.Loopback())))
            .GetStringList("akka.cluster.roles"));
    }

    /// <summary>A node of <paramref name="role"/> configured as the hosts configure it: <see cref="ClusterNodeConfig.Hocon"/> and the transport's TLS setup.</summary>
    private static ActorSystem Node(NodeRole role, NodeTransport transport) => ActorSystem.Create(ClusterNodeConfig.SystemName,
        transport.SystemSetup(ConfigurationFactory.ParseString(ClusterNodeConfig.Hocon(role, transport)).WithFallback(CortexBotWire.Config)));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_brain_joins_a_robot_node_bound_to_a_port_it_picked_over_tls_when_both_have_it(bool tls)
    {
        using var files = new OpenSslCertificates();
        NodeTls? cert = null;
        if (tls)
        {
            files.SelfSigned("cluster");
            cert = NodeTls.Load(files.Pkcs12("cluster", "pw"), "pw");
        }
        var robotTransport = NodeTransport.Create(NodeEndpoint.Loopback(), cert);
        var brainTransport = NodeTransport.Create(NodeEndpoint.Loopback(), cert);
        using var robot = Node(NodeRole.Robot, robotTransport);
        using var brain = Node(NodeRole.Brain, brainTransport);
        try
        {
            var robotCluster = Akka.Cluster.Cluster.Get(robot);
            robotCluster.Join(robotCluster.SelfAddress);
            var at = brainTransport.AddressOf(ClusterNodeConfig.SystemName, NodeEndpoint.Parse($"127.0.0.1:{robotCluster.SelfAddress.Port}"));
            Assert.Equal(robotCluster.SelfAddress, at);
            Assert.Equal(tls ? "akka.ssl.tcp" : "akka.tcp", at.Protocol);
            var up = new TaskCompletionSource();
            var brainCluster = Akka.Cluster.Cluster.Get(brain);
            brainCluster.RegisterOnMemberUp(() => up.TrySetResult());
            brainCluster.Join(at);
            await up.Task.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Contains(brainCluster.State.Members, m => m.Address.Equals(at) && m.HasRole("robot"));
            Assert.Contains(brainCluster.State.Members, m => m.Address.Equals(brainCluster.SelfAddress) && m.HasRole("brain"));
        }
        finally
        {
            await Task.WhenAll(brain.Terminate(), robot.Terminate());
        }
    }

    [Fact]
    public void The_transport_writes_the_remoting_and_the_frame_sizes_stay()
    {
        var c = ConfigurationFactory.ParseString(ClusterNodeConfig.Hocon(NodeRole.Robot, NodeTransport.Create(NodeEndpoint.DefaultRobot)))
            .GetConfig("akka.remote.dot-netty.tcp");
        Assert.Equal(("127.0.0.1", 7470, "127.0.0.1", false), (c.GetString("hostname"), c.GetInt("port"), c.GetString("public-hostname"), c.GetBoolean("enable-ssl")));
        Assert.Equal(ClusterNodeConfig.MaximumFrameSize, (int)c.GetByteSize("maximum-frame-size")!.Value);
        Assert.Equal(ClusterNodeConfig.MaximumFrameSize, (int)c.GetByteSize("receive-buffer-size")!.Value);
    }
}
