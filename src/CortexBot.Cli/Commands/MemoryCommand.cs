using System.CommandLine;
using CortexBot.Cli.Commands.Memory;

namespace CortexBot.Cli.Commands;

/// <summary>
/// `cortexbot memory ...`: inspect and maintain the episodic memory. Read commands (list, show, search, stats, facts,
/// export) open the store read-only and work while a robot process writes to it; import and prune write.
/// </summary>
internal static class MemoryCommand
{
    public static Command Create()
    {
        var memory = new Command("memory", "Inspect and maintain the episodic memory (a SQLite file or a postgres:// database).");
        memory.Subcommands.Add(MemoryCommands.List());
        memory.Subcommands.Add(MemoryCommands.Show());
        memory.Subcommands.Add(MemoryCommands.Search());
        memory.Subcommands.Add(MemoryCommands.Stats());
        memory.Subcommands.Add(MemoryCommands.Facts());
        memory.Subcommands.Add(MemoryCommands.Export());
        memory.Subcommands.Add(MemoryCommands.Import());
        memory.Subcommands.Add(MemoryCommands.Prune());
        memory.Subcommands.Add(MemoryCommands.Migrate());
        memory.Subcommands.Add(MemoryReplay.Create());
        memory.Subcommands.Add(MemoryMedia.Video());
        return memory;
    }
}
