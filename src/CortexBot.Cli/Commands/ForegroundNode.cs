namespace CortexBot.Cli.Commands;

/// <summary>
/// Runs a long-lived node (the simulator node, the detections relay) on a thread of its own until Ctrl-C, SIGTERM, process exit,
/// the optional duration or <paramref name="ct"/>; calls <paramref name="everySecond"/> while it runs. A failure of the node
/// is rethrown once it has stopped.
/// </summary>
internal static class ForegroundNode
{
    public static void Run(Action<CancellationToken> run, string threadName, ThreadPriority priority, TimeSpan? duration,
        Action? everySecond, CancellationToken ct, Action? started = null)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (duration is { } d) cts.CancelAfter(d);
        ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
        EventHandler onExit = (_, _) => cts.Cancel();
        Console.CancelKeyPress += onCancel;
        AppDomain.CurrentDomain.ProcessExit += onExit;
        // SIGTERM (a supervisor, `timeout`, a parent stopping its children) ends the node as Ctrl-C does, so its closing
        // line is printed; without this the runtime would end the process as soon as ProcessExit returns
        using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM,
            c => { c.Cancel = true; try { cts.Cancel(); } catch (ObjectDisposedException) { } });
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try { run(cts.Token); }
            catch (Exception e) { failure = e; cts.Cancel(); }
        }) { Name = threadName, Priority = priority };
        thread.Start();
        started?.Invoke();
        while (!thread.Join(1000)) everySecond?.Invoke();
        Console.CancelKeyPress -= onCancel;
        AppDomain.CurrentDomain.ProcessExit -= onExit;
        if (failure is not null) throw failure;
    }
}
