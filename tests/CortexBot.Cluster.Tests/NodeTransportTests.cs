using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using CortexBot.Cluster.Remoting;
using ConfigurationException = CortexBot.Core.ConfigurationException;
using CortexBot.Testing;

namespace CortexBot.Cluster.Tests;

/// <summary>Secure by default: what a node may bind to, advertise and join without TLS, and the HOCON it gets.</summary>
public sealed class NodeTransportTests : IClassFixture<NodeTransportTests.Certs>
{
    public sealed class Certs : IDisposable
    {
        public readonly OpenSslCertificates Files = new();
        public readonly NodeTls Tls;
        public Certs()
        {
            Files.SelfSigned("cluster");
            Tls = NodeTls.Load(Files.Pkcs12("cluster", "s3cret"), "s3cret");
        }
        public void Dispose() => Files.Dispose();
    }

    private readonly NodeTls _tls;
    public NodeTransportTests(Certs certs) => _tls = certs.Tls;

    private static NodeEndpoint E(string s) => NodeEndpoint.Parse(s);

    [Theory]
    [InlineData("127.0.0.1:4053")]
    [InlineData("127.0.0.1:0")]
    [InlineData("[::1]:4053")]
    [InlineData("localhost:4053")]
    public void Loopback_needs_neither_tls_nor_insecure(string listen)
    {
        var t = NodeTransport.Create(E(listen));
        Assert.Null(t.Tls);
        Assert.Null(t.Warning);
        Assert.False(t.Config.GetBoolean("akka.remote.dot-netty.tcp.enable-ssl"));
    }

