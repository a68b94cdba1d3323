using CortexBot.Core.Ports;

namespace CortexBot.Hippocampus.Tests;

public sealed class SqliteEpisodeStoreContractTests : EpisodeStoreContract, IDisposable
{
    private readonly TempDir _dir = new();

    // in folders that do not exist yet: the store creates them
    protected override IEpisodeStore Open() => new SqliteEpisodeStore(_dir.File("nested/deeper/memory.db"));

    public void Dispose() => _dir.Dispose();
}
