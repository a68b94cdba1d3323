using System.Diagnostics;
using CortexBot.Cluster.Remoting;
using CortexBot.Testing;

namespace CortexBot.Cli.Tests;

/// <summary>
/// Secure by default (issue 12 item 5) with real processes: a node exposed without TLS is refused before anything starts,
/// and a robot node and a brain given the same certificate (made now with openssl, as the README shows) run a task over
/// TLS, while a brain without it gets nothing from that node and ends cleanly.
/// </summary>
public sealed partial class RobotNodeProcessTests
{
    /// <summary>Where the test gives the nodes the certificate's password (not a CORTEXBOT_ variable: those become flags).</summary>
    private const string PasswordVariable = "NODE_TLS_PASSWORD";

    [Fact]
    public void A_non_loopback_address_without_tls_or_insecure_is_refused_with_one_line_and_exit_2()
    {
        var serve = CliProcess.Run("robot", "serve", "--listen", "0.0.0.0:0");
        Assert.Equal(2, serve.Code);
        Assert.Equal($"error: --listen 0.0.0.0:0 is not a loopback address: nodes talk over the network only with TLS; {NodeTransport.SecureFlagsHint}", serve.Stderr.Trim());
        Assert.Contains("--tls-cert", serve.Stderr, StringComparison.Ordinal);
        Assert.Contains("--insecure", serve.Stderr, StringComparison.Ordinal);
        Assert.Empty(serve.Stdout);

        // refused before the brain starts: it opens no memory and tries no connection (that would end in exit 1)
        var run = CliProcess.Run("run", "--task", Task, "--robot-node", "10.1.2.3:7470", "--memory", _db);
        Assert.Equal(2, run.Code);
        Assert.Equal($"error: --robot-node 10.1.2.3:7470 is not on loopback: nodes talk over the network only with TLS; {NodeTransport.SecureFlagsHint}", run.Stderr.Trim());
        Assert.False(File.Exists(_db), "the refused run opened the memory");

        // the transport flags belong to a brain joined to a robot node: the default run's own child needs none
        var stray = CliProcess.Run("run", "--task", Task, "--insecure", "--memory", _db);
        Assert.Equal(2, stray.Code);
        Assert.StartsWith("error: --insecure sets up a brain's link to a robot node and needs --robot-node HOST:PORT", stray.Stderr.Trim(), StringComparison.Ordinal);
        Assert.DoesNotContain('\n', stray.Stderr.Trim());
    }

    [Fact]
    public void A_task_completes_over_tls_and_a_brain_without_tls_gets_nothing_and_ends_with_one_line()
    {
        using var certs = new OpenSslCertificates();
        certs.SelfSigned("cluster");
        var p12 = certs.Pkcs12("cluster", "pw-cluster");
        var password = new Dictionary<string, string> { [PasswordVariable] = "pw-cluster" };
        var (robot, at) = Robot(password, "--tls-cert", p12, "--tls-password-env", PasswordVariable);
        Assert.Contains($"(akka.ssl.tcp://cortexbot@{at}, pid ", robot.Stdout, StringComparison.Ordinal);

        // a brain without TLS: its handshakes are refused, so the attach times out and the run ends, exit 1 with one line
        var plainStarted = Stopwatch.StartNew();
        var plain = Start("plain brain", "run", "--task", Task, "--fast", "--robot-node", at, "--memory", _db);
        // meanwhile a brain with the certificate drives the node (the plain one never attached, so it takes nothing)
        var brain = Start("tls brain", password, "run", "--task", Task, "--fast", "--robot-node", at, "--tls-cert", p12, "--tls-password-env", PasswordVariable,
            "--memory", _db, "--json");
        Assert.Equal(0, brain.WaitForExit(Wait));
        var node = Json(brain).GetProperty("robot_node");
        Assert.Equal($"akka.ssl.tcp://cortexbot@{at}", node.GetProperty("address").GetString());
        Assert.Equal(robot.Process.Id, node.GetProperty("pid").GetInt32());
        Assert.Equal(1.0, Json(brain).GetProperty("success_rate").GetDouble());

        // bound: the brain's 30 s attach timeout, its start and its stop
        Assert.Equal(1, plain.WaitForExit(TimeSpan.FromSeconds(75)));
        output.WriteLine($"the plain brain ended after {plainStarted.Elapsed.TotalSeconds:0.0} s");
        var error = Assert.Single(plain.StderrLines, l => l.Length > 0);
        Assert.Equal($"error: the robot node at akka.tcp://cortexbot@{at}/user/robot-node did not answer within 30 s", error);

        // the robot node stayed up through both and ends cleanly on Ctrl-C: nothing of the test is left running
        Assert.False(robot.Process.HasExited);
        robot.Signal(Sig.Int);
        Assert.Equal(0, robot.WaitForExit(Wait));
        Assert.All(_nodes, n => Assert.True(n.Process.HasExited, $"{n.Name} still runs"));
    }
}
