using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using CortexBot.Core.Messages;
using CortexBot.Core.Skills;

namespace CortexBot.Host;

/// <summary>How to create the brain's organs; the robot's (cerebellum, brainstem) come from the robot node's attach.</summary>
public sealed record BrainProps(Props Cortex, Props Hippocampus)
{
    /// <summary>The safety screen and reviewer episodes re-screen the scene with while a plan runs (null: no mid-plan screen).</summary>
    public Core.Safety.SafetyReviewFlow? Safety { get; init; }
}

/// <summary>Asks the nervous system how its attach to the robot node went: <see cref="RobotAttached"/>, <see cref="AttachRefused"/> or <see cref="RobotNodeLost"/>.</summary>
public sealed class GetAttachment
{
    public static readonly GetAttachment Instance = new();
}

/// <summary>The robot node cannot be reached (it never answered, or it became unreachable): nothing more runs on this brain.</summary>
public sealed record RobotNodeLost(string Reason);

/// <summary>Tells a running episode that the robot node is lost: it ends, stored as failed with <paramref name="Reason"/>.</summary>
public sealed record RobotLost(string Reason);

/// <summary>
/// The brain's supervisor: the cortex and the hippocampus are its children; the cerebellum and the brainstem are the robot
/// node's, handed over by the attach handshake (<see cref="AttachBrain"/>) with the robot node at <c>robotNode</c> (an
/// actor in this system when in-process, on the robot node's address when split). Episodes run one at a time as short-lived
/// children; requests that come before the attach wait for it.
/// </summary>
public sealed class NervousSystemActor : ReceiveActor, IWithUnboundedStash, IWithTimers
{
    /// <summary>How long the attach may take (the robot node starts, a brain joins its cluster) before the run is given up.</summary>
    public static readonly TimeSpan AttachTimeout = TimeSpan.FromSeconds(30);

