using Akka.Actor;
using Akka.Event;

namespace CortexBot.Host;

/// <summary>
/// Makes messages no organ handles visible: each one is logged as a warning naming its type, sender and recipient.
/// Akka only publishes them on the event stream (and logs them at debug level when asked), so a message sent to the
/// wrong organ, or one no organ handles any more, would otherwise vanish without a trace.
/// </summary>
public sealed class UnhandledMessageLog : ReceiveActor
{
    public UnhandledMessageLog()
    {
        var log = Context.GetLogger();
        Receive<UnhandledMessage>(u =>
        {
            // Akka's own actors (under /system) leave messages unhandled by design, e.g. the cluster's Leave at shutdown
            // of a node that never joined (a brain whose robot node did not answer): not an organ's mistake to show.
            if (u.Recipient?.Path.Elements is ["system", ..]) return;
            log.Warning("unhandled message {0} from {1} to {2}",
                u.Message.GetType().Name, u.Sender?.Path.ToString() ?? "nobody", u.Recipient?.Path.ToString() ?? "nobody");
        });
    }

    protected override void PostStop() => Context.System.EventStream.Unsubscribe(Self);
}

public static class UnhandledMessages
{
    /// <summary>Starts the log and subscribes it at once (not in PreStart, which runs later), so nothing sent after this call is missed.</summary>
    public static IActorRef LogWarnings(ActorSystem system)
    {
        var log = system.ActorOf(Props.Create(() => new UnhandledMessageLog()), "unhandled-log");
        system.EventStream.Subscribe(log, typeof(UnhandledMessage));
        return log;
    }
}
