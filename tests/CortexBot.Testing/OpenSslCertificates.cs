using System.Diagnostics;

namespace CortexBot.Testing;

/// <summary>
/// Certificates made with the openssl command line at test time, as a user would (the commands of the README's how-to):
/// a directory of PEM keys and certificates and PKCS#12 bundles, deleted on dispose.
/// </summary>
public sealed class OpenSslCertificates : IDisposable
{
    public string Dir { get; } = Directory.CreateTempSubdirectory("cortexbot-tls-").FullName;

    public string Path(string name) => System.IO.Path.Combine(Dir, name);

    /// <summary>A self-signed certificate and key: <c>NAME.crt</c>, <c>NAME.key</c>.</summary>
    public void SelfSigned(string name, string subject = "/CN=cortexbot-cluster", int days = 2) =>
        OpenSsl($"req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout {name}.key -out {name}.crt -days {days} -subj {subject}");

    /// <summary>A key and a certificate for it signed by the CA <paramref name="ca"/> (made by <see cref="SelfSigned"/>).</summary>
    public void IssuedBy(string name, string ca, string subject)
    {
        OpenSsl($"req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout {name}.key -out {name}.csr -subj {subject}");
        OpenSsl($"x509 -req -in {name}.csr -CA {ca}.crt -CAkey {ca}.key -CAcreateserial -out {name}.crt -days 2");
    }

    /// <summary>Bundles <c>NAME.key</c> and <c>NAME.crt</c> (and the <paramref name="chain"/> certificates) into <c>NAME.p12</c>.</summary>
    public string Pkcs12(string name, string password, params string[] chain)
    {
        string certfile = string.Join(" ", chain.Select(c => $"-certfile {c}.crt"));
        OpenSsl($"pkcs12 -export -inkey {name}.key -in {name}.crt {certfile} -out {name}.p12 -passout pass:{password}");
        return Path($"{name}.p12");
    }

    public void OpenSsl(string arguments)
    {
        var psi = new ProcessStartInfo("openssl", arguments) { WorkingDirectory = Dir, RedirectStandardError = true, RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        string err = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new InvalidOperationException($"openssl {arguments} failed ({p.ExitCode}): {err}");
    }

    public void Dispose() => Directory.Delete(Dir, recursive: true);
}
