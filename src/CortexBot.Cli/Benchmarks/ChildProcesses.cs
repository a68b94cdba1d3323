using System.Diagnostics;
using System.Runtime.InteropServices;

namespace CortexBot.Cli.Benchmarks;

/// <summary>
/// Processes of this same CLI started by a benchmark (`dotnet cortexbot.dll ...` or the apphost, as the process itself was
/// started), tracked so that none outlives it: <see cref="Dispose"/> kills what is still running, and so does the exit of
/// this process (SIGTERM included, through <see cref="AppDomain.ProcessExit"/>).
/// </summary>
internal sealed partial class ChildProcesses : IDisposable
{
    private const int SigTerm = 15;
    private readonly List<Process> _live = [];
    private readonly EventHandler _onExit;

    public ChildProcesses()
    {
        _onExit = (_, _) => KillAll();
        AppDomain.CurrentDomain.ProcessExit += _onExit;
    }

    /// <summary>Starts the CLI with <paramref name="args"/>, stdout and stderr redirected.</summary>
    public Process Start(IEnumerable<string> args)
    {
        var self = Environment.GetCommandLineArgs()[0];
        var psi = self.EndsWith(".dll", StringComparison.Ordinal)
            ? new ProcessStartInfo("dotnet") { ArgumentList = { self } }
            : new ProcessStartInfo(Environment.ProcessPath!);
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.UseShellExecute = false;
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        lock (_live)
        {
            var p = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {psi.FileName}");
            _live.Add(p);
            return p;
        }
    }

    /// <summary>Reads and drops a child's stdout and stderr, so a full pipe never blocks it.</summary>
    public static void DiscardOutput(Process p)
    {
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
    }

    /// <summary>
    /// Asks <paramref name="p"/> to stop (SIGTERM, which our nodes take as Ctrl-C; not SIGINT, which a child started from a
    /// background job inherits ignored), kills it after <paramref name="grace"/>; true when it stopped by itself.
    /// </summary>
    public async Task<bool> StopAsync(Process p, TimeSpan grace)
    {
        bool clean = true;
        if (!p.HasExited)
        {
            _ = SendSignal(p.Id, SigTerm);
            using var limit = new CancellationTokenSource(grace);
            try { await p.WaitForExitAsync(limit.Token); }
            catch (OperationCanceledException) { clean = false; }
        }
        Kill(p);
        return clean;
    }

    /// <summary>Kills <paramref name="p"/> and whatever it started, if still running, and waits for its end and its output's.</summary>
    public void Kill(Process p)
    {
        lock (_live)
            if (!_live.Remove(p)) return;
        try
        {
            if (!p.HasExited) p.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException) { } // exited meanwhile
        p.WaitForExit();
        p.Dispose();
    }

    private void KillAll()
    {
        Process[] all;
        lock (_live) all = [.. _live];
        foreach (var p in all) Kill(p);
    }

    public void Dispose()
    {
        KillAll();
        AppDomain.CurrentDomain.ProcessExit -= _onExit;
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SendSignal(int pid, int signal);
}
