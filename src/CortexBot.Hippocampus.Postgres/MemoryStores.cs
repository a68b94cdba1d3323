using CortexBot.Core.Ports;
using CortexBot.Core;
using CortexBot.Hippocampus.Recall;

namespace CortexBot.Hippocampus.Postgres;

/// <summary>Opens the memory a <c>--memory</c> value names: a <c>postgres://</c> URL (or <c>postgresql://</c>) is the
/// shared PostgreSQL store, anything else a SQLite file path.</summary>
public static class MemoryStores
{
    public static bool IsPostgres(string location) =>
        location.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) ||
        location.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase);

    /// <summary>Opens either store with recall, consolidation and inspection.</summary>
    /// <param name="readOnly">Inspection: nothing is created, migrated or written (for PostgreSQL the session is read-only on the server).</param>
    /// <param name="embedder">The vector space of recall; <see cref="HashingEpisodeEmbedder.Default"/> if null.</param>
    /// <exception cref="ConfigurationException">The value names no usable memory (a corrupt or foreign file, a newer
    /// schema, a server that cannot be reached): bad input, reported in one line that names it; nothing was changed.</exception>
    public static IEpisodeMemory OpenMemory(string location, bool readOnly = false, IEpisodeEmbedder? embedder = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(location);
        try
        {
            return IsPostgres(location)
                ? new PostgresEpisodeStore(location, embedder, readOnly)
                : new SqliteEpisodeStore(location, readOnly, embedder: embedder);
        }
        catch (EpisodeStoreException ex)
        {
            // The store's message already names the file or server and what is wrong with it.
            throw new ConfigurationException(ex.Message);
        }
    }
}
