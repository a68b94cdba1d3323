using CortexBot.Cluster.Remoting;
using CortexBot.Core;

namespace CortexBot.Cluster.Tests;

public sealed class NodeEndpointTests
{
    [Theory]
    [InlineData("127.0.0.1:4053", "127.0.0.1", HostKind.IPv4, 4053, true)]
    [InlineData("127.8.9.10:1", "127.8.9.10", HostKind.IPv4, 1, true)]
    [InlineData("0.0.0.0:0", "0.0.0.0", HostKind.IPv4, 0, false)]
    [InlineData("192.168.1.20:65535", "192.168.1.20", HostKind.IPv4, 65535, false)]
    [InlineData("[::1]:4053", "::1", HostKind.IPv6, 4053, true)]
    [InlineData("[0:0:0:0:0:0:0:1]:4053", "::1", HostKind.IPv6, 4053, true)]
    [InlineData("[::]:4053", "::", HostKind.IPv6, 4053, false)]
    [InlineData("[fd00::20]:7", "fd00::20", HostKind.IPv6, 7, false)]
    [InlineData("localhost:4053", "localhost", HostKind.Name, 4053, true)]
    [InlineData("LocalHost:4053", "localhost", HostKind.Name, 4053, true)]
    [InlineData("Robot-1.lab.example:4053", "robot-1.lab.example", HostKind.Name, 4053, false)]
    [InlineData(" robot:0 ", "robot", HostKind.Name, 0, false)]
    public void Parses_ipv4_bracketed_ipv6_and_names(string text, string host, HostKind kind, int port, bool loopback)
    {
        var e = NodeEndpoint.Parse(text);
        Assert.Equal((host, kind, port, loopback), (e.Host, e.Kind, e.Port, e.IsLoopback));
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("127.0.0.1", "no port")]
    [InlineData("127.0.0.1:", "the port '' is not a number")]
    [InlineData("127.0.0.1:65536", "the port '65536' is not a number from 0 to 65535")]
    [InlineData("127.0.0.1:-1", "the port '-1'")]
    [InlineData("127.0.0.1:+80", "the port '+80'")]
    [InlineData("127.0.0.1:80x", "the port '80x'")]
    [InlineData("::1:4053", "an IPv6 address goes in brackets")]
    [InlineData("[::1:4053", "no closing ']'")]
    [InlineData("[::1]4053", "no ':PORT'")]
    [InlineData("[::1]", "no ':PORT'")]
    [InlineData("[127.0.0.1]:4053", "'127.0.0.1' is not an IPv6 address")]
    [InlineData("[fe80::1%eth0]:4053", "zone indices")]
    [InlineData(":4053", "no host")]
    [InlineData("256.0.0.1:4053", "'256.0.0.1' is not an IPv4 address")]
    [InlineData("10.1:4053", "'10.1' is not an IPv4 address")]
    [InlineData("robot_1:4053", "'robot_1' is not a valid host name")]
    [InlineData("-robot:4053", "is not a valid host name")]
    [InlineData("robot..lab:4053", "is not a valid host name")]
    public void Bad_input_is_one_line_naming_the_flag_the_value_and_the_expected_form(string text, string why)
    {
        var e = Assert.Throws<ConfigurationException>(() => NodeEndpoint.Parse(text, "--robot-node"));
        Assert.StartsWith($"--robot-node '{text.Trim()}': ", e.Message, StringComparison.Ordinal);
        Assert.Contains(why, e.Message, StringComparison.Ordinal);
        Assert.EndsWith("expected HOST:PORT, e.g. 127.0.0.1:4053, [::1]:4053 or robot.local:4053", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Theory]
    [InlineData("127.0.0.1:4053")]
    [InlineData("[::1]:4053")]
    [InlineData("[fd00::20]:0")]
    [InlineData("robot.lab:4053")]
    public void Prints_as_it_parses(string text) => Assert.Equal(text, NodeEndpoint.Parse(text).ToString());

    [Theory]
    [InlineData("robot.lab", "robot.lab", HostKind.Name)]
    [InlineData("10.0.0.5", "10.0.0.5", HostKind.IPv4)]
    [InlineData("fd00::20", "fd00::20", HostKind.IPv6)]
    [InlineData("[fd00::20]", "fd00::20", HostKind.IPv6)]
    public void A_host_alone_parses_with_or_without_brackets(string text, string host, HostKind kind) =>
        Assert.Equal((host, kind), NodeEndpoint.ParseHost(text, "--public-host"));

    [Theory]
    [InlineData("robot.lab:4053")]
    [InlineData("")]
    [InlineData("robot lab")]
    public void A_host_with_a_port_or_garbage_is_refused(string text)
    {
        var e = Assert.Throws<ConfigurationException>(() => NodeEndpoint.ParseHost(text, "--public-host"));
        Assert.StartsWith($"--public-host '{text}': ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_wildcard_addresses_are_any_address_and_not_loopback()
    {
        Assert.True(NodeEndpoint.Parse("0.0.0.0:1").IsAnyAddress);
        Assert.True(NodeEndpoint.Parse("[::]:1").IsAnyAddress);
        Assert.False(NodeEndpoint.Parse("127.0.0.1:1").IsAnyAddress);
        Assert.False(NodeEndpoint.Parse("any:1").IsAnyAddress);
        Assert.Equal("127.0.0.1:0", NodeEndpoint.Loopback().ToString());
    }

    [Theory]
    [InlineData("127.0.0.1:7470", "127.0.0.1:0")]
    [InlineData("127.3.2.1:7470", "127.3.2.1:0")]
    [InlineData("localhost:7470", "127.0.0.1:0")]
    [InlineData("[::1]:7470", "[::1]:0")]
    public void A_node_joining_a_peer_on_loopback_binds_loopback_on_a_port_the_system_picks(string peer, string local) =>
        Assert.Equal(local, NodeEndpoint.LocalTowards(NodeEndpoint.Parse(peer)).ToString());

    [Fact]
    public void The_robot_nodes_default_endpoint_is_loopback_7470() =>
        Assert.Equal(("127.0.0.1:7470", true), (NodeEndpoint.DefaultRobot.ToString(), NodeEndpoint.DefaultRobot.IsLoopback));
}