    [Theory]
    [InlineData("0.0.0.0:4053", "robot.lab")]
    [InlineData("[::]:4053", "robot.lab")]
    [InlineData("192.168.1.20:4053", null)]
    [InlineData("robot.lab:4053", null)]
    public void Any_other_bind_address_without_tls_or_insecure_is_refused_saying_what_to_pass(string listen, string? publicHost)
    {
        var e = Assert.Throws<ConfigurationException>(() => NodeTransport.Create(E(listen), publicHost: publicHost));
        Assert.Equal($"--listen {E(listen)} is not a loopback address: nodes talk over the network only with TLS; {NodeTransport.SecureFlagsHint}", e.Message);
        Assert.Contains("--tls-cert FILE --tls-password-env VAR", e.Message, StringComparison.Ordinal);
        Assert.Contains("--insecure", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Advertising_or_joining_a_network_address_without_tls_is_refused_too()
    {
        var advertised = Assert.Throws<ConfigurationException>(() => NodeTransport.Create(E("127.0.0.1:4053"), publicHost: "robot.lab"));
        Assert.StartsWith("--public-host robot.lab is not a loopback address: nodes talk over the network only with TLS; pass --tls-cert", advertised.Message, StringComparison.Ordinal);
        var joined = Assert.Throws<ConfigurationException>(() => NodeTransport.Create(E("127.0.0.1:0"), peer: E("10.0.0.5:4053")));
        Assert.StartsWith("--robot-node 10.0.0.5:4053 is not on loopback: nodes talk over the network only with TLS; pass --tls-cert", joined.Message, StringComparison.Ordinal);
        Assert.Null(NodeTransport.Create(E("127.0.0.1:0"), peer: E("[::1]:4053")).Warning);
    }

    [Fact]
    public void Insecure_allows_a_plain_network_link_and_says_so()
    {
        var t = NodeTransport.Create(E("0.0.0.0:4053"), insecure: true, publicHost: "192.168.1.20");
        Assert.Null(t.Tls);
        Assert.StartsWith("warning: --listen 0.0.0.0:4053 is not a loopback address and --insecure is set", t.Warning, StringComparison.Ordinal);
        var c = t.Config.GetConfig("akka.remote.dot-netty.tcp");
        Assert.Equal(("0.0.0.0", 4053, "192.168.1.20", false), (c.GetString("hostname"), c.GetInt("port"), c.GetString("public-hostname"), c.GetBoolean("enable-ssl")));
    }

    [Fact]
    public void Tls_on_a_network_address_turns_on_ssl_with_mutual_authentication_and_validation()
    {
        var t = NodeTransport.Create(E("0.0.0.0:4053"), _tls, publicHost: "robot.lab");
        Assert.Null(t.Warning);
        var c = t.Config.GetConfig("akka.remote.dot-netty.tcp");
        Assert.Equal(("0.0.0.0", "robot.lab"), (c.GetString("hostname"), c.GetString("public-hostname")));
        Assert.True(c.GetBoolean("enable-ssl"));
        Assert.False(c.GetBoolean("ssl.suppress-validation"));
        Assert.True(c.GetBoolean("ssl.require-mutual-authentication"));
        // The certificate travels in the setup, never its password in configuration.
        Assert.DoesNotContain("s3cret", t.Hocon, StringComparison.Ordinal);
        Assert.DoesNotContain("password", t.Hocon, StringComparison.Ordinal);
        var ssl = Assert.IsType<Akka.Remote.Transport.DotNetty.DotNettySslSetup>(t.SslSetup);
        Assert.Equal((false, true), (ssl.SuppressValidation, ssl.RequireMutualAuthentication));
        Assert.NotNull(ssl.CustomValidator);
        Assert.True(ssl.Certificate.HasPrivateKey);
    }

    [Fact]
    public void Tls_and_insecure_together_are_a_contradiction()
    {
        var e = Assert.Throws<ConfigurationException>(() => NodeTransport.Create(E("0.0.0.0:4053"), _tls, insecure: true, publicHost: "robot.lab"));
        Assert.Equal("--insecure and --tls-cert contradict each other; pass one of them", e.Message);
    }

    [Theory]
    [InlineData("0.0.0.0:4053")]
    [InlineData("[::]:4053")]
    public void A_wildcard_bind_needs_a_public_host_peers_can_reach(string listen)
    {
        var e = Assert.Throws<ConfigurationException>(() => NodeTransport.Create(E(listen), _tls));
        Assert.StartsWith($"--listen {E(listen)} binds every interface, but peers need one address to reach this node by; pass --public-host HOST", e.Message, StringComparison.Ordinal);
        var wild = Assert.Throws<ConfigurationException>(() => NodeTransport.Create(E(listen), _tls, publicHost: "0.0.0.0"));
        Assert.StartsWith("--public-host 0.0.0.0: peers cannot reach a node at the wildcard address", wild.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_ipv6_bind_address_goes_into_the_hocon_unbracketed_and_asks_dns_for_ipv6()
    {
        var c = NodeTransport.Create(E("[::1]:4053")).Config.GetConfig("akka.remote.dot-netty.tcp");
        Assert.Equal(("::1", "::1", true), (c.GetString("hostname"), c.GetString("public-hostname"), c.GetBoolean("dns-use-ipv6")));
    }

    [Fact]
    public void The_hocon_without_its_setup_fails_to_start_instead_of_running_without_tls()
    {
        var t = NodeTransport.Create(E("127.0.0.1:0"), _tls);
        var config = ConfigurationFactory.ParseString("akka.actor.provider = remote").WithFallback(t.Config);
        var e = Record.Exception(() =>
        {
            using var system = Akka.Actor.ActorSystem.Create("cortexbot", config);
        });
        Assert.NotNull(e);
    }

    [Fact]
    public void Peers_are_addressed_in_the_transports_protocol()
    {
        Assert.Equal("akka.ssl.tcp://cortexbot@10.0.0.5:4053", NodeTransport.Create(E("127.0.0.1:0"), _tls, peer: E("10.0.0.5:4053")).AddressOf("cortexbot", E("10.0.0.5:4053")).ToString());
        Assert.Equal("akka.tcp://cortexbot@[::1]:4053", NodeTransport.Create(E("127.0.0.1:0")).AddressOf("cortexbot", E("[::1]:4053")).ToString());
    }

    [Fact]
    public async Task ApplyTo_gives_an_akka_hosting_node_the_tls_transport()
    {
        var builder = Host.CreateApplicationBuilder();
        var transport = NodeTransport.Create(E("127.0.0.1:0"), _tls);
        builder.Services.AddAkka("cortexbot", b => transport.ApplyTo(b).AddHocon("akka.actor.provider = remote", HoconAddMode.Append));
        using var host = builder.Build();
        await host.StartAsync();
        try
        {
            var address = ((ExtendedActorSystem)host.Services.GetRequiredService<ActorSystem>()).Provider.DefaultAddress;
            Assert.Equal(("akka.ssl.tcp", "127.0.0.1"), (address.Protocol, address.Host));
            Assert.NotEqual(0, address.Port);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Fact]
    public void The_hocon_reads_as_written()
    {
        Assert.Equal("""
            akka.remote.dot-netty.tcp {
              hostname = "127.0.0.1"
              port = 4053
              public-hostname = "127.0.0.1"
              dns-use-ipv6 = off
              enable-ssl = off
            }
            """, NodeTransport.Create(E("127.0.0.1:4053")).Hocon);
        Assert.Contains("""
              dns-use-ipv6 = off
              enable-ssl = on
              ssl {
            """, NodeTransport.Create(E("127.0.0.1:4053"), _tls).Hocon, StringComparison.Ordinal);
    }
}
