using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;
using CortexBot.Core;

namespace CortexBot.Cluster.Remoting;

/// <summary>
/// A node's TLS identity and whom it trusts, from one PKCS#12 file the user provides.
/// <para>
/// The file holds this node's certificate with its private key and, optionally, the CA certificates that issued it
/// (<c>openssl pkcs12 -export ... -certfile ca.pem</c>). A peer is trusted when its certificate chains to a certificate
/// in that file: with one self-signed certificate shared by the nodes, that is the certificate itself; with per-node
/// certificates from a private CA, the CA. The operating system's trusted roots are not consulted: a certificate a
/// public CA issued to anyone must not let its holder drive the robot. Host names are not checked (nodes are reached by
/// IP address as often as by name); the certificate is the cluster's identity.
/// </para>
/// </summary>
public sealed class NodeTls
{
    private NodeTls(string path, X509Certificate2 certificate, X509Certificate2Collection anchors, X509Certificate2Collection intermediates)
    {
        Path = path;
        Certificate = certificate;
        TrustAnchors = anchors;
        Intermediates = intermediates;
    }

    /// <summary>The PKCS#12 file this came from (for messages; the password is not kept).</summary>
    public string Path { get; }
    /// <summary>This node's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }
    /// <summary>The self-signed certificates in the file: a peer's chain must end in one of them.</summary>
    public X509Certificate2Collection TrustAnchors { get; }
    /// <summary>The file's other CA certificates, used to complete a peer's chain but not trusted on their own.</summary>
    public X509Certificate2Collection Intermediates { get; }

    /// <summary>
    /// Loads <paramref name="path"/> (PKCS#12) with <paramref name="password"/> (null or empty for a file without one).
    /// Every problem is a <see cref="ConfigurationException"/> with one line saying what to fix.
    /// </summary>
    public static NodeTls Load(string path, string? password, DateTimeOffset? now = null)
    {
        if (!File.Exists(path)) throw new ConfigurationException($"--tls-cert {path}: the file does not exist");
        X509Certificate2Collection all;
        try
        {
            all = X509CertificateLoader.LoadPkcs12CollectionFromFile(path, password);
        }
        catch (CryptographicException e)
        {
            throw new ConfigurationException(string.IsNullOrEmpty(password)
                ? $"--tls-cert {path}: cannot open it without a password ({e.Message}); pass --tls-password-env VAR naming the environment variable that holds it"
                : $"--tls-cert {path}: cannot open it with the password given: wrong password, or not a PKCS#12 file ({e.Message})");
        }
        var withKey = all.Where(c => c.HasPrivateKey).ToList();
        if (withKey.Count != 1)
            throw new ConfigurationException($"--tls-cert {path}: holds {withKey.Count} certificates with a private key; it must hold exactly one (this node's), e.g. from `openssl pkcs12 -export -inkey node.key -in node.crt -out node.p12`");
        var own = withKey[0];
        var at = now ?? DateTimeOffset.Now;
        if (at < own.NotBefore || at > own.NotAfter)
            throw new ConfigurationException($"--tls-cert {path}: the certificate '{own.Subject}' is valid from {own.NotBefore:u} to {own.NotAfter:u}, not now ({at:u}); make a new one");
        using (var rsa = own.GetRSAPrivateKey())
        using (var ecdsa = own.GetECDsaPrivateKey())
            if (rsa is null && ecdsa is null)
                throw new ConfigurationException($"--tls-cert {path}: the private key is neither RSA nor ECDSA, which TLS here cannot use");

        var anchors = new X509Certificate2Collection();
        var intermediates = new X509Certificate2Collection();
        foreach (var c in all)
        {
            if (IsSelfSigned(c)) anchors.Add(c);
            else if (!ReferenceEquals(c, own)) intermediates.Add(c);
        }
        if (anchors.Count == 0)
            throw new ConfigurationException($"--tls-cert {path}: the certificate is issued by '{own.Issuer}' but the file holds no self-signed certificate to trust peers by; add the CA certificate (`openssl pkcs12 -export ... -certfile ca.crt`)");
        var tls = new NodeTls(path, own, anchors, intermediates);
        // Peers get the same test: a node whose own certificate its peers would refuse is a configuration error now, not a silent link failure later.
        if (tls.Refuses(own, presented: null) is { } why)
            throw new ConfigurationException($"--tls-cert {path}: this node's certificate does not chain to a CA in the same file ({why})");
        return tls;
    }

    /// <summary>Null when <paramref name="peer"/> is trusted; otherwise why not, in a few words.</summary>
    public string? Refuses(X509Certificate2? peer, X509Chain? presented)
    {
        if (peer is null) return "the peer presented no certificate";
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(TrustAnchors);
        chain.ChainPolicy.ExtraStore.AddRange(Intermediates);
        // The certificates the peer sent along (its own intermediates): they still have to end in one of our anchors.
        if (presented is not null)
            foreach (var element in presented.ChainElements)
                if (!element.Certificate.Equals(peer)) chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        // A private cluster CA publishes no revocation lists; revoke by issuing new certificates from a new CA.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain.Build(peer)) return null;
        var problems = chain.ChainStatus.Select(s => s.Status).Where(s => s != X509ChainStatusFlags.NoError).Distinct();
        return $"'{peer.Subject}': {string.Join(", ", problems)}";
    }

    /// <summary>Akka.Remote's validator (called on both ends of every handshake): <see cref="Refuses"/>, logged when it refuses.</summary>
    public CertificateValidationCallback Validator => (certificate, chain, remotePeer, errors, log) =>
    {
        if (Refuses(certificate, chain) is not { } why) return true;
        log.Warning("TLS: refused the peer {0}: its certificate is not trusted by {1} ({2})", remotePeer, Path, why);
        return false;
    };

    /// <summary>Akka.Remote's TLS setup: this certificate, mutual authentication, validation by <see cref="Validator"/>.</summary>
    public DotNettySslSetup Setup() =>
        new(Certificate, suppressValidation: false, requireMutualAuthentication: true, validateCertificateHostname: false, customValidator: Validator);

    private static bool IsSelfSigned(X509Certificate2 c) => c.SubjectName.RawData.AsSpan().SequenceEqual(c.IssuerName.RawData);
}
