using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using CortexBot.Core.Messages;
using CortexBot.Hippocampus.Recall;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace CortexBot.Hippocampus;

// Recall, consolidation and inspection on top of the episode rows (schema version 2 and later).
public sealed partial class SqliteEpisodeStore
{
    /// <summary>How many recent failure reasons a semantic fact keeps.</summary>
    public const int FactReasons = SemanticFactRow.MaxReasons;

    private const int Page = 1000;

    public EpisodeVectorIndex LoadIndex()
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            return Wrap("load the recall index", () =>
            {
                int dim = Embedder.Dimension;
                var index = new EpisodeVectorIndex(dim, (int)Math.Min(int.MaxValue / Math.Max(1, dim), Math.Max(1024, CountLocked() + 64)));
                var stale = new List<EpisodeMeta>();
                using (var cmd = _connection.CreateCommand())
                {
                    cmd.CommandText =
                        "SELECT e.id, e.instruction, e.success, e.started_unix_ms, e.objects, m.model, m.dim, m.vector " +
                        "FROM episodes e LEFT JOIN episode_embeddings m ON m.episode_id = e.id ORDER BY e.id";
                    using var r = cmd.ExecuteReader();
                    while (r.Read())
                    {
                        var meta = new EpisodeMeta(r.GetInt64(0), r.GetString(1), r.GetInt64(2) != 0, r.GetInt64(3),
                            ParseObjectsColumn(r.GetString(4)));
                        bool usable = !r.IsDBNull(5) && r.GetString(5) == Embedder.Model && r.GetInt32(6) == dim;
                        if (usable)
                        {
                            var blob = (byte[])r.GetValue(7);
                            index.Add(meta, MemoryMarshal.Cast<byte, float>(blob.AsSpan()));
                        }
                        else
                            stale.Add(meta);
                    }
                }
                if (stale.Count > 0)
                    Reembed(stale, index);
                return index;
            });
        }
    }

    /// <summary>Embeds episodes stored without a vector of the current embedder; persists them unless read-only.</summary>
    private void Reembed(List<EpisodeMeta> stale, EpisodeVectorIndex index)
    {
        var vector = new float[Embedder.Dimension];
        SqliteTransaction? tx = ReadOnly ? null : _connection.BeginTransaction();
        try
        {
            foreach (var meta in stale)
            {
                using var cmd = _connection.CreateCommand();
                cmd.Transaction = tx;
                cmd.CommandText = $"SELECT {EpisodeColumns} FROM episodes WHERE id = $id";
                cmd.Parameters.AddWithValue("$id", meta.Id);
                var episode = ReadEpisodes(cmd, tx)[0];
                Embedder.EmbedEpisode(episode, vector);
                index.Add(meta, vector);
                if (tx is not null)
                    WriteEmbedding(meta.Id, episode, tx, vector);
            }
            tx?.Commit();
            if (tx is not null)
                _logger.LogInformation("Embedded {Count} episodes of {Path} with {Model}", stale.Count, Location, Embedder.Model);
        }
        catch
        {
            if (tx is not null)
                TryRollback(tx);
            throw;
        }
        finally
        {
            tx?.Dispose();
        }
    }

    public IReadOnlyList<EpisodeRecord> Query(RecallFilter filter, int limit)
    {
        ArgumentNullException.ThrowIfNull(filter);
        if (limit <= 0)
            return [];
        lock (_gate)
        {
            ThrowIfDisposed();
            return Wrap("query episodes", () =>
            {
                using var cmd = _connection.CreateCommand();
                var where = new List<string>();
                if (!string.IsNullOrEmpty(filter.Task))
                {
                    where.Add("instr(lower(instruction), lower($task)) > 0");
                    cmd.Parameters.AddWithValue("$task", filter.Task);
                }
                if (!string.IsNullOrWhiteSpace(filter.Object))
                {
                    where.Add("instr(objects, $object) > 0");
                    cmd.Parameters.AddWithValue("$object", " " + filter.Object.Trim().ToLowerInvariant() + " ");
                }
                if (filter.Success is { } success)
                {
                    where.Add("success = $success");
                    cmd.Parameters.AddWithValue("$success", success ? 1 : 0);
                }
                if (filter.Since is { } since)
                {
                    where.Add("started_unix_ms >= $since");
                    cmd.Parameters.AddWithValue("$since", since.ToUnixTimeMilliseconds());
                }
                if (filter.Until is { } until)
                {
                    where.Add("started_unix_ms < $until");
                    cmd.Parameters.AddWithValue("$until", until.ToUnixTimeMilliseconds());
                }
                cmd.CommandText = $"SELECT {EpisodeColumns} FROM episodes" +
                    (where.Count == 0 ? "" : " WHERE " + string.Join(" AND ", where)) + " ORDER BY id DESC LIMIT $limit";
                cmd.Parameters.AddWithValue("$limit", limit);
                return ReadEpisodes(cmd);
            });
        }
    }

    public IEnumerable<EpisodeRecord> All()
    {
        long after = 0;
        while (true)
        {
            List<EpisodeRecord> page;
            lock (_gate)
            {
                ThrowIfDisposed();
                page = Wrap("read episodes", () =>
                {
                    using var cmd = _connection.CreateCommand();
                    cmd.CommandText = $"SELECT {EpisodeColumns} FROM episodes WHERE id > $after ORDER BY id LIMIT {Page}";
                    cmd.Parameters.AddWithValue("$after", after);
                    return ReadEpisodes(cmd, withTraces: true);
                });
            }
            foreach (var e in page)
                yield return e;
            if (page.Count < Page)
                yield break;
            after = page[^1].Id;
        }
    }

    public IReadOnlyList<SemanticFact> Facts(string? objectName = null)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            return Wrap("read semantic facts", () =>
            {
                using var cmd = _connection.CreateCommand();
                cmd.CommandText = $"SELECT {FactColumns} FROM semantic_facts" +
                    (string.IsNullOrWhiteSpace(objectName) ? "" : " WHERE object = $object") + " ORDER BY object, skill, tuning";
                if (!string.IsNullOrWhiteSpace(objectName))
                    cmd.Parameters.AddWithValue("$object", objectName.Trim().ToLowerInvariant());
                using var r = cmd.ExecuteReader();
                var facts = new List<SemanticFact>();
                while (r.Read())
                    facts.Add(ReadFact(r).ToFact());
                return facts;
            });
        }
    }

    public MemoryStats Stats()
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            return Wrap("read statistics", () =>
            {
                long Long(string sql) => Convert.ToInt64(Scalar(sql) is { Length: > 0 } v ? v : "0", CultureInfo.InvariantCulture);
                DateTimeOffset? When(string sql)
                {
                    var v = Scalar(sql);
                    return string.IsNullOrEmpty(v) ? null : DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(v, CultureInfo.InvariantCulture));
                }
                var top = new List<TaskStat>();
                using (var cmd = _connection.CreateCommand())
                {
                    cmd.CommandText = "SELECT instruction, COUNT(*), SUM(success) FROM episodes GROUP BY instruction " +
                                      "ORDER BY COUNT(*) DESC, instruction LIMIT 10";
                    using var r = cmd.ExecuteReader();
                    while (r.Read())
                        top.Add(new TaskStat(r.GetString(0), r.GetInt64(1), r.GetInt64(2)));
                }
                long episodes = Long("SELECT COUNT(*) FROM episodes");
                long successes = Long("SELECT COUNT(*) FROM episodes WHERE success = 1");
                long bytes = 0;
                foreach (var f in new[] { Location, Location + "-wal" })
                    if (File.Exists(f))
                        bytes += new FileInfo(f).Length;
                return new MemoryStats(
                    Location,
                    (int)Long("PRAGMA user_version"),
                    episodes,
                    successes,
                    episodes - successes,
                    Long("SELECT COUNT(*) FROM episode_steps"),
                    When("SELECT MIN(started_unix_ms) FROM episodes"),
                    When("SELECT MAX(started_unix_ms) FROM episodes"),
                    Long("SELECT COUNT(*) FROM semantic_facts"),
                    Long($"SELECT COUNT(*) FROM episode_embeddings WHERE model = '{Embedder.Model.Replace("'", "''", StringComparison.Ordinal)}'"),
                    Embedder.Model,
                    Embedder.Dimension,
                    bytes,
                    top);
            });
        }
    }

    public long CountPrunable(PruneRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        rule.Validate();
        lock (_gate)
        {
            ThrowIfDisposed();
            return Wrap("count episodes to prune", () =>
            {
                using var cmd = _connection.CreateCommand();
                cmd.CommandText = "SELECT COUNT(*) FROM episodes WHERE " + PruneWhere(cmd, rule);
                return (long)cmd.ExecuteScalar()!;
            });
        }
    }

    /// <summary>What the last <see cref="Prune"/> did to the saved recall graph beside this store, or null when there was none.</summary>
    public string? PruneGraphNote { get; private set; }

    public long Prune(PruneRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        rule.Validate();
        if (ReadOnly)
            throw new EpisodeStoreException($"Memory store {Location} is open read-only; nothing was pruned.");
        lock (_gate)
        {
            ThrowIfDisposed();
            PruneGraphNote = null;
            var graph = RecallGraphFile.Beside(Location, Embedder.Model, readOnly: false);
            // The rows the saved graph was built from, read before they change: only against them can it be trusted.
            (float[] Vectors, EpisodeMeta[] Meta, int Count)? before = File.Exists(graph.SidecarPath) ? LoadIndex().Rows() : null;
            var pruned = new HashSet<long>();
            using (var tx = _connection.BeginTransaction())
            {
                try
                {
                    using (var cmd = _connection.CreateCommand())
                    {
                        cmd.Transaction = tx;
                        cmd.CommandText = "DELETE FROM episodes WHERE " + PruneWhere(cmd, rule) + " RETURNING id";
                        using var r = cmd.ExecuteReader();
                        while (r.Read())
                            pruned.Add(r.GetInt64(0));
                    }
                    if (pruned.Count > 0)
                        RebuildFacts(tx);
                    tx.Commit();
                }
                catch (Exception ex)
                {
                    TryRollback(tx);
                    throw new EpisodeStoreException($"Cannot prune {Location}: {ex.Message}. Nothing was deleted.", ex);
                }
            }
            if (before is { } rows && pruned.Count > 0)
                PruneGraphNote = PruneGraph(graph, rows, pruned);
            return pruned.Count;
        }
    }

    /// <summary>
    /// Removes the pruned episodes from the saved recall graph so the next open loads it rather than rebuilding it
    /// (hours of background work for a million episodes). The prune itself has committed: a graph that cannot be
    /// kept only costs that rebuild, so failures here are reported, never thrown.
    /// </summary>
    private string PruneGraph(RecallGraphFile graph, (float[] Vectors, EpisodeMeta[] Meta, int Count) before, HashSet<long> pruned)
    {
        try
        {
            return graph.RemovePruned(before.Vectors, before.Meta, before.Count, Embedder.Dimension, pruned, out int removed, out int covers, out var why)
                ? $"removed {removed} pruned episode(s) from the saved recall graph {graph.Path}; it covers {covers} and is loaded at the next open"
                : $"the saved recall graph {graph.Path} was not kept ({why}); it is rebuilt at the next open";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or InvalidDataException or DllNotFoundException)
        {
            return $"the saved recall graph {graph.Path} could not be updated ({ex.Message}); it is rebuilt at the next open";
        }
    }

    public ImportResult Import(IReadOnlyList<EpisodeRecord> episodes)
    {
        ArgumentNullException.ThrowIfNull(episodes);
        if (ReadOnly)
            throw new EpisodeStoreException($"Memory store {Location} is open read-only; nothing was imported.");
        lock (_gate)
        {
            ThrowIfDisposed();
            using var tx = _connection.BeginTransaction();
            int n = 0;
            try
            {
                var ids = new List<long>();
                int skipped = 0;
                using var exists = _connection.CreateCommand();
                exists.Transaction = tx;
                exists.CommandText = "SELECT COUNT(*) FROM episodes WHERE task_id = $task_id";
                var pTask = exists.Parameters.Add("$task_id", SqliteType.Text);
                var seen = new HashSet<Guid>();
                BeginFactBatch();
                bool ok = false;
                try
                {
                    foreach (var e in episodes)
                    {
                        n++;
                        ArgumentNullException.ThrowIfNull(e);
                        pTask.Value = e.TaskId.ToString("D");
                        if (!seen.Add(e.TaskId) || (long)exists.ExecuteScalar()! > 0)
                        {
                            skipped++;
                            continue;
                        }
                        ids.Add(AppendCore(e, tx));
                    }
                    ok = true;
                }
                finally
                {
                    EndFactBatch(tx, write: ok);
                }
                tx.Commit();
                return new ImportResult(ids.Count, skipped, ids);
            }
            catch (Exception ex)
            {
                TryRollback(tx);
                throw new EpisodeStoreException(
                    $"Cannot import into {Location}: episode {n} of {episodes.Count}: {ex.Message}. Nothing was imported.", ex);
            }
        }
    }

    // ---------------------------------------------------------------- writing (inside an episode's transaction)

    private void WriteEmbedding(long id, EpisodeRecord episode, SqliteTransaction tx, float[]? computed = null)
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Embeddings are stored as little-endian float32.");
        var vector = computed;
        if (vector is null)
        {
            vector = new float[Embedder.Dimension];
            Embedder.EmbedEpisode(episode, vector);
        }
        using var cmd = _connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "INSERT OR REPLACE INTO episode_embeddings (episode_id, model, dim, vector) VALUES ($id, $model, $dim, $vector)";
        cmd.Parameters.AddWithValue("$id", id);
        cmd.Parameters.AddWithValue("$model", Embedder.Model);
        cmd.Parameters.AddWithValue("$dim", vector.Length);
        cmd.Parameters.Add("$vector", SqliteType.Blob).Value = MemoryMarshal.AsBytes(vector.AsSpan()).ToArray();
        cmd.ExecuteNonQuery();
    }

    /// <summary>Folds one episode into the semantic tier (the rule is <see cref="SemanticFactRow.Fold"/>).</summary>
    private void UpdateFacts(long id, EpisodeRecord episode, SqliteTransaction tx)
    {
        long t = episode.StartedAt.ToUnixTimeMilliseconds();
        foreach (var (obj, skill, tuning, outcome, reason) in SemanticFactRow.Contributions(episode))
            FoldFact(obj, skill, tuning, outcome, t, reason, id, tx);
    }

    /// <summary>While a bulk write (import, rebuild, migration) runs: the fact rows it touched, written once at the end.</summary>
    private Dictionary<(string Object, string Skill, string Tuning), SemanticFactRow>? _factBatch;

    private void BeginFactBatch() => _factBatch = [];

    private void EndFactBatch(SqliteTransaction tx, bool write)
    {
        var batch = _factBatch;
        _factBatch = null;
        if (write && batch is not null)
            foreach (var row in batch.Values)
                WriteFact(row, tx);
    }

    private void FoldFact(string obj, string skill, string tuning, SkillOutcome outcome, long t, string? reason, long episodeId, SqliteTransaction tx)
    {
        SemanticFactRow? row;
        if (_factBatch is not null && _factBatch.TryGetValue((obj, skill, tuning), out var cached))
            row = cached;
        else
        {
            using var read = _connection.CreateCommand();
            read.Transaction = tx;
            read.CommandText = $"SELECT {FactColumns} FROM semantic_facts WHERE object = $o AND skill = $s AND tuning = $t";
            read.Parameters.AddWithValue("$o", obj);
            read.Parameters.AddWithValue("$s", skill);
            read.Parameters.AddWithValue("$t", tuning);
            using var r = read.ExecuteReader();
            row = r.Read() ? ReadFact(r) : null;
        }
        row = SemanticFactRow.Fold(row, obj, skill, tuning, outcome, t, reason, episodeId);
        if (_factBatch is not null)
            _factBatch[(obj, skill, tuning)] = row;
        else
            WriteFact(row, tx);
    }

    private void WriteFact(SemanticFactRow row, SqliteTransaction tx)
    {
        using var write = _connection.CreateCommand();
        write.Transaction = tx;
        write.CommandText =
            "INSERT OR REPLACE INTO semantic_facts (object, skill, successes, failures, aborts, first_seen_unix_ms, last_seen_unix_ms, " +
            "last_success_unix_ms, last_failure_unix_ms, failure_reasons_json, last_episode_id, tuning) VALUES " +
            "($o, $s, $ok, $fail, $abort, $first, $last, $lastOk, $lastFail, $reasons, $episode, $tuning)";
        write.Parameters.AddWithValue("$o", row.Object);
        write.Parameters.AddWithValue("$s", row.Skill);
        write.Parameters.AddWithValue("$ok", row.Successes);
        write.Parameters.AddWithValue("$fail", row.Failures);
        write.Parameters.AddWithValue("$abort", row.Aborts);
        write.Parameters.AddWithValue("$first", row.FirstSeen);
        write.Parameters.AddWithValue("$last", row.LastSeen);
        write.Parameters.AddWithValue("$lastOk", (object?)row.LastSuccess ?? DBNull.Value);
        write.Parameters.AddWithValue("$lastFail", (object?)row.LastFailure ?? DBNull.Value);
        write.Parameters.AddWithValue("$reasons", row.ReasonsJson);
        write.Parameters.AddWithValue("$episode", row.LastEpisodeId);
        write.Parameters.AddWithValue("$tuning", row.Tuning);
        write.ExecuteNonQuery();
    }

    /// <summary>Recomputes the whole semantic tier from the episodes (after a prune, and when migrating).</summary>
    private void RebuildFacts(SqliteTransaction tx)
    {
        using (var clear = _connection.CreateCommand())
        {
            clear.Transaction = tx;
            clear.CommandText = "DELETE FROM semantic_facts";
            clear.ExecuteNonQuery();
        }
        BeginFactBatch();
        bool ok = false;
        try
        {
            foreach (var page in Pages(tx))
                foreach (var e in page)
                    UpdateFacts(e.Id, e, tx);
            ok = true;
        }
        finally
        {
            EndFactBatch(tx, write: ok);
        }
    }

    /// <summary>1 → 2: fills start time, objects and embeddings of the episodes already stored, and the semantic tier.</summary>
    private void BackfillVersion2(SqliteTransaction tx)
    {
        using var update = _connection.CreateCommand();
        update.Transaction = tx;
        update.CommandText = "UPDATE episodes SET started_unix_ms = $t, objects = $o WHERE id = $id";
        var pT = update.Parameters.Add("$t", SqliteType.Integer);
        var pO = update.Parameters.Add("$o", SqliteType.Text);
        var pId = update.Parameters.Add("$id", SqliteType.Integer);
        long n = 0;
        BeginFactBatch();
        bool ok = false;
        try
        {
            foreach (var page in Pages(tx))
            {
                foreach (var e in page)
                {
                    pT.Value = e.StartedAt.ToUnixTimeMilliseconds();
                    pO.Value = ObjectsColumn(e.Plan);
                    pId.Value = e.Id;
                    update.ExecuteNonQuery();
                    WriteEmbedding(e.Id, e, tx);
                    UpdateFacts(e.Id, e, tx);
                    n++;
                }
            }
            ok = true;
        }
        finally
        {
            EndFactBatch(tx, write: ok);
        }
        if (n > 0)
            _logger.LogInformation("Backfilled {Count} episodes of {Path} for schema version 2", n, Location);
    }

    private IEnumerable<List<EpisodeRecord>> Pages(SqliteTransaction tx)
    {
        long after = 0;
        while (true)
        {
            using var cmd = _connection.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText = $"SELECT {EpisodeColumns} FROM episodes WHERE id > $after ORDER BY id LIMIT {Page}";
            cmd.Parameters.AddWithValue("$after", after);
            var page = ReadEpisodes(cmd, tx);
            if (page.Count == 0)
                yield break;
            yield return page;
            if (page.Count < Page)
                yield break;
            after = page[^1].Id;
        }
    }

    private static string PruneWhere(SqliteCommand cmd, PruneRule rule)
    {
        if (rule.Before is { } before)
        {
            cmd.Parameters.AddWithValue("$before", before.ToUnixTimeMilliseconds());
            return "started_unix_ms < $before";
        }
        cmd.Parameters.AddWithValue("$keep", rule.Keep!.Value);
        return "id NOT IN (SELECT id FROM episodes ORDER BY id DESC LIMIT $keep)";
    }

    private long CountLocked()
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM episodes";
        return (long)cmd.ExecuteScalar()!;
    }

    private static string ObjectsColumn(ImmutableArray<string> plan) => SemanticFactRow.ObjectsColumn(plan);

    private static string[] ParseObjectsColumn(string column) =>
        column.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private const string FactColumns =
        "object, skill, successes, failures, aborts, first_seen_unix_ms, last_seen_unix_ms, last_success_unix_ms, " +
        "last_failure_unix_ms, failure_reasons_json, last_episode_id, tuning";

    private static SemanticFactRow ReadFact(SqliteDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetInt32(3), r.GetInt32(4), r.GetInt64(5), r.GetInt64(6),
        r.IsDBNull(7) ? null : r.GetInt64(7), r.IsDBNull(8) ? null : r.GetInt64(8),
        SemanticFactRow.ParseReasons(r.GetString(9)), r.GetInt64(10), r.GetString(11));
}
