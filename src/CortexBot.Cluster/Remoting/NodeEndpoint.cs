using System.Globalization;
using System.Net;
using System.Net.Sockets;
using CortexBot.Core;

namespace CortexBot.Cluster.Remoting;

/// <summary>How a node's host was written: an IPv4 or IPv6 literal, or a DNS name.</summary>
public enum HostKind
{
    IPv4,
    IPv6,
    Name,
}

/// <summary>
/// A node's network endpoint, <c>HOST:PORT</c>: an IPv4 address, an IPv6 address in brackets (<c>[::1]:4053</c>) or a
/// host name; port 0 lets the system pick a free one. Built only through <see cref="Parse"/>, so every instance is valid.
/// </summary>
public sealed record NodeEndpoint
{
    private NodeEndpoint(string host, HostKind kind, int port) => (Host, Kind, Port) = (host, kind, port);

    /// <summary>The host without brackets: IP literals in their canonical form, names in lower case.</summary>
    public string Host { get; }
    public HostKind Kind { get; }
    public int Port { get; }

    /// <summary>
    /// True for 127.0.0.0/8, ::1 and the name <c>localhost</c>. Any other name counts as a network address, whatever it
    /// resolves to now: a name can be pointed elsewhere later, so only what cannot leave the machine is trusted.
    /// </summary>
    public bool IsLoopback => Kind == HostKind.Name ? Host == "localhost" : IPAddress.IsLoopback(IPAddress.Parse(Host));

