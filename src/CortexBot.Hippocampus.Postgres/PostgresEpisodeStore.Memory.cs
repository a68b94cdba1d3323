using System.Globalization;
using System.Runtime.InteropServices;
using CortexBot.Core.Messages;
using CortexBot.Hippocampus.Recall;
using Npgsql;
using NpgsqlTypes;

namespace CortexBot.Hippocampus.Postgres;

// Recall, consolidation and inspection on top of the episode rows (schema version 3 and later), the same contract as
// SqliteEpisodeStore's; the row mapping (EpisodeRows) and the consolidation rule (SemanticFactRow) are shared with it.
public sealed partial class PostgresEpisodeStore
{
    /// <summary>Serialises the read-modify-write of fact rows across robots appending at once ("CBMF").</summary>
    private const long FactsLock = 0x43424D46;


    public EpisodeVectorIndex LoadIndex()
    {
        ThrowIfDisposed();
        return Wrap("load the recall index", () =>
        {
            var stale = new List<EpisodeMeta>();
            EpisodeVectorIndex index;
            using (var connection = _dataSource.OpenConnection())
            using (var tx = connection.BeginTransaction(System.Data.IsolationLevel.RepeatableRead))
            {
                long count = (long)Scalar(connection, tx, "SELECT COUNT(*) FROM cortexbot.episodes")!;
                index = EpisodeVectorIndex.ForStore(Embedder.Dimension, count);
                using (var cmd = new NpgsqlCommand(
                    $"SELECT {EpisodeRows.IndexColumns} FROM cortexbot.episodes e " +
                    "LEFT JOIN cortexbot.episode_embeddings m ON m.episode_id = e.id ORDER BY e.id", connection, tx))
                using (var r = cmd.ExecuteReader())
                    EpisodeRows.LoadIndex(r, Embedder, index, stale); // stale: recomputed below
                if (stale.Count > 0)
                    Reembed(stale, index, connection, tx);
                tx.Commit();
            }
            return index;
        });
    }

    /// <summary>Embeds episodes stored without a vector of the current embedder; persists them unless read-only.</summary>
    private void Reembed(List<EpisodeMeta> stale, EpisodeVectorIndex index, NpgsqlConnection connection, NpgsqlTransaction snapshot)
    {
        var computed = new List<(long Id, float[] Vector)>(stale.Count);
        var wanted = stale.ToDictionary(m => m.Id);
        foreach (var chunk in stale.Chunk(EpisodeRows.PageSize))
        {
            foreach (var e in ReadEpisodes(connection, snapshot, $"SELECT {EpisodeRows.Columns} FROM cortexbot.episodes WHERE id = ANY($1) ORDER BY id", false,
                         chunk.Select(m => m.Id).ToArray()))
            {
                var vector = new float[Embedder.Dimension];
                Embedder.EmbedEpisode(e, vector);
                index.Add(wanted[e.Id], vector);
                computed.Add((e.Id, vector));
            }
        }
        if (ReadOnly)
            return;
        // A separate short transaction: the snapshot stays read-only, and an episode pruned meanwhile is simply skipped.
        using var writer = _dataSource.OpenConnection();
        using var tx = writer.BeginTransaction();
        foreach (var (id, vector) in computed)
            WriteEmbedding(id, vector, writer, tx, onlyIfEpisodeExists: true);
        tx.Commit();
    }