    private static readonly TimeSpan AttachRetry = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long the robot node may stay unreachable with its connection up (a stall, or this brain just resumed from a
    /// stop) before it counts as lost. A robot node that died closes its connection and counts as lost at once.
    /// </summary>
    public static readonly TimeSpan RobotStallGrace = TimeSpan.FromSeconds(1);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly IActorRef _cortex;
    private readonly IActorRef _hippocampus;
    private readonly ActorSelection _robotNode;
    private readonly EpisodeTimeouts _timeouts;
    private readonly string _controllerVersion;
    private readonly Queue<(RunEpisode Request, IActorRef ReplyTo)> _queue = new();
    private Organs? _organs;
    private RobotAttached? _attached;
    private IActorRef? _episode;
    private int _episodeCounter;
    private PolicyIdentity? _policy;
    private WorldStart _start;
    private readonly Core.Safety.SafetyReviewFlow? _safety;

    public IStash Stash { get; set; } = null!;
    public ITimerScheduler Timers { get; set; } = null!;

    private sealed class RetryAttach
    {
        public static readonly RetryAttach Instance = new();
    }

    private sealed class AttachGivenUp
    {
        public static readonly AttachGivenUp Instance = new();
    }

    private sealed class RobotStillUnreachable
    {
        public static readonly RobotStillUnreachable Instance = new();
    }

    /// <param name="robotNode">The robot node actor's path (local or remote).</param>
    public NervousSystemActor(BrainProps props, string robotNode, EpisodeTimeouts timeouts, string controllerVersion)
    {
        _timeouts = timeouts;
        _safety = props.Safety;
        _controllerVersion = controllerVersion;
        _cortex = Context.ActorOf(props.Cortex, "cortex");
        _hippocampus = Context.ActorOf(props.Hippocampus, "hippocampus");
        _robotNode = Context.ActorSelection(robotNode);
        Attaching();
    }

    public static Props Props(BrainProps props, string robotNode, EpisodeTimeouts timeouts, string controllerVersion) =>
        Akka.Actor.Props.Create(() => new NervousSystemActor(props, robotNode, timeouts, controllerVersion));

    private string SelfAddress => ((ExtendedActorSystem)Context.System).Provider.DefaultAddress.ToString();

    private void SendAttach() => _robotNode.Tell(new AttachBrain(SelfAddress, Environment.ProcessId), Self);

    /// <summary>
    /// Asks the robot node for the organs, again every second (a brain still joining, a robot node still starting), until
    /// it answers or <see cref="AttachTimeout"/> passes. Everything else waits.
    /// </summary>
    private void Attaching()
    {
        SendAttach();
        Timers.StartPeriodicTimer("attach-retry", RetryAttach.Instance, AttachRetry);
        Timers.StartSingleTimer("attach-timeout", AttachGivenUp.Instance, AttachTimeout);
        Receive<RetryAttach>(_ => SendAttach());
        Receive<RobotAttached>(a =>
        {
            Timers.CancelAll();
            Attached(a, Sender);
            Stash.UnstashAll();
        });
        Receive<AttachRefused>(r =>
        {
            Timers.CancelAll();
            _log.Warning("the robot node refused this brain: {0}", r.Reason);
            Become(() => Unavailable(r, r.Reason));
            Stash.UnstashAll();
        });
        Receive<AttachGivenUp>(_ =>
        {
            Timers.CancelAll(); // the attach retries end here (they were left to fire into Unavailable, logged as unhandled)
            // the node's address too: a remote selection's PathString is only /user/robot-node
            var lost = new RobotNodeLost($"the robot node at {_robotNode.Anchor.Path.Address}{_robotNode.PathString} did not answer within {AttachTimeout.TotalSeconds:0} s");
            Become(() => Unavailable(lost, lost.Reason));
            Stash.UnstashAll();
        });
        ReceiveAny(_ => Stash.Stash());
    }

    private void Attached(RobotAttached a, IActorRef robotNode)
    {
        var provider = ((ExtendedActorSystem)Context.System).Provider;
        _attached = a;
        _organs = new Organs(_cortex, provider.ResolveActorRef(a.Cerebellum), _hippocampus, provider.ResolveActorRef(a.Brainstem), robotNode);
        _policy = a.Policy?.Identity;
        _start = Enum.Parse<WorldStart>(a.Reset, ignoreCase: true);
        _log.Info("attached to the robot node at {0} (pid {1}); episodes start with reset {2}", a.RobotNode, a.Pid, a.Reset);
        if (a.Interrupted is { } i) StoreInterrupted(i, a.RobotNode);
        if (RobotNodeActor.IsClustered(Context.System))
        {
            Akka.Cluster.Cluster.Get(Context.System).Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
                typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.MemberRemoved));
            Context.System.EventStream.Subscribe(Self, typeof(Akka.Remote.DisassociatedEvent));
        }
        Become(Running);
    }

    /// <summary>
    /// A previous brain's episode the robot node held the arm on when that brain vanished: stored as interrupted (not a
    /// success, its reason saying what happened and at which step), so nothing is lost.
    /// </summary>
    private void StoreInterrupted(InterruptedEpisode i, string robotNode)
    {
        string reason = $"interrupted at step {i.Step}: {i.Reason} (the robot node at {robotNode} stopped the segment in force and held the arm)";
        _log.Warning("storing episode {0} ('{1}', seed {2}) as interrupted: {3}", i.TaskId, i.Instruction, i.Seed, reason);
        var record = new EpisodeRecord(i.TaskId, i.Instruction, i.Seed, DateTimeOffset.FromUnixTimeMilliseconds(i.AtUnixMs), 0, false, reason,
            "unknown", ImmutableArray<string>.Empty, ImmutableArray<StepRecord>.Empty, ImmutableArray<string>.Empty, 0, _controllerVersion)
        {
            Interrupted = true,
        };
        _hippocampus.Tell(new StoreEpisode(record));
    }

    private void Running()
    {
        Receive<GetAttachment>(_ => Sender.Tell(_attached!));
        // the robot node's answer to an attach retry sent before its first answer arrived (a loaded machine): the same
        // robot node and organs, already adopted
        Receive<RobotAttached>(_ => { });
        Receive<RunEpisode>(r =>
        {
            _queue.Enqueue((r, Sender));
            StartNext();
        });
        Receive<Terminated>(t =>
        {
            if (!t.ActorRef.Equals(_episode)) return;
            _episode = null;
            StartNext();
        });
        Receive<EpisodeStored>(s => _log.Info("interrupted episode {0} stored as #{1}", s.TaskId, s.Id));
        Receive<EpisodeStoreFailed>(f => _log.Warning("the interrupted episode {0} could not be stored: {1}", f.TaskId, f.Reason));
        Receive<ClusterEvent.UnreachableMember>(u =>
        {
            if (!IsRobot(u.Member.Address)) return;
            _log.Warning("the robot node at {0} is unreachable; it counts as lost unless it is back within {1} s", _attached!.RobotNode, RobotStallGrace.TotalSeconds);
            Timers.StartSingleTimer("robot-unreachable", RobotStillUnreachable.Instance, RobotStallGrace);
        });
        Receive<ClusterEvent.ReachableMember>(r =>
        {
            if (!IsRobot(r.Member.Address)) return;
            Timers.Cancel("robot-unreachable");
            _log.Info("the robot node at {0} is reachable again", _attached!.RobotNode);
        });
        Receive<RobotStillUnreachable>(_ => RobotGone($"became unreachable (no heartbeat for over {RobotStallGrace.TotalSeconds:0.#} s)"));
        Receive<Akka.Remote.DisassociatedEvent>(d =>
        {
            if (IsRobot(d.RemoteAddress)) RobotGone("closed its connection (the process ended)");
        });
        Receive<ClusterEvent.MemberRemoved>(m =>
        {
            if (IsRobot(m.Member.Address)) RobotGone("left the cluster");
        });
        Receive<ClusterEvent.IClusterDomainEvent>(_ => { });
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
        Receive<DetachBrain>(d =>
        {
            // this brain is done: the robot node leaving or going out of reach from now on is no loss of ours
            _organs!.Robot!.Tell(d);
            Become(() => Unavailable(new RobotNodeLost("this brain detached from the robot node"), "this brain detached from the robot node"));
        });
        Receive<GetRobotStatus>(g => _organs!.Robot!.Forward(g));
        // The episode learns of a failed skill from its SkillResult (and replans through the cortex); this is the log line.
        Receive<AnomalyDetected>(a => _log.Warning("anomaly in task {0}: {1}", a.TaskId, a.Anomaly));
        Receive<EmergencyStop>(e => _organs!.Brainstem.Forward(e));
        Receive<Resume>(e => _organs!.Brainstem.Forward(e));
        Receive<GetScene>(e => _organs!.Brainstem.Forward(e));
        Receive<GetRobotState>(e => _organs!.Brainstem.Forward(e));
    }

    private bool IsRobot(Address address) => _attached is not null && address.ToString().Equals(_attached.RobotNode, StringComparison.Ordinal);

    private void RobotGone(string what)
    {
        Timers.Cancel("robot-unreachable");
        if (_attached is null) return;
        var lost = new RobotNodeLost($"the robot node at {_attached.RobotNode} {what}");
        _log.Error("{0}: the episode in progress ends as failed and no more episodes run", lost.Reason);
        _episode?.Tell(new RobotLost(lost.Reason));
        foreach (var (_, replyTo) in _queue) replyTo.Tell(lost);
        _queue.Clear();
        Become(() => Unavailable(lost, lost.Reason));
    }

    /// <summary>No robot to drive: every request is answered with why.</summary>
    private void Unavailable(object answer, string reason)
    {
        Receive<GetAttachment>(_ => Sender.Tell(answer));
        Receive<RunEpisode>(_ => Sender.Tell(answer));
        Receive<GetRobotStatus>(_ => Sender.Tell(new Status.Failure(new InvalidOperationException(reason))));
        Receive<DetachBrain>(_ => { });
        // a late answer to an attach retry: the robot node counts this brain attached again, so it must hear it is not
        Receive<RobotAttached>(_ => Sender.Tell(new DetachBrain(reason)));
        // an episode that was running (or just ended) still stops; it answered its own caller
        Receive<Terminated>(t => { if (t.ActorRef.Equals(_episode)) _episode = null; });
        Receive<EpisodeStored>(_ => { });
        Receive<EpisodeStoreFailed>(_ => { });
        Receive<ClusterEvent.IClusterDomainEvent>(_ => { });
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
        Receive<Akka.Remote.DisassociatedEvent>(_ => { });
        Receive<RobotStillUnreachable>(_ => { });
    }

    protected override void PostStop()
    {
        if (RobotNodeActor.IsClustered(Context.System)) Akka.Cluster.Cluster.Get(Context.System).Unsubscribe(Self);
        Context.System.EventStream.Unsubscribe(Self);
    }

    private void StartNext()
    {
        if (_episode is not null || _queue.Count == 0) return;
        var (request, replyTo) = _queue.Dequeue();
        _episode = Context.ActorOf(EpisodeActor.Props(request, replyTo, _organs!, _timeouts, _controllerVersion, _policy, _start, _safety), $"episode-{++_episodeCounter}");
        Context.Watch(_episode);
    }

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(
        maxNrOfRetries: 20,
        withinTimeRange: TimeSpan.FromMinutes(1),
        localOnlyDecider: ex =>
        {
            _log.Error(ex, "an organ failed; restarting it");
            return Directive.Restart;
        });
}

/// <summary>Marker type for the actor registry.</summary>
public sealed class NervousSystem;

/// <summary>Marker type for the actor registry: the robot node's supervisor (<see cref="RobotNodeActor"/>).</summary>
public sealed class RobotNode;
