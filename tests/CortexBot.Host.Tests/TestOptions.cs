using CortexBot.Cerebellum.Control;

namespace CortexBot.Host.Tests;

public static class TestOptions
{
    public static string TempDb() => Path.Combine(Path.GetTempPath(), "cortexbot-tests", $"{Guid.NewGuid():N}.db");

    public static CortexBotOptions Fast() => new() { Pacing = Pacing.Fast, MemoryPath = TempDb() };

    public static CortexBotOptions Realtime() => new() { Pacing = Pacing.Realtime, MemoryPath = TempDb() };
}
