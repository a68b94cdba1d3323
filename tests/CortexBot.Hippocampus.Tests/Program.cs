namespace CortexBot.Hippocampus.Tests;

/// <summary>
/// Entry point used only when the test assembly is run as a program (<c>dotnet CortexBot.Hippocampus.Tests.dll ...</c>);
/// the test host never calls it.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args is ["crash-writer", var path])
            return CrashWriter.Run(path);
        Console.Error.WriteLine("usage: CortexBot.Hippocampus.Tests crash-writer <memory.db>");
        return 2;
    }
}

/// <summary>Appends episodes as fast as it can and prints "id task-id" after each Append returned, until killed.</summary>
internal static class CrashWriter
{
    public static int Run(string path)
    {
        using var store = new SqliteEpisodeStore(path);
        var deadline = DateTime.UtcNow.AddSeconds(60); // never outlive a test run that lost track of us
        for (int i = 0; DateTime.UtcNow < deadline; i++)
        {
            var episode = Samples.Episode($"put cube {i} in the bin", seed: i, steps: 1 + i % 4);
            var id = store.Append(episode);
            Console.Out.WriteLine($"{id} {episode.TaskId:D}");
            Console.Out.Flush();
        }
        return 3;
    }
}
