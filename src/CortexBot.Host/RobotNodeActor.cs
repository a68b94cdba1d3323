using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using CortexBot.Core.Messages;

namespace CortexBot.Host;

/// <summary>What the robot node tells an attaching brain about itself besides the organs' refs.</summary>
/// <param name="Status">The control loop's and safety gate's counters; true starts the loop's statistics afresh.</param>
/// <param name="PerceptionCounters">What the perceived scene made of the detection frames so far; null (or a null answer) when the scene comes from a simulator.</param>
public sealed record RobotNodeParts(Props Cerebellum, Props Brainstem, string Reset, string Perception, string WorldReason, RobotPolicy? Policy,
    Func<bool, ControlCounters> Status, Func<PerceptionCounters?>? PerceptionCounters = null);

/// <summary>
/// The robot node's supervisor: it owns the cerebellum and the brainstem (a crash restarts that organ alone; the control
/// loop holds the arm meanwhile) and hands their refs to one brain at a time through the attach handshake.
/// </summary>
/// <remarks>
/// <para>One brain drives the robot: a second is refused with the attached brain's address while that one is reachable.</para>
/// <para>A brain that becomes unreachable (killed, stopped, cut off) gets the segment in force stopped at once: the
/// cerebellum aborts the program and the control loop holds the arm, which keeps publishing its state. If it comes back
/// (SIGCONT) it goes on; its episode learns of the abort from the skill's result. If it is removed (downed after
/// <see cref="Cluster.Nodes.ClusterNodeConfig.StableAfter"/>) or a new brain attaches meanwhile, its episode becomes an
/// <see cref="InterruptedEpisode"/> that the next brain receives and stores.</para>
/// <para>The robot node never downs itself: the split-brain resolver keeps the oldest robot node.</para>
/// </remarks>
public sealed class RobotNodeActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly RobotNodeParts _parts;
    private readonly IActorRef _cerebellum;
    private readonly IActorRef _brainstem;
    private readonly Akka.Cluster.Cluster? _cluster;
    private IActorRef? _brain;
    private bool _brainReachable;
    private EpisodeUnderway? _underway;
    private InterruptedEpisode? _interrupted;

    public RobotNodeActor(RobotNodeParts parts)
    {
        _parts = parts;
        _cerebellum = Context.ActorOf(parts.Cerebellum, "cerebellum");
        _brainstem = Context.ActorOf(parts.Brainstem, "brainstem");
        _cluster = IsClustered(Context.System) ? Akka.Cluster.Cluster.Get(Context.System) : null;

        Receive<AttachBrain>(Attach);
        Receive<DetachBrain>(d =>
        {
            if (!Sender.Equals(_brain)) return;
            _log.Info("the brain at {0} detached ({1})", BrainAddress, d.Reason);
            Context.Unwatch(_brain);
            _brain = null;
            _underway = null;
        });
        // sent by the attached brain's episode actors (children of its nervous system), so checked by node
        Receive<EpisodeUnderway>(u => { if (_brain is not null && Sender.Path.Address.Equals(_brain.Path.Address)) _underway = u; });
        Receive<EpisodeClosed>(c => { if (_underway?.TaskId == c.TaskId) _underway = null; });
        Receive<GetRobotStatus>(g => Sender.Tell(new RobotStatus(SelfAddress, Environment.ProcessId,
            GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), _brain is null ? null : BrainAddress, _parts.Status(g.ResetControlStats))
        {
            Perception = _parts.PerceptionCounters?.Invoke(),
        }));
        Receive<Terminated>(t =>
        {
            if (t.ActorRef.Equals(_brain)) Lost($"the brain at {BrainAddress} is gone");
        });
        Receive<ClusterEvent.UnreachableMember>(u => Unreachable(u.Member.Address, "became unreachable"));
        // a killed brain closes its connection at once, before its heartbeats are missed
        Receive<Akka.Remote.DisassociatedEvent>(d => Unreachable(d.RemoteAddress, "closed its connection"));
        Receive<ClusterEvent.ReachableMember>(r =>
        {
            if (_brain is null || !r.Member.Address.Equals(_brain.Path.Address)) return;
            _brainReachable = true;
            _log.Info("the brain at {0} is reachable again", BrainAddress);
        });
        Receive<ClusterEvent.IClusterDomainEvent>(_ => { });
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
    }

    public static Props Props(RobotNodeParts parts) => Akka.Actor.Props.Create(() => new RobotNodeActor(parts));

    /// <summary>Whether <paramref name="system"/> runs as a cluster node (a split run) rather than alone (in-process).</summary>
    public static bool IsClustered(ActorSystem system) =>
        system.Settings.Config.GetString("akka.actor.provider", "local") is { } p && p.Contains("cluster", StringComparison.OrdinalIgnoreCase);

    protected override void PreStart()
    {
        _cluster?.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.MemberRemoved));
        if (_cluster is not null) Context.System.EventStream.Subscribe(Self, typeof(Akka.Remote.DisassociatedEvent));
    }

    protected override void PostStop()
    {
        _cluster?.Unsubscribe(Self);
        Context.System.EventStream.Unsubscribe(Self);
    }

    private void Unreachable(Address address, string what)
    {
        if (_brain is null || !_brainReachable || !address.Equals(_brain.Path.Address)) return;
        _brainReachable = false;
        // Stop the segment in force now: the control loop aborts the program and holds the arm.
        _cerebellum.Tell(new AbortSkill($"the brain at {BrainAddress} {what}"));
        _log.Warning("the brain at {0} {1}: the segment in force is stopped and the arm held{2}", BrainAddress, what,
            _underway is { } e ? $" (episode {e.TaskId}, step {e.Step})" : "");
    }

    private string SelfAddress => ((ExtendedActorSystem)Context.System).Provider.DefaultAddress.ToString();

    private string BrainAddress => _brain?.Path.Address.ToString() ?? "?";

    private void Attach(AttachBrain a)
    {
        if (_brain is not null && !_brain.Equals(Sender))
        {
            if (_brainReachable)
            {
                _log.Warning("refused the brain at {0} (pid {1}): the brain at {2} is attached", a.Brain, a.Pid, BrainAddress);
                Sender.Tell(new AttachRefused(BrainAddress,
                    $"the robot node at {SelfAddress} already drives the brain at {BrainAddress}; one brain drives one robot (end that run first)"));
                return;
            }
            // The attached brain vanished and was not removed yet: the new one takes over and the old one is downed.
            var old = _brain.Path.Address;
            Lost($"the brain at {old} became unreachable and a new brain attached");
            _cluster?.Down(old);
        }
        if (!Sender.Equals(_brain))
        {
            _brain = Sender;
            Context.Watch(_brain);
        }
        _brainReachable = true;
        _log.Info("the brain at {0} (pid {1}) attached{2}", a.Brain, a.Pid,
            _interrupted is { } i ? $"; it is told of the interrupted episode {i.TaskId} ('{i.Instruction}', step {i.Step})" : "");
        Sender.Tell(new RobotAttached(Akka.Serialization.Serialization.SerializedActorPath(_cerebellum),
            Akka.Serialization.Serialization.SerializedActorPath(_brainstem), SelfAddress, Environment.ProcessId, _parts.Reset, _parts.Perception, _parts.WorldReason)
        {
            Policy = _parts.Policy,
            Interrupted = _interrupted,
        });
        _interrupted = null;
    }

    /// <summary>The attached brain is gone for good: hold the arm, and keep its episode for the next brain.</summary>
    private void Lost(string reason)
    {
        if (_brain is null) return;
        _cerebellum.Tell(new AbortSkill(reason));
        if (_underway is { } u)
        {
            _interrupted = new InterruptedEpisode(u.TaskId, u.Instruction, u.Seed, u.Step, reason, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            _log.Warning("{0}: episode {1} ('{2}') interrupted at step {3}; the next brain stores it", reason, u.TaskId, u.Instruction, u.Step);
        }
        else _log.Info("{0}", reason);
        Context.Unwatch(_brain);
        _brain = null;
        _underway = null;
    }

    protected override SupervisorStrategy SupervisorStrategy() => new OneForOneStrategy(
        maxNrOfRetries: 20,
        withinTimeRange: TimeSpan.FromMinutes(1),
        localOnlyDecider: ex =>
        {
            _log.Error(ex, "a robot-side organ failed; restarting it (the control loop holds the arm)");
            return Directive.Restart;
        });
}
