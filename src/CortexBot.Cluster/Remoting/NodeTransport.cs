using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using Akka.Hosting;
using ConfigurationException = CortexBot.Core.ConfigurationException;

namespace CortexBot.Cluster.Remoting;

/// <summary>
/// How a node's Akka.Remote transport binds, what address it advertises, and whether it speaks TLS: secure by default.
/// <list type="bullet">
/// <item>Loopback (127.0.0.1, ::1, localhost) needs nothing: traffic never leaves the machine.</item>
/// <item>Any other bind address (0.0.0.0 and :: included), or a peer that is not on loopback, needs TLS with a certificate
/// the user provides (<see cref="NodeTls"/>: mutual authentication, peers validated against that file), or an explicit
/// <c>insecure</c>, which only turns the refusal into a <see cref="Warning"/>.</item>
/// </list>
/// Built only by <see cref="Create"/>, which refuses a bad combination with a <see cref="ConfigurationException"/>.
/// </summary>
public sealed class NodeTransport
{
    /// <summary>What to pass instead; part of every refusal.</summary>
    public const string SecureFlagsHint = "pass --tls-cert FILE --tls-password-env VAR (a PKCS#12 certificate and the environment variable holding its password) to encrypt and authenticate the link, or --insecure to accept a plain one";

    private NodeTransport(NodeEndpoint listen, string advertisedHost, HostKind advertisedKind, NodeTls? tls, bool insecure, string? warning)
    {
        Listen = listen;
        AdvertisedHost = advertisedHost;
        AdvertisedKind = advertisedKind;
        Tls = tls;
        Insecure = insecure;
        Warning = warning;
        Hocon = BuildHocon();
    }

    /// <summary>The address and port the node's socket binds to.</summary>
    public NodeEndpoint Listen { get; }
    /// <summary>The host peers are told to reach this node by (Akka's <c>public-hostname</c>): the bind host unless set apart.</summary>
    public string AdvertisedHost { get; }
    public HostKind AdvertisedKind { get; }
    /// <summary>The TLS identity, or null for a plain transport (loopback, or <see cref="Insecure"/>).</summary>
    public NodeTls? Tls { get; }
    public bool Insecure { get; }
    /// <summary>One line for the user when the link is plain and leaves the machine (<c>--insecure</c>); null otherwise.</summary>
    public string? Warning { get; }

    /// <summary>
    /// <c>akka.remote.dot-netty.tcp</c> for this node. With TLS it turns SSL on with mutual authentication and
    /// validation; the certificate itself travels in <see cref="SslSetup"/> (never a password in configuration, which
    /// Akka can log). A system given this HOCON without that setup fails to start rather than run without TLS.
    /// </summary>
    public string Hocon { get; }
    public Config Config => ConfigurationFactory.ParseString(Hocon);

    /// <summary>Akka.Remote's TLS setup (certificate and peer validator), or null without TLS.</summary>
    public Setup? SslSetup => Tls?.Setup();

