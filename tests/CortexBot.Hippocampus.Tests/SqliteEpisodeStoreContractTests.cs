using CortexBot.Core.Ports;

namespace CortexBot.Hippocampus.Tests;

public sealed class SqliteEpisodeStoreContractTests : EpisodeStoreContract, IDisposable
{
    private readonly TempDir _dir = new();

    protected override IEpisodeStore Open() => new SqliteEpisodeStore(_dir.File("memory.db"));

    public void Dispose() => _dir.Dispose();
}
