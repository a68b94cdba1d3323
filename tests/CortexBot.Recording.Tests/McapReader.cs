using System.Diagnostics;
using System.Text.Json;
using CortexBot.Core;

namespace CortexBot.Recording.Tests;

/// <summary>
/// Foxglove's MCAP reader (npm @mcap/core, installed by the test dependencies into <c>reader/node_modules</c>), run with
/// node: the independent check of our writer. Returns the JSON report of <c>reader/check.mjs</c>.
/// </summary>
public static class McapReader
{
    public static string ReaderDirectory => Path.Combine(RepoPaths.Root, "tests", "CortexBot.Recording.Tests", "reader");

    public static JsonElement Check(string file)
    {
        if (!Directory.Exists(Path.Combine(ReaderDirectory, "node_modules", "@mcap", "core")))
            throw new InvalidOperationException($"@mcap/core is not installed in {ReaderDirectory}: run `make test` (or `npm ci --prefix {ReaderDirectory}`)");
        var psi = new ProcessStartInfo("node", ["check.mjs", Path.GetFullPath(file)])
        {
            WorkingDirectory = ReaderDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000)) { p.Kill(true); throw new TimeoutException("the MCAP reader did not finish in 60 s"); }
        if (p.ExitCode != 0) throw new InvalidOperationException($"@mcap/core refused {file}: {stderr.Result.Trim()}");
        return JsonDocument.Parse(stdout.Result).RootElement.Clone();
    }
}
