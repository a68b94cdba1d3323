using System.Collections.Concurrent;
using CortexBot.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CortexBot.Host.Tests;

/// <summary>A --memory that names no usable memory is bad input: refused before anything starts, the file untouched.</summary>
public sealed class MemoryFileTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cortexbot-tests", Guid.NewGuid().ToString("N"));

    public MemoryFileTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("random")]
    [InlineData("text")]
    [InlineData("sqlite-header-then-garbage")]
    public async Task A_corrupt_memory_file_is_a_configuration_error_before_the_host_starts(string kind)
    {
        var path = Path.Combine(_dir, "memory.db");
        var random = new byte[4096];
        new Random(15).NextBytes(random);
        byte[] bytes = kind switch
        {
            "random" => random,
            "text" => "my shopping list\nmilk\n"u8.ToArray(),
            _ => [.. "SQLite format 3\0"u8.ToArray(), .. random],
        };
        await File.WriteAllBytesAsync(path, bytes);
        var logs = new CapturingLoggerProvider();

        var e = await Assert.ThrowsAsync<ConfigurationException>(() => CortexBotRunner.RunAsync(TestOptions.Fast() with { MemoryPath = path },
            "put the red cube in the bin", 1, 1, s => s.AddSingleton<ILoggerProvider>(logs)));

        Assert.Contains(path, e.Message);
        Assert.Contains("is not a CortexBot memory store", e.Message);
        // Refused before the actor system started: nothing failed to start, so nothing logged an error with a stack trace.
        Assert.DoesNotContain(logs.Entries, x => x.Level >= LogLevel.Error);
        Assert.Equal(bytes, await File.ReadAllBytesAsync(path));
        Assert.Equal(["memory.db"], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public async Task A_run_refused_for_a_corrupt_policy_creates_no_memory()
    {
        var memory = Path.Combine(_dir, "memory.db");
        var policy = Path.Combine(_dir, "corrupt.onnx");
        await File.WriteAllTextAsync(policy, "not an onnx graph");

        await Assert.ThrowsAsync<ConfigurationException>(() => CortexBotRunner.RunAsync(TestOptions.Fast() with { MemoryPath = memory, PolicyPath = policy },
            "put the red cube in the bin", 1, 1));

        Assert.False(File.Exists(memory)); // the memory is opened last of the checks before start
    }
}
