using Akka.Actor;
using Akka.Hosting;
using CortexBot.Cluster.Nodes;
using CortexBot.Cluster.Remoting;
using CortexBot.Cluster.Wire;
using CortexBot.Core.Messages;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace CortexBot.Host.Benchmarks;

/// <summary>A robot node process a benchmark started (the CLI's `robot serve` child); disposing it ends the process.</summary>
public interface IRobotNodeProcess : IAsyncDisposable
{
    /// <summary>Where it listens for brains.</summary>
    NodeEndpoint Endpoint { get; }

    int Pid { get; }
}

/// <summary>
/// Starts a robot node process with <c>robot serve</c>'s robot options (e.g. <c>--rate 1000</c>, <c>--fast</c>) on loopback.
/// The CLI owns how (its robot node child); a benchmark in this project only asks for one.
/// </summary>
public delegate Task<IRobotNodeProcess> RobotNodeStarter(IReadOnlyList<string> robotArgs, CancellationToken ct);

/// <summary>
/// A benchmark's brain node: a cluster node with the <c>brain</c> role joined to a robot node, attached to it through the
/// same handshake a run's nervous system uses, and sending the robot node's own messages (skills, resets, status) over
/// the wire. No cortex, no memory: what it measures is the robot node and the link.
/// </summary>
internal sealed class RobotNodeClient : IAsyncDisposable
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);
    private readonly IHost _host;
    private readonly IActorRef _brain;

    private RobotNodeClient(IHost host, IActorRef brain, IActorRef robotNode, RobotAttached attached, ActorSystem system)
    {
        _host = host;
        _brain = brain;
        RobotNode = robotNode;
        Attached = attached;
        var provider = ((ExtendedActorSystem)system).Provider;
        Cerebellum = provider.ResolveActorRef(attached.Cerebellum);
        Brainstem = provider.ResolveActorRef(attached.Brainstem);
    }

    public RobotAttached Attached { get; }
    public IActorRef RobotNode { get; }
    public IActorRef Cerebellum { get; }
    public IActorRef Brainstem { get; }

    /// <summary>Joins the robot node at <paramref name="robot"/> and attaches to it (refused or silent: InvalidOperationException).</summary>
    public static async Task<RobotNodeClient> ConnectAsync(NodeEndpoint robot, CancellationToken ct)
    {
        var builder = CortexBotRunner.HostBuilder(LogLevel.Warning);
        // as a run's brain binds: the local address towards the robot node, plain (the benchmark's robot node is on loopback)
        var transport = NodeTransport.Create(NodeEndpoint.LocalTowards(robot), peer: robot);
        var robotAddress = transport.AddressOf(ClusterNodeConfig.SystemName, robot);
        builder.Services.AddAkka(ClusterNodeConfig.SystemName, (b, _) =>
        {
            CortexBotHosting.Configure(b);
            b.AddCortexBotNode(NodeRole.Brain, transport);
            b.WithActors((system, _, _) => Akka.Cluster.Cluster.Get(system).Join(robotAddress));
        });
        var host = builder.Build();
        try
        {
            await host.StartAsync(ct);
            var system = host.Services.GetRequiredService<ActorSystem>();
            var answered = new TaskCompletionSource<(object Answer, IActorRef From)>(TaskCreationOptions.RunContinuationsAsynchronously);
            var brain = system.ActorOf(Props.Create(() => new AttachingBrain($"{robotAddress}/user/{ClusterNodeConfig.RobotNodeActorName}", answered)), "bench-brain");
            var (answer, from) = await answered.Task.WaitAsync(NervousSystemActor.AttachTimeout, ct);
            return answer switch
            {
                RobotAttached a => new RobotNodeClient(host, brain, from, a, system),
                AttachRefused r => throw new InvalidOperationException($"the robot node at {robot} refused the benchmark's brain: {r.Reason}"),
                _ => throw new InvalidOperationException($"unexpected answer {answer.GetType().Name}"),
            };
        }
        catch (TimeoutException)
        {
            await StopAsync(host);
            throw new InvalidOperationException($"the robot node at {robot} did not answer within {NervousSystemActor.AttachTimeout.TotalSeconds:0} s");
        }
        catch
        {
            await StopAsync(host);
            throw;
        }
    }

    public Task<T> AskRobotNode<T>(object message) => RobotNode.Ask<T>(message, AskTimeout);

    public Task<RobotStatus> StatusAsync(bool resetControlStats) => AskRobotNode<RobotStatus>(new GetRobotStatus(resetControlStats));

    /// <summary>Resets the simulated world to <paramref name="seed"/> (the robot node's brainstem).</summary>
    public async Task ResetWorldAsync(int seed)
    {
        var answer = await Brainstem.Ask<object>(new ResetWorld(seed), AskTimeout);
        if (answer is WorldResetFailed f) throw new InvalidOperationException($"the robot node could not reset the world: {f.Reason}");
    }

    /// <summary>Sends <paramref name="skill"/> stamped with its send time (the robot times it to its first tick) and awaits the result.</summary>
    public Task<SkillResult> ExecuteAsync(SkillInvocation skill, int step) =>
        Cerebellum.Ask<SkillResult>(Stamped(skill, step), AskTimeout);

    /// <summary>Sends a stamped skill command without waiting (its result goes to <paramref name="replyTo"/>).</summary>
    public void Send(SkillInvocation skill, int step, IActorRef replyTo) => Cerebellum.Tell(Stamped(skill, step), replyTo);

    private static ExecuteSkill Stamped(SkillInvocation skill, int step) =>
        new(BenchTask, step, skill) { SentUnixNs = Core.WallClock.UnixNs };

    private static readonly Guid BenchTask = Guid.NewGuid();

    public async ValueTask DisposeAsync()
    {
        // sent as the attached brain, so the robot node is free at once (and not only when this node leaves)
        RobotNode.Tell(new DetachBrain("the benchmark ended"), _brain);
        await StopAsync(_host);
    }

    private static async Task StopAsync(IHost host)
    {
        // bounded: leaving the cluster may wait on a robot node that is already going
        using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        try { await host.StopAsync(bound.Token); }
        catch (OperationCanceledException) { }
        host.Dispose();
    }

    /// <summary>The benchmark's brain: asks the robot node for the organs every second until it answers (a node still joining).</summary>
    private sealed class AttachingBrain : ReceiveActor, IWithTimers
    {
        public ITimerScheduler Timers { get; set; } = null!;

        public AttachingBrain(string robotNode, TaskCompletionSource<(object, IActorRef)> answered)
        {
            var selection = Context.ActorSelection(robotNode);
            var self = ((ExtendedActorSystem)Context.System).Provider.DefaultAddress.ToString();
            void Send() => selection.Tell(new AttachBrain(self, Environment.ProcessId), Self);
            Send();
            Timers.StartPeriodicTimer("retry", "retry", TimeSpan.FromSeconds(1));
            Receive<string>(_ => Send());
            Receive<RobotAttached>(a => { Timers.CancelAll(); answered.TrySetResult((a, Sender)); });
            Receive<AttachRefused>(r => { Timers.CancelAll(); answered.TrySetResult((r, Sender)); });
            // the robot node's answers to nothing else come here
            ReceiveAny(_ => { });
        }
    }
}
