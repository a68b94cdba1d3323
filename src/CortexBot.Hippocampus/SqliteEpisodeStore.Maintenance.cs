using System.Globalization;
using CortexBot.Core.Messages;
using CortexBot.Hippocampus.Recall;
using Microsoft.Data.Sqlite;

namespace CortexBot.Hippocampus;

// Inspection and maintenance: facts, statistics, prune and import.
public sealed partial class SqliteEpisodeStore
{
    public IReadOnlyList<SemanticFact> Facts(string? objectName = null)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            return Wrap("read semantic facts", () => _facts.Read(objectName));
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
                List<TaskStat> top;
                using (var cmd = _connection.CreateCommand())
                {
                    cmd.CommandText = "SELECT instruction, COUNT(*), SUM(success) FROM episodes GROUP BY instruction " +
                                      "ORDER BY COUNT(*) DESC, instruction LIMIT 10";
                    using var r = cmd.ExecuteReader();
                    top = EpisodeRows.ReadTaskStats(r);
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
            var graph = RecallGraphPrune.Before(Location, Embedder, LoadIndex);
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
            if (graph is not null && pruned.Count > 0)
                PruneGraphNote = graph.After(pruned);
            return pruned.Count;
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
                _facts.BeginBatch();
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
                    _facts.EndBatch(tx, write: ok);
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

    /// <summary>Recomputes the whole semantic tier from the episodes (after a prune, and when migrating).</summary>
    private void RebuildFacts(SqliteTransaction tx) => _facts.Rebuild(Pages(tx).SelectMany(page => page), tx);

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
}
