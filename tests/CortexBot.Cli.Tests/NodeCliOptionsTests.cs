using System.CommandLine;
using CortexBot.Cli.Commands;
using CortexBot.Cluster.Remoting;
using CortexBot.Core;
using CortexBot.Testing;

namespace CortexBot.Cli.Tests;

/// <summary>The node transport flags on a command of their own: defaults, TLS from a file and a password from the environment or a file, refusals.</summary>
public sealed class NodeCliOptionsTests : IDisposable
{
    private readonly OpenSslCertificates _files = new();
    private readonly NodeCliOptions _options = new("127.0.0.1:4053");
    private readonly Command _command = new("serve");

    public NodeCliOptionsTests() => _options.AddTo(_command);

    public void Dispose() => _files.Dispose();

    private NodeTransport Build(IReadOnlyDictionary<string, string>? env, params string[] args) => Build(env, null, args);

    private NodeTransport Build(IReadOnlyDictionary<string, string>? env, NodeEndpoint? peer, params string[] args)
    {
        var parse = _command.Parse(args);
        Assert.True(parse.Errors.Count == 0, string.Join("; ", parse.Errors.Select(e => e.Message)));
        return _options.Build(parse, env ?? new Dictionary<string, string>(), peer);
    }

    private ConfigurationException Refused(IReadOnlyDictionary<string, string>? env, params string[] args) =>
        Assert.Throws<ConfigurationException>(() => Build(env, args));

    /// <summary>A self-signed certificate in a PKCS#12 file, made with openssl as the README shows.</summary>
    private string Certificate(string password)
    {
        _files.SelfSigned("node");
        return _files.Pkcs12("node", password);
    }

    [Fact]
    public void By_default_a_node_listens_on_loopback_without_tls()
    {
        var t = Build(null);
        Assert.Equal(("127.0.0.1:4053", null, false), (t.Listen.ToString(), t.Tls, t.Insecure));
    }

    [Fact]
    public void A_network_address_without_tls_or_insecure_is_refused_with_what_to_pass()
    {
        var e = Refused(null, "--listen", "0.0.0.0:4053", "--public-host", "robot.lab");
        Assert.Equal($"--listen 0.0.0.0:4053 is not a loopback address: nodes talk over the network only with TLS; {NodeTransport.SecureFlagsHint}", e.Message);
        var t = Build(null, "--listen", "0.0.0.0:4053", "--public-host", "robot.lab", "--insecure");
        Assert.NotNull(t.Warning);
    }

    [Fact]
    public void Joining_a_robot_node_across_the_network_without_tls_is_refused()
    {
        var e = Assert.Throws<ConfigurationException>(() => Build(null, NodeEndpoint.Parse("10.0.0.5:4053"), "--listen", "127.0.0.1:0"));
        Assert.StartsWith("--robot-node 10.0.0.5:4053 is not on loopback", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Tls_takes_its_password_from_an_environment_variable_or_a_file()
    {
        var p12 = Certificate("hunter2");
        var env = new Dictionary<string, string> { ["ROBOT_TLS_PASSWORD"] = "hunter2" };
        var t = Build(env, "--listen", "0.0.0.0:4053", "--public-host", "10.0.0.7", "--tls-cert", p12, "--tls-password-env", "ROBOT_TLS_PASSWORD");
        Assert.NotNull(t.Tls);
        Assert.Equal(("akka.ssl.tcp", "10.0.0.7"), (t.Protocol, t.AdvertisedHost));
        var file = _files.Path("password");
        File.WriteAllText(file, "hunter2\n");
        Assert.NotNull(Build(null, "--listen", "[::]:4053", "--public-host", "robot.lab", "--tls-cert", p12, "--tls-password-file", file).Tls);
    }

    [Fact]
    public void Tls_flag_mistakes_are_one_clear_line()
    {
        var p12 = Certificate("hunter2");
        Assert.Equal("--tls-password-env NOPE: the environment variable NOPE is not set",
            Refused(null, "--tls-cert", p12, "--tls-password-env", "NOPE").Message);
        Assert.StartsWith($"--tls-cert {p12}: cannot open it with the password given",
            Refused(new Dictionary<string, string> { ["PW"] = "wrong" }, "--tls-cert", p12, "--tls-password-env", "PW").Message, StringComparison.Ordinal);
        Assert.Equal("--tls-password-env without --tls-cert: pass the PKCS#12 file with --tls-cert FILE",
            Refused(null, "--tls-password-env", "PW").Message);
        Assert.Equal("--tls-password-env and --tls-password-file both name the password; pass one of them",
            Refused(null, "--tls-cert", p12, "--tls-password-env", "PW", "--tls-password-file", "f").Message);
        Assert.Equal("--insecure and --tls-cert contradict each other; pass one of them",
            Refused(new Dictionary<string, string> { ["PW"] = "hunter2" }, "--tls-cert", p12, "--tls-password-env", "PW", "--insecure").Message);
        Assert.StartsWith("--tls-password-file /nonexistent/pw: cannot read it", Refused(null, "--tls-cert", p12, "--tls-password-file", "/nonexistent/pw").Message, StringComparison.Ordinal);
        Assert.StartsWith("--listen 'robot': no port;", Refused(null, "--listen", "robot").Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1:7470", "127.0.0.1:0")]
    [InlineData("localhost:7470", "127.0.0.1:0")]
    [InlineData("[::1]:7470", "[::1]:0")]
    public void A_brain_without_listen_binds_loopback_on_a_port_the_system_picks_towards_a_robot_node_on_loopback(string robot, string listen)
    {
        var brain = new NodeCliOptions(defaultListen: null);
        var command = new Command("run");
        brain.AddTo(command);
        var t = brain.Build(command.Parse([]), new Dictionary<string, string>(), NodeEndpoint.Parse(robot));
        Assert.Equal((listen, null, null), (t.Listen.ToString(), t.Tls, t.Warning));
        Assert.Null(brain.FirstGiven(command.Parse([])));
    }

    [Fact]
    public void The_first_flag_given_is_named_and_a_default_is_no_flag_given()
    {
        Assert.Null(_options.FirstGiven(_command.Parse([])));
        Assert.Equal("--tls-cert", _options.FirstGiven(_command.Parse(["--tls-cert", "x.p12"])));
        Assert.Equal("--insecure", _options.FirstGiven(_command.Parse(["--insecure"])));
    }
}
