using CortexBot.Cerebellum.Control;

namespace CortexBot.Host.Tests;

public static class TestOptions
{
    public static string TempDb() => Path.Combine(Path.GetTempPath(), "cortexbot-tests", $"{Guid.NewGuid():N}.db");

    public static CortexBotOptions Fast() => new() { Pacing = Pacing.Fast, MemoryPath = TempDb() };

    public static CortexBotOptions Realtime() => new() { Pacing = Pacing.Realtime, MemoryPath = TempDb() };
}

/// <summary>
/// Whole-controller tests, several measuring real-time control. They run one at a time and alone: a parallel test class
/// (the camera benchmark renders frames on the CPU) would otherwise compete with their control thread on two cores.
/// </summary>
[CollectionDefinition("end-to-end", DisableParallelization = true)]
public sealed class EndToEndCollection;
