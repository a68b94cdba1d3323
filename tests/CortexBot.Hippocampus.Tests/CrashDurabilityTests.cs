using System.Collections.Concurrent;
using System.Diagnostics;

namespace CortexBot.Hippocampus.Tests;

/// <summary>
/// A real child process appends episodes and prints each id once Append returned; we SIGKILL it mid-stream.
/// Every printed id must be in the store afterwards, and the store must open cleanly.
/// </summary>
public sealed class CrashDurabilityTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Theory]
    [InlineData(1, 15)]
    [InlineData(2, 60)]
    [InlineData(3, 150)]
    public void Every_acknowledged_episode_survives_SIGKILL(int run, int killAfter)
    {
        var path = _dir.File($"run{run}/memory.db");
        var printed = new ConcurrentQueue<string>();
        var errors = new ConcurrentQueue<string>();
        var enough = new ManualResetEventSlim();

        var psi = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(typeof(Program).Assembly.Location);
        psi.ArgumentList.Add("crash-writer");
        psi.ArgumentList.Add(path);

        using var child = new Process { StartInfo = psi };
        child.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
                return;
            printed.Enqueue(e.Data);
            if (printed.Count >= killAfter)
                enough.Set();
        };
        child.ErrorDataReceived += (_, e) => { if (e.Data is not null) errors.Enqueue(e.Data); };
        Assert.True(child.Start());
        child.BeginOutputReadLine();
        child.BeginErrorReadLine();
        try
        {
            bool got = enough.Wait(TimeSpan.FromSeconds(30));
            Assert.True(got, $"child printed only {printed.Count} ids; stderr: {string.Join('\n', errors)}");
            Assert.False(child.HasExited, $"child exited early with {(child.HasExited ? child.ExitCode : 0)}");
            child.Kill(entireProcessTree: false); // SIGKILL on Unix: no finalisers, no Dispose, no checkpoint
        }
        finally
        {
            if (!child.HasExited)
                child.Kill();
            child.WaitForExit(); // also drains the output pipes: ids printed just before death count too
        }
        Assert.Equal(128 + 9, child.ExitCode); // died of SIGKILL

        var acked = printed.Select(line =>
        {
            var parts = line.Split(' ');
            return (Id: long.Parse(parts[0]), TaskId: Guid.Parse(parts[1]));
        }).ToList();
        Assert.True(acked.Count >= killAfter);

        using var store = new SqliteEpisodeStore(path);
        Assert.True(store.Count() >= acked.Count);
        foreach (var (id, taskId) in acked)
        {
            var e = store.Get(id);
            Assert.NotNull(e);
            Assert.Equal(taskId, e.TaskId);
            Assert.Equal(e.Plan.Length, e.Steps.Length); // whole, never half an episode
        }
        long fresh = store.Append(Samples.Episode("after the crash"));
        Assert.True(fresh > acked.Max(a => a.Id));
    }

    internal static string DotnetHost()
    {
        var fromCli = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromCli) && File.Exists(fromCli))
            return fromCli;
        var self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet")
            return self;
        return "dotnet";
    }
}
