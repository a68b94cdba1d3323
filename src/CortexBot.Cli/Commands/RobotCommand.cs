using System.CommandLine;
using System.Diagnostics;
using System.Runtime.InteropServices;
using Akka.Actor;
using CortexBot.Cluster.Remoting;
using CortexBot.Host;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CortexBot.Cli.Commands;

/// <summary>`cortexbot robot serve`: the robot node (issue 12), up across many brains and episodes.</summary>
internal static class RobotCommand
{
    /// <summary>The first line a robot node prints on stdout once brains can attach: this, then HOST:PORT and a space.</summary>
    public const string ReadyPrefix = "robot node listening on ";

    private static readonly TimeSpan ParentPoll = TimeSpan.FromMilliseconds(250);

    public static Command Create()
    {
        // --listen (default 127.0.0.1:7470; port 0: pick one and print it), --public-host, --tls-cert, --tls-password-env/-file, --insecure
        var node = new NodeCliOptions(NodeEndpoint.DefaultRobot.ToString());
        var parentPid = new Option<int?>("--parent-pid") { Description = "End when the process with this id ends (how a run ties its own robot node to itself)" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Log the robot node's activity to stderr" };
        var robotOptions = new RobotCliOptions();
        var serve = new Command("serve",
            "Run the robot node: the robot link or simulator, the safety gate, the control loop, the cerebellum and the brainstem. " +
            "Brains (`cortexbot run --robot-node HOST:PORT`) attach one at a time; the node stays up across brains and episodes until Ctrl-C. " +
            "It binds loopback unless --listen says otherwise; any other address needs TLS between the nodes (--tls-cert) or an explicit --insecure.")
            { parentPid, verbose };
        node.AddTo(serve);
        foreach (var o in robotOptions.All) serve.Options.Add(o);
        serve.SetAction(async (parse, ct) =>
        {
            var transport = node.Build(parse);
            var options = robotOptions.Apply(parse, new CortexBotOptions()).Validate();
            int? parent = parse.GetValue(parentPid);
            var level = GlobalOptions.Level(parse, verbose);
            using var host = CortexBotRunner.BuildRobotNode(options, transport, level);
            // Configuration errors (a bad policy, no route to the ROS 2 graph's simulator) before anything listens.
            host.Services.GetRequiredService<Cerebellum.Skills.SkillCompiler>();
            host.Services.GetRequiredService<WorldSetup>();
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            // (a signal may land while the action returns and `stop` is being disposed: nothing is left to stop then)
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; try { stop.Cancel(); } catch (ObjectDisposedException) { } });
            if (transport.Warning is { } warning) Console.Error.WriteLine(warning);
            await host.StartAsync(stop.Token);
            var address = ((ExtendedActorSystem)host.Services.GetRequiredService<ActorSystem>()).Provider.DefaultAddress;
            // HOST:PORT as brains pass it to --robot-node (an IPv6 host in brackets), then the address (akka.ssl.tcp with TLS)
            Console.WriteLine($"{ReadyPrefix}{NodeEndpoint.FormatHost(transport.AdvertisedHost, transport.AdvertisedKind)}:{address.Port} ({address}, pid {Environment.ProcessId})");
            Console.Out.Flush();
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    if (parent is { } pid && !Alive(pid))
                    {
                        Console.Error.WriteLine($"robot node: the parent process {pid} is gone; stopping");
                        break;
                    }
                    await Task.Delay(ParentPoll, stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
                }
            }
            finally
            {
                // bounded: Akka's coordinated shutdown may wait on cluster convergence with brains that already left
                using var bound = new CancellationTokenSource(StopBound);
                var stopping = host.StopAsync(bound.Token);
                // a hosted service may not honour the token: the bound holds whatever the service does
                if (await Task.WhenAny(stopping, Task.Delay(StopBound + StopBound)) != stopping)
                {
                    Console.Error.WriteLine($"robot node: the shutdown took longer than {2 * StopBound.TotalSeconds:0} s; ending the process (the arm holds its last command)");
                    Environment.Exit(0);
                }
                await stopping;
            }
            return 0;
        });
        var robot = new Command("robot", "The robot node of a split controller: `robot serve`.") { serve };
        return robot;
    }

    /// <summary>How long the node's shutdown may take before the process ends anyway (the arm holds from the control loop's last tick).</summary>
    private static readonly TimeSpan StopBound = TimeSpan.FromSeconds(15);

    private static bool Alive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
