using System.CommandLine;
using CortexBot.Cluster.Remoting;
using CortexBot.Core;

namespace CortexBot.Cli.Commands;

/// <summary>
/// The flags of a node's transport between the brain and the robot node (issue 12): where it listens, what it
/// advertises, its TLS certificate, or an explicit --insecure. Secure by default: see <see cref="NodeTransport"/>.
/// Passwords never come on the command line (it is visible to every user in the process list): an environment
/// variable or a file names where the password is.
/// </summary>
/// <param name="defaultListen">
/// Where the node binds without --listen; null for a node that joins a peer (a brain): loopback, or the local address
/// that reaches the peer when the peer is elsewhere (see <see cref="Build"/>).
/// </param>
internal sealed class NodeCliOptions(string? defaultListen = "127.0.0.1:0")
{
    public readonly Option<string?> Listen = new("--listen")
    {
        Description = "HOST:PORT this node's remoting binds to (IPv6 in brackets; port 0 picks a free one). Any address but loopback needs --tls-cert or --insecure" +
            (defaultListen is null ? ". Default: port 0 on loopback, or on the local address that reaches --robot-node when that is elsewhere" : ""),
        DefaultValueFactory = defaultListen is null ? null : _ => defaultListen,
    };
    public readonly Option<string?> PublicHost = new("--public-host")
    {
        Description = "Host name or IP address peers reach this node by, when it differs from the --listen host (0.0.0.0, NAT, a DNS name)",
    };
    public readonly Option<string?> TlsCert = new("--tls-cert")
    {
        Description = "PKCS#12 file (.p12) with this node's certificate and key, plus the CA that issued it if not self-signed: TLS with mutual authentication between nodes; peers must chain to a certificate in this file",
    };
    public readonly Option<string?> TlsPasswordEnv = new("--tls-password-env")
    {
        Description = "Name of the environment variable holding the --tls-cert file's password",
    };
    public readonly Option<string?> TlsPasswordFile = new("--tls-password-file")
    {
        Description = "File whose first line is the --tls-cert file's password (e.g. a systemd credential)",
    };
    public readonly Option<bool> Insecure = new("--insecure")
    {
        Description = "Allow a plain, unauthenticated link between nodes off loopback (anyone who reaches the port can command the robot)",
    };

    public IEnumerable<Option> All => [Listen, PublicHost, TlsCert, TlsPasswordEnv, TlsPasswordFile, Insecure];

    /// <summary>Adds <see cref="All"/> to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var option in All) command.Options.Add(option);
    }

    /// <summary>The first of these flags given on the command line (a default does not count), or null.</summary>
    public string? FirstGiven(ParseResult parse) => All.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false })?.Name;

    /// <summary><see cref="Build(ParseResult, IReadOnlyDictionary{string, string}, NodeEndpoint?, string)"/> with this process's environment.</summary>
    public NodeTransport Build(ParseResult parse, NodeEndpoint? peer = null, string peerFlag = "--robot-node") =>
        Build(parse, ConfigSources.ProcessEnvironment(), peer, peerFlag);

    /// <summary>
    /// The node's validated transport. <paramref name="peer"/>: the node this one joins (a brain's --robot-node), whose
    /// link also needs TLS when it is not on loopback. Bad input throws a <see cref="ConfigurationException"/> (exit 2).
    /// </summary>
    public NodeTransport Build(ParseResult parse, IReadOnlyDictionary<string, string> environment, NodeEndpoint? peer = null, string peerFlag = "--robot-node")
    {
        var listen = parse.GetValue(Listen) is { } listenText ? NodeEndpoint.Parse(listenText, "--listen") : null;
        string? cert = parse.GetValue(TlsCert), passwordEnv = parse.GetValue(TlsPasswordEnv), passwordFile = parse.GetValue(TlsPasswordFile);
        if (passwordEnv is not null && passwordFile is not null)
            throw new ConfigurationException("--tls-password-env and --tls-password-file both name the password; pass one of them");
        if (cert is null && (passwordEnv ?? passwordFile) is not null)
            throw new ConfigurationException($"{(passwordEnv is not null ? "--tls-password-env" : "--tls-password-file")} without --tls-cert: pass the PKCS#12 file with --tls-cert FILE");
        NodeTls? tls = null;
        if (cert is not null)
        {
            if (parse.GetValue(Insecure)) throw new ConfigurationException("--insecure and --tls-cert contradict each other; pass one of them");
            tls = NodeTls.Load(cert, Password(passwordEnv, passwordFile, environment));
        }
        bool insecure = parse.GetValue(Insecure);
        string? publicHost = parse.GetValue(PublicHost);
        if (listen is null)
        {
            // A plain link to a peer elsewhere is refused before the route to it is looked up (which may fail first).
            if (peer is not null) NodeTransport.Create(NodeEndpoint.Loopback(), tls, insecure, publicHost, peer, peerFlag);
            // Where the peer can reach this node back: loopback for a peer on loopback.
            listen = peer is null ? NodeEndpoint.Loopback() : NodeEndpoint.LocalTowards(peer, peerFlag);
        }
        return NodeTransport.Create(listen, tls, insecure, publicHost, peer, peerFlag);
    }

    private static string? Password(string? variable, string? file, IReadOnlyDictionary<string, string> environment)
    {
        if (variable is not null)
            return environment.TryGetValue(variable, out var value)
                ? value
                : throw new ConfigurationException($"--tls-password-env {variable}: the environment variable {variable} is not set");
        if (file is null) return null;
        try
        {
            // The first line: files written by echo or editors end in a newline that is not part of the password.
            using var reader = new StreamReader(file);
            return reader.ReadLine() ?? "";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException($"--tls-password-file {file}: cannot read it ({e.Message})");
        }
    }
}
