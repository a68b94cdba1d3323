using CortexBot.Cluster.Remoting;
using CortexBot.Core;
using CortexBot.Testing;

namespace CortexBot.Cluster.Tests;

/// <summary>Loading the user's PKCS#12 file, and whom it trusts: certificates made with openssl as the README shows.</summary>
public sealed class NodeTlsTests : IDisposable
{
    private readonly OpenSslCertificates _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void One_shared_self_signed_certificate_trusts_itself_and_nothing_else()
    {
        _files.SelfSigned("cluster");
        _files.SelfSigned("stranger", "/CN=cortexbot-cluster"); // the same name, another key
        var tls = NodeTls.Load(_files.Pkcs12("cluster", "pw"), "pw");
        var stranger = NodeTls.Load(_files.Pkcs12("stranger", "pw"), "pw");
        Assert.Null(tls.Refuses(tls.Certificate, null));
        Assert.Contains("UntrustedRoot", tls.Refuses(stranger.Certificate, null), StringComparison.Ordinal);
        Assert.Equal("the peer presented no certificate", tls.Refuses(null, null));
    }

    [Fact]
    public void Per_node_certificates_from_a_private_ca_trust_each_other_and_not_another_cas()
    {
        _files.SelfSigned("ca", "/CN=cortexbot-ca");
        _files.IssuedBy("robot", "ca", "/CN=robot");
        _files.IssuedBy("brain", "ca", "/CN=brain");
        _files.SelfSigned("otherca", "/CN=cortexbot-ca");
        _files.IssuedBy("intruder", "otherca", "/CN=brain");
        var robot = NodeTls.Load(_files.Pkcs12("robot", "r", "ca"), "r");
        var brain = NodeTls.Load(_files.Pkcs12("brain", "b", "ca"), "b");
        var intruder = NodeTls.Load(_files.Pkcs12("intruder", "i", "otherca"), "i");
        Assert.Equal("CN=robot", robot.Certificate.Subject);
        Assert.Single(robot.TrustAnchors);
        Assert.Null(robot.Refuses(brain.Certificate, null));
        Assert.Null(brain.Refuses(robot.Certificate, null));
        Assert.NotNull(robot.Refuses(intruder.Certificate, null));
        // The CA itself holds no key here, but a certificate signed by it alone is not a node: only chains ending in the file's CA count.
        Assert.NotNull(intruder.Refuses(robot.Certificate, null));
    }

    [Fact]
    public void A_ca_issued_certificate_without_its_ca_in_the_file_is_refused_with_the_fix()
    {
        _files.SelfSigned("ca", "/CN=cortexbot-ca");
        _files.IssuedBy("robot", "ca", "/CN=robot");
        var path = _files.Pkcs12("robot", "r");
        var e = Assert.Throws<ConfigurationException>(() => NodeTls.Load(path, "r"));
        Assert.Equal($"--tls-cert {path}: the certificate is issued by 'CN=cortexbot-ca' but the file holds no self-signed certificate to trust peers by; add the CA certificate (`openssl pkcs12 -export ... -certfile ca.crt`)", e.Message);
    }

    [Fact]
    public void A_wrong_or_missing_password_and_a_missing_file_are_one_clear_line()
    {
        _files.SelfSigned("cluster");
        var path = _files.Pkcs12("cluster", "right");
        var wrong = Assert.Throws<ConfigurationException>(() => NodeTls.Load(path, "wrong"));
        Assert.StartsWith($"--tls-cert {path}: cannot open it with the password given: wrong password, or not a PKCS#12 file", wrong.Message, StringComparison.Ordinal);
        var none = Assert.Throws<ConfigurationException>(() => NodeTls.Load(path, null));
        Assert.Contains("pass --tls-password-env VAR", none.Message, StringComparison.Ordinal);
        var missing = Assert.Throws<ConfigurationException>(() => NodeTls.Load(_files.Path("nope.p12"), "x"));
        Assert.Equal($"--tls-cert {_files.Path("nope.p12")}: the file does not exist", missing.Message);
        File.WriteAllText(_files.Path("cluster.crt.p12"), File.ReadAllText(_files.Path("cluster.crt")));
        var pem = Assert.Throws<ConfigurationException>(() => NodeTls.Load(_files.Path("cluster.crt.p12"), "right"));
        Assert.Contains("not a PKCS#12 file", pem.Message, StringComparison.Ordinal);
        Assert.All(new[] { wrong, none, missing, pem }, x => Assert.DoesNotContain('\n', x.Message));
    }

    [Fact]
    public void A_file_without_a_password_loads_without_one()
    {
        _files.SelfSigned("cluster");
        var tls = NodeTls.Load(_files.Pkcs12("cluster", ""), null);
        Assert.True(tls.Certificate.HasPrivateKey);
    }

    [Fact]
    public void A_certificate_outside_its_validity_is_refused()
    {
        _files.SelfSigned("cluster", days: 1);
        var path = _files.Pkcs12("cluster", "pw");
        var e = Assert.Throws<ConfigurationException>(() => NodeTls.Load(path, "pw", now: DateTimeOffset.Now.AddDays(3)));
        Assert.Contains("make a new one", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_certificate_file_without_its_key_is_refused()
    {
        _files.SelfSigned("cluster");
        _files.OpenSsl("pkcs12 -export -nokeys -in cluster.crt -out nokey.p12 -passout pass:pw");
        var e = Assert.Throws<ConfigurationException>(() => NodeTls.Load(_files.Path("nokey.p12"), "pw"));
        Assert.Contains("holds 0 certificates with a private key; it must hold exactly one", e.Message, StringComparison.Ordinal);
    }
}
