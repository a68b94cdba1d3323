using Akka.Actor;
using Akka.Configuration;
using CortexBot.Cluster.Nodes;
using CortexBot.Cluster.Wire;
using CortexBot.Core;
using CortexBot.Core.Messages;

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
        Assert.Contains($"maximum-frame-size = {ClusterNodeConfig.MaximumFrameSize}b", ClusterNodeConfig.Hocon(NodeRole.Robot, NodeEndpoint.DefaultRobot));
    }

    [Fact]
    public void The_robot_node_is_the_one_the_downing_keeps_and_it_never_downs_itself_alone()
    {
        var config = ConfigurationFactory.ParseString(ClusterNodeConfig.Hocon(NodeRole.Robot, new NodeEndpoint("127.0.0.1", 0)));
        Assert.Equal("cluster", config.GetString("akka.actor.provider"));
        Assert.Equal(["robot"], config.GetStringList("akka.cluster.roles"));
        Assert.Equal("keep-oldest", config.GetString("akka.cluster.split-brain-resolver.active-strategy"));
        Assert.False(config.GetBoolean("akka.cluster.split-brain-resolver.keep-oldest.down-if-alone"));
        Assert.Equal("robot", config.GetString("akka.cluster.split-brain-resolver.keep-oldest.role"));
        Assert.Equal(["brain"], ConfigurationFactory.ParseString(ClusterNodeConfig.Hocon(NodeRole.Brain, new NodeEndpoint("127.0.0.1", 0)))
            .GetStringList("akka.cluster.roles"));
    }

    [Fact]
    public async Task A_brain_joins_a_robot_node_bound_to_a_port_it_picked()
    {
        using var robot = ActorSystem.Create(ClusterNodeConfig.SystemName,
            ConfigurationFactory.ParseString(ClusterNodeConfig.Hocon(NodeRole.Robot, new NodeEndpoint("127.0.0.1", 0))).WithFallback(CortexBotWire.Config));
        using var brain = ActorSystem.Create(ClusterNodeConfig.SystemName,
            ConfigurationFactory.ParseString(ClusterNodeConfig.Hocon(NodeRole.Brain, new NodeEndpoint("127.0.0.1", 0))).WithFallback(CortexBotWire.Config));
        try
        {
            var robotCluster = Akka.Cluster.Cluster.Get(robot);
            robotCluster.Join(robotCluster.SelfAddress);
            var at = new NodeEndpoint("127.0.0.1", robotCluster.SelfAddress.Port!.Value);
            var up = new TaskCompletionSource();
            var brainCluster = Akka.Cluster.Cluster.Get(brain);
            brainCluster.RegisterOnMemberUp(() => up.TrySetResult());
            brainCluster.Join(at.Address);
            await up.Task.WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Contains(brainCluster.State.Members, m => m.Address.Equals(at.Address) && m.HasRole("robot"));
            Assert.Contains(brainCluster.State.Members, m => m.Address.Equals(brainCluster.SelfAddress) && m.HasRole("brain"));
        }
        finally
        {
            await Task.WhenAll(brain.Terminate(), robot.Terminate());
        }
    }

    [Theory]
    [InlineData("127.0.0.1:7460", "127.0.0.1", 7460)]
    [InlineData("localhost:0", "localhost", 0)]
    [InlineData("[::1]:7460", "::1", 7460)]
    public void An_endpoint_parses(string text, string host, int port)
    {
        var e = NodeEndpoint.Parse(text, "--listen");
        Assert.Equal(new NodeEndpoint(host, port), e);
        Assert.True(e.IsLoopback);
    }

    [Theory]
    [InlineData("7460")]
    [InlineData("127.0.0.1:")]
    [InlineData("127.0.0.1:70000")]
    [InlineData("127.0.0.1:-1")]
    public void A_bad_endpoint_is_a_configuration_error_naming_the_flag(string text)
    {
        var e = Assert.Throws<CortexBot.Core.ConfigurationException>(() => NodeEndpoint.Parse(text, "--robot-node"));
        Assert.StartsWith("--robot-node", e.Message);
    }

    [Fact]
    public void A_non_loopback_endpoint_is_refused_without_tls()
    {
        var e = Assert.Throws<CortexBot.Core.ConfigurationException>(() => new NodeEndpoint("192.168.1.20", 7460).RequireLoopback("--listen"));
        Assert.Contains("TLS", e.Message);
        Assert.Equal(NodeEndpoint.DefaultRobot, NodeEndpoint.DefaultRobot.RequireLoopback("--listen"));
    }
}
