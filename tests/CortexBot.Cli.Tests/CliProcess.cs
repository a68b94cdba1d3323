using System.Diagnostics;
using CortexBot.Core;

namespace CortexBot.Cli.Tests;

/// <summary>The real CLI (cortexbot.dll built beside the tests) run as a child process, as users and scripts run it.</summary>
internal static class CliProcess
{
    public sealed record Result(int Code, string Stdout, string Stderr);

    public static Result Run(IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null) =>
        Start("dotnet", [Path.Combine(AppContext.BaseDirectory, "cortexbot.dll"), .. args], environment, workingDirectory);

    public static Result Run(params string[] args) => Run((IEnumerable<string>)args);

    public static Result Start(string file, IEnumerable<string> args, IReadOnlyDictionary<string, string>? environment = null, string? workingDirectory = null,
        TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["CORTEXBOT_HOME"] = RepoPaths.Root;
        // a developer's own settings must not leak into the tests
        foreach (var key in psi.Environment.Keys.Where(k => k.StartsWith("CORTEXBOT_", StringComparison.Ordinal) && k != "CORTEXBOT_HOME").ToList())
            psi.Environment.Remove(key);
        if (environment is not null)
            foreach (var (k, v) in environment) psi.Environment[k] = v;
        if (workingDirectory is not null) psi.WorkingDirectory = workingDirectory;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout ?? TimeSpan.FromMinutes(4))) { p.Kill(true); throw new TimeoutException($"{file} did not exit"); }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>A fresh memory path in this test process's own temp folder, removed when the process exits (they used to pile up in /tmp).</summary>
    public static string TempDb() => Path.Combine(TempFolder.Value, $"{Guid.NewGuid():N}.db");

    private static readonly Lazy<string> TempFolder = new(() =>
    {
        var dir = Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"cortexbot-cli-tests-{Environment.ProcessId}")).FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        };
        return dir;
    });
}
