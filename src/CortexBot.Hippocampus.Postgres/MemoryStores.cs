using CortexBot.Core.Ports;

namespace CortexBot.Hippocampus.Postgres;

/// <summary>Opens the memory a <c>--memory</c> value names: a <c>postgres://</c> URL (or <c>postgresql://</c>) is the
/// shared PostgreSQL store, anything else a SQLite file path.</summary>
public static class MemoryStores
{
    public static bool IsPostgres(string location) =>
        location.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) ||
        location.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase);

    public static IEpisodeStore Open(string location)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(location);
        return IsPostgres(location) ? new PostgresEpisodeStore(location) : new SqliteEpisodeStore(location);
    }
}
