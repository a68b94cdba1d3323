using System.Diagnostics;
using CortexBot.Cli.Benchmarks;
using CortexBot.Cluster.Remoting;
using CortexBot.Core;
using CortexBot.Host;
using Microsoft.Extensions.Logging;

namespace CortexBot.Cli.Commands;

/// <summary>What keeps a run's robot part in its own process.</summary>
internal static class RunPlacement
{
    /// <summary>
    /// The run's features that need the robot part in the brain's process (they read the control loop or the simulator
    /// directly), named as the flags that asked for them; null when none does.
    /// </summary>
    public static string? InProcessOnly(CortexBotOptions options)
    {
        var why = new List<string>();
        if (options.MmprojPath is not null) why.Add("--mmproj (camera images for the planner, rendered from the simulator)");
        if (options.Live.RecordDirectory is not null) why.Add("--record (the recorder samples the control loop)");
        if (options.Live.Telemetry is not null) why.Add("--telemetry (the live stream samples the control loop)");
        if (options.Metrics.Enabled) why.Add("--otlp/--prometheus (the control loop's metrics)");
        return why.Count == 0 ? null : string.Join(", ", why);
    }
}

/// <summary>
/// A run's own robot node: `cortexbot robot serve --listen 127.0.0.1:0 --parent-pid PID` with the run's robot options,
/// started before the brain and ended after it (SIGINT, then a kill); it also ends by itself when this process dies
/// (<c>--parent-pid</c>), and <see cref="ChildProcesses"/> kills it when this process exits on a signal.
/// </summary>
internal sealed class RobotNodeChild : Host.Benchmarks.IRobotNodeProcess
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private readonly ChildProcesses _children;
    private readonly Process _process;

    private RobotNodeChild(ChildProcesses children, Process process, NodeEndpoint endpoint)
    {
        _children = children;
        _process = process;
        Endpoint = endpoint;
    }

    /// <summary>Where the child listens (the port it picked).</summary>
    public NodeEndpoint Endpoint { get; }

    public int Pid => _process.Id;

    /// <summary>How benchmarks start one (bench control's split rows, bench nodes): errors only on its stderr, so a benchmark's
    /// own aborts and holds do not flood the report.</summary>
    public static Host.Benchmarks.RobotNodeStarter ForBenchmarks { get; } =
        async (args, ct) => await StartAsync(args, LogLevel.Error, ct);

    public static async Task<RobotNodeChild> StartAsync(IReadOnlyList<string> robotArgs, LogLevel level, CancellationToken ct)
    {
        var children = new ChildProcesses();
        Process? process = null;
        try
        {
            process = children.Start(["robot", "serve", "--listen", "127.0.0.1:0", "--parent-pid", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture),
                GlobalOptions.LogLevelName, LevelName(level), .. robotArgs]);
            var ready = new TaskCompletionSource<NodeEndpoint?>(TaskCreationOptions.RunContinuationsAsynchronously);
            string? error = null;
            process.OutputDataReceived += (_, e) =>
            {
                if (e.Data is { } line && line.StartsWith(RobotCommand.ReadyPrefix, StringComparison.Ordinal))
                    ready.TrySetResult(NodeEndpoint.Parse(line[RobotCommand.ReadyPrefix.Length..].Split(' ')[0], "robot node"));
            };
            process.ErrorDataReceived += (_, e) =>
            {
                if (e.Data is not { } line) return;
                // the child's own one-line error before it was ready becomes this run's error; everything else is its log
                if (!ready.Task.IsCompleted && line.StartsWith("error: ", StringComparison.Ordinal)) error = line["error: ".Length..];
                else if (!IsTransportLine(line)) Console.Error.WriteLine(line);
            };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            _ = process.WaitForExitAsync(CancellationToken.None).ContinueWith(_ => ready.TrySetResult(null), TaskScheduler.Default);
            var endpoint = await ready.Task.WaitAsync(ReadyTimeout, ct);
            if (endpoint is null)
            {
                process.WaitForExit();
                if (process.ExitCode == 2 && error is not null) throw new ConfigurationException(error);
                throw new InvalidOperationException($"the robot node child (pid {process.Id}) exited with code {process.ExitCode} before it was ready" +
                    (error is null ? "" : $": {error}"));
            }
            return new RobotNodeChild(children, process, endpoint);
        }
        catch (TimeoutException)
        {
            children.Dispose();
            throw new InvalidOperationException($"the robot node child did not start within {ReadyTimeout.TotalSeconds:0} s");
        }
        catch
        {
            children.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Akka.Remote's own lines about the connection to this run's brain (associations failing or gated as the brain ends);
    /// the run says what matters itself (a robot node lost), so they are left out of its stderr. `robot serve` run on
    /// its own logs them.
    /// </summary>
    private static bool IsTransportLine(string line) =>
        line.Contains("/system/endpointManager/", StringComparison.Ordinal) || line.Contains("[remoting (akka://", StringComparison.Ordinal)
        || line.Contains("][TcpClientHandler (akka://", StringComparison.Ordinal) || line.Contains("][TcpServerHandler (akka://", StringComparison.Ordinal)
        // a delayed heartbeat on a loaded machine: the robot node reports what it does about an unreachable brain itself
        || line.Contains("Scheduled sending of heartbeat was delayed", StringComparison.Ordinal)
        || line.Contains("heartbeat interval is growing too large", StringComparison.Ordinal);

    private static string LevelName(LogLevel level) => level switch
    {
        LogLevel.Critical => "error",
        _ => level.ToString().ToLowerInvariant(),
    };

    public async ValueTask DisposeAsync()
    {
        await _children.StopAsync(_process, TimeSpan.FromSeconds(10));
        _children.Dispose();
    }
}
