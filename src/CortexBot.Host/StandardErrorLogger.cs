using Akka.Event;

namespace CortexBot.Host;

/// <summary>
/// Akka's minimal logger (used before the configured loggers start and after they stop), writing to stderr instead of
/// Akka's default stdout, so a command's stdout stays its result. Configured as <c>akka.stdout-logger-class</c>.
/// </summary>
public sealed class StandardErrorLogger : MinimalLogger
{
    protected override void Log(object message)
    {
        // as akka.stdout-loglevel says: after the configured loggers stop (a node shutting down its remoting), Akka
        // still hands this logger its info lines
        if (message is LogEvent e && (e.LogLevel() < LogLevel.WarningLevel || IsTransportShutdownNoise(e))) return;
        Console.Error.WriteLine(message?.ToString());
    }

    /// <summary>
    /// DotNetty's channel handlers warn while a node's remoting shuts down (e.g. "Unable to REMOVE channel ... from
    /// connection group"); by then the run's result is decided and the line would only break "one clear line".
    /// </summary>
    private static bool IsTransportShutdownNoise(LogEvent e) =>
        e.LogLevel() == LogLevel.WarningLevel && e.LogSource is { } source
        && (source.StartsWith("TcpClientHandler", StringComparison.Ordinal) || source.StartsWith("TcpServerHandler", StringComparison.Ordinal));
}
