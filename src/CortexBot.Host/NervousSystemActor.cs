using Akka.Actor;
using Akka.Event;
using CortexBot.Core.Messages;
using CortexBot.Core.Skills;

namespace CortexBot.Host;

/// <summary>How to create each organ; the host decides which adapters they get.</summary>
public sealed record OrganProps(Props Cortex, Props Cerebellum, Props Hippocampus, Props Brainstem);

/// <summary>
/// The supervisor of the four organs. A crash inside an organ restarts that organ alone (the control loop keeps holding
/// the arm meanwhile); episodes run one at a time as short-lived children.
/// </summary>
public sealed class NervousSystemActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly Organs _organs;
    private readonly Queue<(RunEpisode Request, IActorRef ReplyTo)> _queue = new();
    private IActorRef? _episode;
    private int _episodeCounter;
    private readonly PolicyIdentity? _policy;
    private readonly WorldStart _start;

    /// <param name="start">How each episode starts (a reset, the arm moved home, or the scene as it is).</param>
    public NervousSystemActor(OrganProps props, EpisodeTimeouts timeouts, string controllerVersion,
        PolicyIdentity? policy = null, WorldStart start = WorldStart.Sim)
    {
        _policy = policy;
        _start = start;
        _organs = new Organs(
            Context.ActorOf(props.Cortex, "cortex"),
            Context.ActorOf(props.Cerebellum, "cerebellum"),
            Context.ActorOf(props.Hippocampus, "hippocampus"),
            Context.ActorOf(props.Brainstem, "brainstem"));

        Receive<RunEpisode>(r =>
        {
            _queue.Enqueue((r, Sender));
            StartNext(timeouts, controllerVersion);
        });
        Receive<Terminated>(t =>
        {
            if (!t.ActorRef.Equals(_episode)) return;
            _episode = null;
            StartNext(timeouts, controllerVersion);
        });
        // The episode learns of a failed skill from its SkillResult (and replans through the cortex); this is the log line.
        Receive<AnomalyDetected>(a => _log.Warning("anomaly in task {0}: {1}", a.TaskId, a.Anomaly));
        Receive<EmergencyStop>(e => _organs.Brainstem.Forward(e));
        Receive<Resume>(e => _organs.Brainstem.Forward(e));
        Receive<GetScene>(e => _organs.Brainstem.Forward(e));
        Receive<GetRobotState>(e => _organs.Brainstem.Forward(e));
    }

    public static Props Props(OrganProps props, EpisodeTimeouts timeouts, string controllerVersion,
        PolicyIdentity? policy = null, WorldStart start = WorldStart.Sim) =>
        Akka.Actor.Props.Create(() => new NervousSystemActor(props, timeouts, controllerVersion, policy, start));

    private void StartNext(EpisodeTimeouts timeouts, string controllerVersion)
    {
        if (_episode is not null || _queue.Count == 0) return;
        var (request, replyTo) = _queue.Dequeue();
        _episode = Context.ActorOf(EpisodeActor.Props(request, replyTo, _organs, timeouts, controllerVersion, _policy, _start), $"episode-{++_episodeCounter}");
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