    /// <summary>
    /// Validates and builds a node's transport settings.
    /// </summary>
    /// <param name="listen">Where to bind (<see cref="NodeEndpoint.Loopback"/> by default in the CLI).</param>
    /// <param name="tls">The node's certificate, or null.</param>
    /// <param name="insecure">Accept a plain link off loopback (the user's explicit <c>--insecure</c>).</param>
    /// <param name="publicHost">The host to advertise when it differs from the bind address (NAT, 0.0.0.0, a name).</param>
    /// <param name="peer">The node this one joins (a brain's robot node), if any: a link to it leaves the machine unless it is on loopback.</param>
    /// <param name="peerFlag">The flag <paramref name="peer"/> came from, for messages.</param>
    public static NodeTransport Create(NodeEndpoint listen, NodeTls? tls = null, bool insecure = false, string? publicHost = null,
        NodeEndpoint? peer = null, string peerFlag = "--robot-node")
    {
        if (tls is not null && insecure)
            throw new ConfigurationException("--insecure and --tls-cert contradict each other; pass one of them");
        var (advertised, advertisedKind) = publicHost is null ? (listen.Host, listen.Kind) : NodeEndpoint.ParseHost(publicHost, "--public-host");
        var advertisedEndpoint = NodeEndpoint.Parse($"{NodeEndpoint.FormatHost(advertised, advertisedKind)}:{listen.Port}", "--public-host");

        // What leaves the machine: the socket (bound off loopback), what the node tells peers to use, or the peer itself.
        // Checked before the advertised host's own problems: a node exposed without TLS is the first thing to fix.
        string? exposure = !listen.IsLoopback ? $"--listen {listen} is not a loopback address"
            : !advertisedEndpoint.IsLoopback ? $"--public-host {advertised} is not a loopback address"
            : peer is { IsLoopback: false } ? $"{peerFlag} {peer} is not on loopback"
            : null;
        string? warning = null;
        if (exposure is not null && tls is null)
        {
            if (!insecure)
                throw new ConfigurationException($"{exposure}: nodes talk over the network only with TLS; {SecureFlagsHint}");
            warning = $"warning: {exposure} and --insecure is set: the link between nodes is neither encrypted nor authenticated, so anyone who can reach it can command the robot";
        }
        if (publicHost is null && listen.IsAnyAddress)
            throw new ConfigurationException($"--listen {listen} binds every interface, but peers need one address to reach this node by; pass --public-host HOST (this machine's name or IP address as the peers see it)");
        if (advertisedEndpoint.IsAnyAddress)
            throw new ConfigurationException($"--public-host {advertised}: peers cannot reach a node at the wildcard address; pass this machine's name or IP address");
        return new NodeTransport(listen, advertised, advertisedKind, tls, insecure, warning);
    }

    /// <summary>
    /// The protocol of this node's addresses: Akka.Remote names a TLS transport's addresses <c>akka.ssl.tcp</c> and a plain
    /// one's <c>akka.tcp</c>, and a node only reaches addresses of its own protocol.
    /// </summary>
    public string Protocol => Tls is null ? "akka.tcp" : "akka.ssl.tcp";

    /// <summary>The address of the actor system <paramref name="systemName"/> at <paramref name="peer"/> as this node must write it (e.g. a seed node).</summary>
    public Address AddressOf(string systemName, NodeEndpoint peer) =>
        new(Protocol, systemName, NodeEndpoint.FormatHost(peer.Host, peer.Kind), peer.Port); // Akka writes IPv6 hosts in brackets

    /// <summary>Adds <see cref="Hocon"/> ahead of the host's own settings and the TLS setup, if any (Akka.Hosting hosts).</summary>
    public AkkaConfigurationBuilder ApplyTo(AkkaConfigurationBuilder builder)
    {
        builder.AddHocon(Hocon, HoconAddMode.Prepend);
        if (SslSetup is { } ssl) builder.AddSetup(ssl);
        return builder;
    }

    /// <summary>An <see cref="ActorSystemSetup"/> for <c>ActorSystem.Create</c>: <see cref="Config"/> over <paramref name="fallback"/>, and the TLS setup.</summary>
    public ActorSystemSetup SystemSetup(Config? fallback = null)
    {
        var setup = BootstrapSetup.Create().WithConfig(fallback is null ? Config : Config.WithFallback(fallback));
        return SslSetup is { } ssl ? setup.And(ssl) : Akka.Actor.Setup.ActorSystemSetup.Create(setup);
    }

    private string BuildHocon()
    {
        string ssl = Tls is null ? "  enable-ssl = off" : """
              enable-ssl = on
              ssl {
                # Chain validation stays on (NodeTls checks peers against the user's certificate file); both ends show a certificate.
                suppress-validation = off
                require-mutual-authentication = on
                # Nodes are often reached by IP address: the certificate, not the host name, is the node's identity.
                validate-certificate-hostname = off
              }
            """;
        return $$"""
            akka.remote.dot-netty.tcp {
              hostname = "{{Listen.Host}}"
              port = {{Listen.Port}}
              public-hostname = "{{AdvertisedHost}}"
              dns-use-ipv6 = {{(Listen.Kind == HostKind.IPv6 ? "on" : "off")}}
            {{ssl}}
            }
            """;
    }
}