    /// <summary>0.0.0.0 or :: (every interface): a node bound there needs an advertised host its peers can reach.</summary>
    public bool IsAnyAddress => Kind != HostKind.Name && IPAddress.Parse(Host) is var ip && (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any));

    /// <summary>127.0.0.1 on <paramref name="port"/> (0: any free port).</summary>
    public static NodeEndpoint Loopback(int port = 0) => new("127.0.0.1", HostKind.IPv4, CheckPort(port));

    /// <summary>The robot node's default endpoint: loopback, a fixed port a brain finds without being told.</summary>
    public static NodeEndpoint DefaultRobot { get; } = Loopback(7470); // 7460 is the view's page, 7450 the telemetry stream

    /// <summary>
    /// This machine's address (port 0) that the route to <paramref name="peer"/> leaves from: where a node that joins
    /// <paramref name="peer"/> binds so that the peer can reach it back. Loopback for a peer on loopback. No packet is sent
    /// (a UDP socket only picks its route); no route is a <see cref="ConfigurationException"/> naming <paramref name="flag"/>.
    /// </summary>
    public static NodeEndpoint LocalTowards(NodeEndpoint peer, string flag = "--robot-node")
    {
        if (peer.IsLoopback) return peer.Kind == HostKind.Name ? Loopback() : new NodeEndpoint(peer.Host, peer.Kind, 0);
        try
        {
            using var probe = new Socket(SocketType.Dgram, ProtocolType.Udp);
            probe.Connect(peer.Host, peer.Port == 0 ? 9 : peer.Port);
            var local = ((IPEndPoint)probe.LocalEndPoint!).Address;
            if (local.IsIPv4MappedToIPv6) local = local.MapToIPv4();
            return new NodeEndpoint(local.ToString(), local.AddressFamily == AddressFamily.InterNetworkV6 ? HostKind.IPv6 : HostKind.IPv4, 0);
        }
        catch (SocketException e)
        {
            throw new ConfigurationException($"{flag} {peer}: no route to {peer.Host} ({e.Message})");
        }
    }

    public override string ToString() => $"{FormatHost(Host, Kind)}:{Port}";

    /// <summary>The host as it goes into an address: IPv6 in brackets.</summary>
    public static string FormatHost(string host, HostKind kind) => kind == HostKind.IPv6 ? $"[{host}]" : host;

    /// <summary>
    /// Parses <c>HOST:PORT</c>. Bad input throws a <see cref="ConfigurationException"/> whose one line names
    /// <paramref name="flag"/>, the value and what was expected.
    /// </summary>
    public static NodeEndpoint Parse(string? text, string flag = "--listen")
    {
        string value = (text ?? "").Trim();
        ConfigurationException Bad(string why) =>
            new($"{flag} '{value}': {why}; expected HOST:PORT, e.g. 127.0.0.1:4053, [::1]:4053 or robot.local:4053");
        if (value.Length == 0) throw Bad("empty");

        string hostText, portText;
        if (value.StartsWith('['))
        {
            int close = value.IndexOf(']');
            if (close < 0) throw Bad("no closing ']' after the IPv6 address");
            hostText = value[..(close + 1)];
            if (close + 1 >= value.Length || value[close + 1] != ':') throw Bad("no ':PORT' after the IPv6 address");
            portText = value[(close + 2)..];
        }
        else
        {
            int colon = value.IndexOf(':');
            if (colon < 0) throw Bad("no port");
            if (value.IndexOf(':', colon + 1) >= 0) throw Bad("an IPv6 address goes in brackets");
            hostText = value[..colon];
            portText = value[(colon + 1)..];
        }
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
            throw Bad($"the port '{portText}' is not a number from 0 to 65535");
        var (host, kind) = ParseHostOrThrow(hostText, Bad);
        return new NodeEndpoint(host, kind, port);
    }

    /// <summary>
    /// Parses a host alone (an advertised host such as <c>--public-host</c>): an IPv4 address, an IPv6 address with or
    /// without brackets, or a DNS name.
    /// </summary>
    public static (string Host, HostKind Kind) ParseHost(string? text, string flag)
    {
        string value = (text ?? "").Trim();
        ConfigurationException Bad(string why) =>
            new($"{flag} '{value}': {why}; expected a host name or IP address without a port, e.g. robot.local or 192.168.1.20");
        if (value.Length == 0) throw Bad("empty");
        if (!value.StartsWith('[') && value.Contains(':'))
        {
            // A bare IPv6 literal is unambiguous without a port; anything else with a colon is HOST:PORT given by mistake.
            if (!IPAddress.TryParse(value, out var ip) || ip.AddressFamily != AddressFamily.InterNetworkV6) throw Bad("a host alone, without ':PORT'");
            value = $"[{value}]";
        }
        return ParseHostOrThrow(value, Bad);
    }

    private static (string, HostKind) ParseHostOrThrow(string text, Func<string, ConfigurationException> bad)
    {
        if (text.StartsWith('['))
        {
            string inner = text.Length >= 2 && text.EndsWith(']') ? text[1..^1] : throw bad("no closing ']' after the IPv6 address");
            // A zone (%eth0) would need scope handling in Akka's addresses: refused rather than half supported.
            if (inner.Contains('%')) throw bad("IPv6 zone indices (%...) are not supported");
            if (!IPAddress.TryParse(inner, out var v6) || v6.AddressFamily != AddressFamily.InterNetworkV6)
                throw bad($"'{inner}' is not an IPv6 address");
            return (v6.ToString(), HostKind.IPv6);
        }
        if (text.Length == 0) throw bad("no host");
        // Digits and dots only: must be a dotted quad (IPAddress.TryParse would also take "1" or "10.1" as IPv4).
        if (text.All(c => char.IsAsciiDigit(c) || c == '.'))
        {
            var parts = text.Split('.');
            if (parts.Length != 4 || parts.Any(p => p.Length is 0 or > 3 || int.Parse(p, CultureInfo.InvariantCulture) > 255))
                throw bad($"'{text}' is not an IPv4 address");
            return (IPAddress.Parse(text).ToString(), HostKind.IPv4);
        }
        if (!IsDnsName(text)) throw bad($"'{text}' is not a valid host name (letters, digits, '-' and '.' only)");
        return (text.ToLowerInvariant(), HostKind.Name);
    }

    /// <summary>RFC 1123: dot-separated labels of 1-63 letters, digits or '-', not starting or ending with '-'; 253 at most.</summary>
    private static bool IsDnsName(string s) =>
        s.Length <= 253 && s.Split('.') is var labels && labels.All(l =>
            l.Length is >= 1 and <= 63 && l[0] != '-' && l[^1] != '-' && l.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'));

    private static int CheckPort(int port) => port is >= 0 and <= 65535 ? port : throw new ArgumentOutOfRangeException(nameof(port), port, "a port is 0..65535");
}
