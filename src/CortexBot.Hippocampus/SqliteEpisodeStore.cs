using CortexBot.Core.Ports;
using System.Globalization;
using System.Text.Json;
using CortexBot.Hippocampus.Recall;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace CortexBot.Hippocampus;

/// <summary>
/// Durable episodic memory in one SQLite file (WAL journal, <c>synchronous=FULL</c>: an episode whose
/// <see cref="Append"/> returned survives a crash of the process). Schema version 5 keeps, in the same transaction as
/// each episode, its embedding (float32 blob tagged with the embedder's model) and its contribution to the semantic
/// facts (per object and skill), so recall and consolidation never see half an episode.
/// </summary>
/// <remarks>
/// Opening never damages a file that is not ours: a non-SQLite file, a foreign SQLite database or a store
/// written by a newer CortexBot is refused with an <see cref="EpisodeStoreException"/> and left byte-for-byte
/// untouched. In read-only mode (for inspection tools) nothing is ever created, migrated or written.
/// One connection, guarded by a lock: safe to call from several threads, meant for one writer.
/// The class is split by concern: opening, schema and migrations (<c>.Schema.cs</c>), episodes and their embeddings
/// (<c>.Episodes.cs</c>), inspection and maintenance (<c>.Maintenance.cs</c>); the semantic facts are <see cref="SqliteFactTable"/>'s.
/// </remarks>
public sealed partial class SqliteEpisodeStore : IEpisodeMemory
{
    /// <summary>How long a call waits for another process's lock before giving up.</summary>
    public static readonly TimeSpan DefaultBusyTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How many recent failure reasons a semantic fact keeps.</summary>
    public const int FactReasons = SemanticFactRow.MaxReasons;

    private readonly object _gate = new();
    private readonly SqliteConnection _connection;
    private readonly SqliteFactTable _facts;
    private readonly ILogger _logger;
    private bool _disposed;

    /// <summary>Opens (read-write: creating and migrating if needed) the store at <paramref name="path"/>.</summary>
    /// <param name="path">The database file; parent folders are created in read-write mode.</param>
    /// <param name="readOnly">Inspection mode: the file must already be a current store; nothing is created or written.</param>
    /// <param name="logger">Optional; told when a store is created or migrated.</param>
    /// <param name="busyTimeout">How long to wait for another process's lock; <see cref="DefaultBusyTimeout"/> if null.</param>
    /// <param name="embedder">Embeds episodes for recall; <see cref="HashingEpisodeEmbedder.Default"/> if null.</param>
    /// <exception cref="EpisodeStoreException">The file cannot be used; it was left untouched.</exception>
    public SqliteEpisodeStore(string path, bool readOnly = false, ILogger? logger = null, TimeSpan? busyTimeout = null,
        IEpisodeEmbedder? embedder = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        Location = Path.GetFullPath(path);
        ReadOnly = readOnly;
        _logger = logger ?? NullLogger.Instance;
        Embedder = embedder ?? HashingEpisodeEmbedder.Default;
        var timeout = busyTimeout ?? DefaultBusyTimeout;

        CheckFileBeforeOpening();
        _connection = Connect(timeout);
        _facts = new SqliteFactTable(_connection);
        try
        {
            Initialise();
        }
        catch
        {
            _connection.Dispose();
            throw;
        }
    }

    /// <summary><c>$XDG_DATA_HOME/cortexbot/memory.db</c>, or <c>~/.local/share/cortexbot/memory.db</c>.</summary>
    public static string DefaultPath
    {
        get
        {
            var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
            var dataHome = !string.IsNullOrWhiteSpace(xdg) && Path.IsPathRooted(xdg)
                ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share");
            return Path.Combine(dataHome, "cortexbot", "memory.db");
        }
    }

    /// <summary>Full path of the database file.</summary>
    public string Location { get; }

    public bool ReadOnly { get; }

    /// <summary>The embedder whose vectors this store writes with every episode.</summary>
    public IEpisodeEmbedder Embedder { get; }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            _connection.Dispose();
        }
    }

    /// <summary>Reads a pragma on the store's own connection (diagnostics and tests).</summary>
    internal string? Pragma(string name)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = "PRAGMA " + name;
            return Convert.ToString(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
        }
    }

    // ---------------------------------------------------------------- helpers

    private T Wrap<T>(string what, Func<T> body)
    {
        try
        {
            return body();
        }
        catch (SqliteException ex)
        {
            throw new EpisodeStoreException($"Cannot {what} from {Location}: {ex.Message}", ex);
        }
        catch (Exception ex) when (ex is FormatException or JsonException or InvalidCastException)
        {
            throw new EpisodeStoreException($"Cannot {what} from {Location}: a stored value is malformed ({ex.Message})", ex);
        }
    }

    private EpisodeStoreException NotOurs(string why, Exception? inner = null) =>
        new($"{Location} is not a CortexBot memory store: {why}. The file was left untouched; " +
            "move it away or choose another memory store path.", inner);

    private bool IsDuplicateTask(Exception ex) =>
        ex.Message.Contains("episodes.task_id", StringComparison.Ordinal);

    private string? Scalar(string sql, SqliteTransaction? tx = null)
    {
        using var cmd = _connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        return Convert.ToString(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    private static void Exec(SqliteConnection connection, string sql)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    private static void TryRollback(SqliteTransaction tx)
    {
        try
        {
            tx.Rollback();
        }
        catch (Exception)
        {
            // The transaction may already be gone (SQLite rolls back on some errors itself); nothing was committed.
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);


    private static object Db(string? s) => (object?)s ?? DBNull.Value;

    /// <summary>SQLite stores NaN as NULL; NULL reads back as NaN so odd values still round-trip.</summary>
    private static object Db(double d) => double.IsNaN(d) ? DBNull.Value : d;
}