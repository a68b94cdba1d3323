using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Dispatch;
using Akka.Event;
using Microsoft.Extensions.Logging;

namespace CortexBot.Host;

/// <summary>The host's logger factory for <see cref="BrainNodeLogger"/>.</summary>
internal sealed class BrainNodeLoggerSetup(ILoggerFactory factory) : Setup
{
    public ILoggerFactory Factory { get; } = factory;
}

/// <summary>
/// A brain node's Akka logger: Akka's log events to the host's logging, as Akka.Hosting's own logger does, less
/// Akka.Remote's warning at each failed try to reach the robot node (one every 5 s while it is unreachable, each with a
/// stack trace) and its other link warnings (<see cref="IsLinkNoise"/>). The run says what matters itself, in one line: the robot node was lost, or did not answer (a robot
/// node that speaks TLS to a brain without it logs the refused handshakes on its side).
/// </summary>
internal sealed class BrainNodeLogger : ActorBase, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    private const string UnreachableWarning = "Tried to associate with unreachable remote address";
    private readonly Microsoft.Extensions.Logging.ILogger _log;

    public BrainNodeLogger()
    {
        var setup = Context.System.Settings.Setup.Get<BrainNodeLoggerSetup>();
        if (!setup.HasValue) throw new InvalidOperationException($"{nameof(BrainNodeLogger)} needs a {nameof(BrainNodeLoggerSetup)} in the actor system's setup");
        _log = setup.Value.Factory.CreateLogger(typeof(ActorSystem).FullName!);
    }

    protected override bool Receive(object message)
    {
        switch (message)
        {
            case InitializeLogger:
                Sender.Tell(new LoggerInitialized());
                return true;
            case Warning w when (w.Message is LogMessage m ? m.Format : w.Message?.ToString() ?? "").StartsWith(UnreachableWarning, StringComparison.Ordinal):
                return true;
            case Warning w when IsLinkNoise(w):
                return true;
            case LogEvent e:
                // LogEvent's own text ([LEVEL][time][thread][source] message, and an error's cause), as Akka prints it
                _log.Log(Level(e.LogLevel()), "{AkkaLogEvent}", e.ToString());
                return true;
            default:
                return false;
        }
    }

    /// <summary>
    /// Akka.Remote's other lines about the link to the robot node: DotNetty's channel handlers as the link closes ("Unable
    /// to REMOVE channel ..."), associations gated, heartbeats delayed on a loaded machine. The run reports a robot node
    /// lost itself (exit 1, one line); a robot node logs them for its operator.
    /// </summary>
    private static bool IsLinkNoise(Warning w)
    {
        var source = w.LogSource ?? "";
        if (source.Contains("TcpClientHandler", StringComparison.Ordinal) || source.Contains("TcpServerHandler", StringComparison.Ordinal)
            || source.Contains("/system/endpointManager/", StringComparison.Ordinal))
            return true;
        var text = w.Message is LogMessage m ? m.Format : w.Message?.ToString() ?? "";
        return text.Contains("Scheduled sending of heartbeat was delayed", StringComparison.Ordinal)
            || text.Contains("heartbeat interval is growing too large", StringComparison.Ordinal);
    }

    private static Microsoft.Extensions.Logging.LogLevel Level(Akka.Event.LogLevel level) => level switch
    {
        Akka.Event.LogLevel.DebugLevel => Microsoft.Extensions.Logging.LogLevel.Debug,
        Akka.Event.LogLevel.InfoLevel => Microsoft.Extensions.Logging.LogLevel.Information,
        Akka.Event.LogLevel.WarningLevel => Microsoft.Extensions.Logging.LogLevel.Warning,
        _ => Microsoft.Extensions.Logging.LogLevel.Error,
    };
}