    public IReadOnlyList<EpisodeRecord> Query(RecallFilter filter, int limit)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (limit <= 0)
            return [];
        var args = new List<object>();
        string Arg(object value)
        {
            args.Add(value);
            return "$" + args.Count.ToString(CultureInfo.InvariantCulture);
        }
        var where = EpisodeRows.FilterConditions(filter, Arg, "strpos");
        var sql = $"SELECT {EpisodeRows.Columns} FROM cortexbot.episodes" + (where.Count == 0 ? "" : " WHERE " + string.Join(" AND ", where)) +
                  $" ORDER BY id DESC LIMIT {Arg((long)limit)}";
        return Read("query episodes", sql, [.. args]);
    }

    public IReadOnlyList<EpisodeRecord> SucceededWithGoal(string goalStructure, int limit)
    {
        ArgumentException.ThrowIfNullOrEmpty(goalStructure);
        if (limit <= 0)
            return [];
        // Newest first along the primary key; the structure lives in goal_json (no schema change for it).
        return Read("recall plans by goal", $"SELECT {EpisodeRows.Columns} FROM cortexbot.episodes WHERE success = $1 AND goal_json IS NOT NULL" +
            $" AND {EpisodeDetails.StructureSql(postgres: true)} = $2 ORDER BY id DESC LIMIT $3", [true, goalStructure, (long)limit]);
    }

    public IEnumerable<EpisodeRecord> All() => EpisodeRows.Pages(after => ReadWithTraces("read episodes",
        $"SELECT {EpisodeRows.Columns} FROM cortexbot.episodes WHERE id > $1 ORDER BY id LIMIT {EpisodeRows.PageSize}", after)).SelectMany(page => page);

    public IReadOnlyList<SemanticFact> Facts(string? objectName = null)
    {
        ThrowIfDisposed();
        return Wrap("read semantic facts", () =>
        {
            bool one = !string.IsNullOrWhiteSpace(objectName);
            // Byte order (COLLATE "C") as SQLite sorts, whatever the database's locale.
            using var cmd = _dataSource.CreateCommand($"SELECT {SemanticFactRow.Columns} FROM cortexbot.semantic_facts" +
                (one ? " WHERE object = $1" : "") + " ORDER BY object COLLATE \"C\", skill COLLATE \"C\", tuning COLLATE \"C\"");
            if (one)
                cmd.Parameters.Add(new NpgsqlParameter { Value = objectName!.Trim().ToLowerInvariant() });
            using var r = cmd.ExecuteReader();
            return SemanticFactRow.ReadFacts(r);
        });
    }

    public MemoryStats Stats()
    {
        ThrowIfDisposed();
        return Wrap("read statistics", () =>
        {
            using var connection = _dataSource.OpenConnection();
            using var tx = connection.BeginTransaction(System.Data.IsolationLevel.RepeatableRead);
            long Long(string sql, params object[] args)
            {
                using var cmd = new NpgsqlCommand(sql, connection, tx);
                foreach (var a in args)
                    cmd.Parameters.Add(new NpgsqlParameter { Value = a });
                return cmd.ExecuteScalar() is { } v and not DBNull ? Convert.ToInt64(v, CultureInfo.InvariantCulture) : 0;
            }
            DateTimeOffset? When(string sql)
            {
                using var cmd = new NpgsqlCommand(sql, connection, tx);
                return cmd.ExecuteScalar() is long v ? DateTimeOffset.FromUnixTimeMilliseconds(v) : null;
            }
            List<TaskStat> top;
            using (var cmd = new NpgsqlCommand(
                "SELECT instruction, COUNT(*), COUNT(*) FILTER (WHERE success) FROM cortexbot.episodes GROUP BY instruction " +
                "ORDER BY COUNT(*) DESC, instruction COLLATE \"C\" LIMIT 10", connection, tx))
            using (var r = cmd.ExecuteReader())
                top = EpisodeRows.ReadTaskStats(r);
            long episodes = Long("SELECT COUNT(*) FROM cortexbot.episodes");
            long successes = Long("SELECT COUNT(*) FROM cortexbot.episodes WHERE success");
            var stats = new MemoryStats(
                Location,
                (int)Long("SELECT version FROM cortexbot.schema_version"),
                episodes,
                successes,
                episodes - successes,
                Long("SELECT COUNT(*) FROM cortexbot.episode_steps"),
                When("SELECT MIN(started_unix_ms) FROM cortexbot.episodes"),
                When("SELECT MAX(started_unix_ms) FROM cortexbot.episodes"),
                Long("SELECT COUNT(*) FROM cortexbot.semantic_facts"),
                Long("SELECT COUNT(*) FROM cortexbot.episode_embeddings WHERE model = $1", Embedder.Model),
                Embedder.Model,
                Embedder.Dimension,
                // The server's bytes for the memory's tables with their indexes and TOAST: what the file size is for SQLite.
                Long("SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0) FROM pg_class c " +
                     "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'cortexbot' AND c.relkind = 'r'"),
                top);
            tx.Commit();
            return stats;
        });
    }

    public long CountPrunable(PruneRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        rule.Validate();
        ThrowIfDisposed();
        return Wrap("count episodes to prune", () =>
        {
            var (where, arg) = PruneWhere(rule);
            using var cmd = _dataSource.CreateCommand("SELECT COUNT(*) FROM cortexbot.episodes WHERE " + where);
            cmd.Parameters.Add(new NpgsqlParameter { Value = arg });
            return (long)cmd.ExecuteScalar()!;
        });
    }

    public long Prune(PruneRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        rule.Validate();
        ThrowIfDisposed();
        if (ReadOnly)
            throw new EpisodeStoreException($"Memory store {Location} is open read-only; nothing was pruned.");
        try
        {
            using var connection = _dataSource.OpenConnection();
            using var tx = connection.BeginTransaction();
            LockFacts(connection, tx);
            var (where, arg) = PruneWhere(rule);
            long deleted;
            using (var cmd = new NpgsqlCommand("DELETE FROM cortexbot.episodes WHERE " + where, connection, tx))
            {
                cmd.Parameters.Add(new NpgsqlParameter { Value = arg });
                deleted = cmd.ExecuteNonQuery();
            }
            if (deleted > 0)
                RebuildFacts(connection, tx);
            tx.Commit();
            return deleted;
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or InvalidCastException or FormatException)
        {
            throw new EpisodeStoreException($"Cannot prune {Location}: {ex.Message}. Nothing was deleted.", ex);
        }
    }

    public ImportResult Import(IReadOnlyList<EpisodeRecord> episodes)
    {
        ArgumentNullException.ThrowIfNull(episodes);
        ThrowIfDisposed();
        if (ReadOnly)
            throw new EpisodeStoreException($"Memory store {Location} is open read-only; nothing was imported.");
        int n = 0;
        try
        {
            using var connection = _dataSource.OpenConnection();
            using var tx = connection.BeginTransaction();
            LockFacts(connection, tx);
            var ids = new List<long>();
            int skipped = 0;
            var seen = new HashSet<Guid>();
            var facts = new Dictionary<(string, string, string), SemanticFactRow>();
            using var exists = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM cortexbot.episodes WHERE task_id = $1)", connection, tx);
            var pTask = exists.Parameters.Add(new NpgsqlParameter { NpgsqlDbType = NpgsqlDbType.Uuid });
            var vector = new float[Embedder.Dimension];
            foreach (var e in episodes)
            {
                n++;
                ArgumentNullException.ThrowIfNull(e);
                pTask.Value = e.TaskId;
                if (!seen.Add(e.TaskId) || (bool)exists.ExecuteScalar()!)
                {
                    skipped++;
                    continue;
                }
                Embedder.EmbedEpisode(e, vector);
                ids.Add(AppendCore(e, vector, connection, tx, facts));
            }
            foreach (var row in facts.Values)
                WriteFact(row, connection, tx);
            tx.Commit();
            return new ImportResult(ids.Count, skipped, ids);
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or InvalidCastException or ArgumentException or EpisodeStoreException)
        {
            // The transaction was disposed uncommitted, so the server rolled it back.
            throw new EpisodeStoreException(
                $"Cannot import into {Location}: episode {n} of {episodes.Count}: {ex.Message}. Nothing was imported.", ex);
        }
    }

    // ---------------------------------------------------------------- writing (inside an episode's transaction)

    private static void LockFacts(NpgsqlConnection connection, NpgsqlTransaction tx) =>
        Exec(connection, tx, $"SELECT pg_advisory_xact_lock({FactsLock})");

    private void WriteEmbedding(long id, float[] vector, NpgsqlConnection connection, NpgsqlTransaction tx, bool onlyIfEpisodeExists = false)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Embeddings are stored as little-endian float32.");
        using var cmd = new NpgsqlCommand(onlyIfEpisodeExists
            ? "INSERT INTO cortexbot.episode_embeddings (episode_id, model, dim, vector) " +
              "SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM cortexbot.episodes WHERE id = $1) " +
              "ON CONFLICT (episode_id) DO UPDATE SET model = EXCLUDED.model, dim = EXCLUDED.dim, vector = EXCLUDED.vector"
            : "INSERT INTO cortexbot.episode_embeddings (episode_id, model, dim, vector) VALUES ($1, $2, $3, $4)", connection, tx);
        cmd.Parameters.Add(new NpgsqlParameter { Value = id });
        cmd.Parameters.Add(new NpgsqlParameter { Value = Embedder.Model });
        cmd.Parameters.Add(new NpgsqlParameter { Value = vector.Length });
        cmd.Parameters.Add(new NpgsqlParameter { Value = MemoryMarshal.AsBytes(vector.AsSpan()).ToArray() });
        cmd.ExecuteNonQuery();
    }

    /// <summary>Folds one episode into the semantic tier; with <paramref name="batch"/>, into it instead of the table.</summary>
    private static void UpdateFacts(long id, EpisodeRecord episode, NpgsqlConnection connection, NpgsqlTransaction tx,
        Dictionary<(string, string, string), SemanticFactRow>? batch) =>
        SemanticFactRow.FoldEpisode(id, episode, batch, (obj, skill, tuning) => ReadFact(obj, skill, tuning, connection, tx),
            row => WriteFact(row, connection, tx));

    private static SemanticFactRow? ReadFact(string obj, string skill, string tuning, NpgsqlConnection connection, NpgsqlTransaction tx)
    {
        using var read = new NpgsqlCommand(
            $"SELECT {SemanticFactRow.Columns} FROM cortexbot.semantic_facts WHERE object = $1 AND skill = $2 AND tuning = $3", connection, tx);
        read.Parameters.Add(new NpgsqlParameter { Value = obj });
        read.Parameters.Add(new NpgsqlParameter { Value = skill });
        read.Parameters.Add(new NpgsqlParameter { Value = tuning });
        using var r = read.ExecuteReader();
        return r.Read() ? SemanticFactRow.Read(r) : null;
    }

    private static void WriteFact(SemanticFactRow row, NpgsqlConnection connection, NpgsqlTransaction tx)
    {
        using var write = new NpgsqlCommand(
            $"INSERT INTO cortexbot.semantic_facts ({SemanticFactRow.Columns}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) " +
            "ON CONFLICT (object, skill, tuning) DO UPDATE SET successes = EXCLUDED.successes, failures = EXCLUDED.failures, " +
            "aborts = EXCLUDED.aborts, first_seen_unix_ms = EXCLUDED.first_seen_unix_ms, last_seen_unix_ms = EXCLUDED.last_seen_unix_ms, " +
            "last_success_unix_ms = EXCLUDED.last_success_unix_ms, last_failure_unix_ms = EXCLUDED.last_failure_unix_ms, " +
            "failure_reasons_json = EXCLUDED.failure_reasons_json, last_episode_id = EXCLUDED.last_episode_id", connection, tx);
        write.Parameters.Add(new NpgsqlParameter { Value = row.Object });
        write.Parameters.Add(new NpgsqlParameter { Value = row.Skill });
        write.Parameters.Add(new NpgsqlParameter { Value = row.Successes });
        write.Parameters.Add(new NpgsqlParameter { Value = row.Failures });
        write.Parameters.Add(new NpgsqlParameter { Value = row.Aborts });
        write.Parameters.Add(new NpgsqlParameter { Value = row.FirstSeen });
        write.Parameters.Add(new NpgsqlParameter { Value = row.LastSeen });
        write.Parameters.Add(new NpgsqlParameter { Value = (object?)row.LastSuccess ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        write.Parameters.Add(new NpgsqlParameter { Value = (object?)row.LastFailure ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        write.Parameters.Add(new NpgsqlParameter { Value = row.ReasonsJson });
        write.Parameters.Add(new NpgsqlParameter { Value = row.LastEpisodeId });
        write.Parameters.Add(new NpgsqlParameter { Value = row.Tuning });
        write.ExecuteNonQuery();
    }

    /// <summary>Recomputes the whole semantic tier from the episodes (after a prune, and when migrating); the caller holds the facts lock.</summary>
    private void RebuildFacts(NpgsqlConnection connection, NpgsqlTransaction tx)
    {
        Exec(connection, tx, "DELETE FROM cortexbot.semantic_facts");
        var batch = new Dictionary<(string, string, string), SemanticFactRow>();
        foreach (var page in EpisodeRows.Pages(after => ReadEpisodes(connection, tx,
                     $"SELECT {EpisodeRows.Columns} FROM cortexbot.episodes WHERE id > $1 ORDER BY id LIMIT {EpisodeRows.PageSize}", false, after)))
            foreach (var e in page)
                UpdateFacts(e.Id, e, connection, tx, batch);
        foreach (var row in batch.Values)
            WriteFact(row, connection, tx);
    }

    private static (string Where, object Arg) PruneWhere(PruneRule rule) => rule.Before is { } before
        ? ("started_unix_ms < $1", before.ToUnixTimeMilliseconds())
        : ("id NOT IN (SELECT id FROM cortexbot.episodes ORDER BY id DESC LIMIT $1)", (long)rule.Keep!.Value);
}
