using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.InteropServices;
using CortexBot.Core.Messages;
using CortexBot.Hippocampus.Recall;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace CortexBot.Hippocampus;

// Episodes: appending one (row, steps, trace, embedding and its facts in one transaction), reading them back, and
// their embeddings for recall.
public sealed partial class SqliteEpisodeStore
{
    public long Append(EpisodeRecord episode) => Append(episode, null);

    public long Append(EpisodeRecord episode, float[]? vector)
    {
        ArgumentNullException.ThrowIfNull(episode);
        if (vector is not null && vector.Length != Embedder.Dimension)
            throw new ArgumentException($"The vector has {vector.Length} floats; {Embedder.Model} gives {Embedder.Dimension}.", nameof(vector));
        if (ReadOnly)
            throw new EpisodeStoreException($"Memory store {Location} is open read-only; episode {episode.TaskId} was not stored.");

        lock (_gate)
        {
            ThrowIfDisposed();
            using var tx = _connection.BeginTransaction(); // BEGIN IMMEDIATE
            try
            {
                long id = AppendCore(episode, tx, vector);
                tx.Commit();
                return id;
            }
            catch (Exception ex)
            {
                TryRollback(tx);
                if (ex is EpisodeStoreException)
                    throw;
                var why = ex is SqliteException { SqliteErrorCode: 19 } && IsDuplicateTask(ex)
                    ? $"an episode with task id {episode.TaskId} is already stored"
                    : ex.Message;
                throw new EpisodeStoreException(
                    $"Episode {episode.TaskId} was not stored in {Location}: {why}. Nothing of it was written.", ex);
            }
        }
    }

    /// <summary>Writes one whole episode (row, steps, embedding, semantic facts) inside <paramref name="tx"/>.</summary>
    private long AppendCore(EpisodeRecord episode, SqliteTransaction tx, float[]? vector = null)
    {
        long id;
        using (var insert = _connection.CreateCommand())
        {
            insert.Transaction = tx;
            insert.CommandText =
                "INSERT INTO episodes (task_id, instruction, seed, started_at, duration_s, success, failure_reason, " +
                "planner, plan_json, anomalies_json, plan_latency_ms, controller_version, started_unix_ms, objects, stored_at, " +
                "scene_start_json, scene_end_json, anomaly_events_json, policy_name, policy_id, perturbations_json, goal_json, interrupted, tree_json) VALUES " +
                "($task_id, $instruction, $seed, $started_at, $duration_s, $success, $failure_reason, " +
                "$planner, $plan_json, $anomalies_json, $plan_latency_ms, $controller_version, $started_unix_ms, $objects, $stored_at, " +
                "$scene_start, $scene_end, $anomaly_events, $policy_name, $policy_id, $perturbations, $goal, $interrupted, $tree) RETURNING id";
            insert.Parameters.AddWithValue("$task_id", episode.TaskId.ToString("D"));
            insert.Parameters.AddWithValue("$instruction", Db(episode.Instruction));
            insert.Parameters.AddWithValue("$seed", episode.Seed);
            insert.Parameters.AddWithValue("$started_at", episode.StartedAt.ToString("O", CultureInfo.InvariantCulture));
            insert.Parameters.AddWithValue("$duration_s", Db(episode.DurationS));
            insert.Parameters.AddWithValue("$success", episode.Success ? 1 : 0);
            insert.Parameters.AddWithValue("$failure_reason", Db(episode.FailureReason));
            insert.Parameters.AddWithValue("$planner", Db(episode.Planner));
            insert.Parameters.AddWithValue("$plan_json", EpisodeRows.ListJson(episode.Plan));
            insert.Parameters.AddWithValue("$anomalies_json", EpisodeRows.ListJson(episode.Anomalies));
            insert.Parameters.AddWithValue("$plan_latency_ms", Db(episode.PlanLatencyMs));
            insert.Parameters.AddWithValue("$controller_version", Db(episode.ControllerVersion));
            insert.Parameters.AddWithValue("$started_unix_ms", episode.StartedAt.ToUnixTimeMilliseconds());
            insert.Parameters.AddWithValue("$objects", ObjectsColumn(episode.Plan));
            insert.Parameters.AddWithValue("$stored_at", DateTimeOffset.UtcNow.ToString("O", CultureInfo.InvariantCulture));
            insert.Parameters.AddWithValue("$scene_start", Db(EpisodeDetails.SceneJson(episode.SceneAtStart)));
            insert.Parameters.AddWithValue("$scene_end", Db(EpisodeDetails.SceneJson(episode.SceneAtEnd)));
            insert.Parameters.AddWithValue("$anomaly_events", Db(EpisodeDetails.AnomaliesJson(episode.AnomalyEvents)));
            insert.Parameters.AddWithValue("$policy_name", Db(episode.Policy?.File));
            insert.Parameters.AddWithValue("$policy_id", Db(episode.Policy?.Id));
            insert.Parameters.AddWithValue("$perturbations", Db(EpisodeDetails.PerturbationsJson(episode.Perturbations)));
            insert.Parameters.AddWithValue("$goal", Db(EpisodeDetails.GoalJson(episode.Goal, episode.Unmet)));
            insert.Parameters.AddWithValue("$interrupted", episode.Interrupted ? 1 : 0);
            insert.Parameters.AddWithValue("$tree", Db(EpisodeDetails.TreeJson(episode.Tree)));
            id = (long)insert.ExecuteScalar()!;
        }

        if (episode.Trace is { } trace)
        {
            using var write = _connection.CreateCommand();
            write.Transaction = tx;
            write.CommandText = "INSERT INTO episode_traces (episode_id, trace) VALUES ($id, $trace)";
            write.Parameters.AddWithValue("$id", id);
            write.Parameters.Add("$trace", SqliteType.Blob).Value = trace.Encode();
            write.ExecuteNonQuery();
        }

        if (!episode.Steps.IsDefaultOrEmpty)
        {
            using var step = _connection.CreateCommand();
            step.Transaction = tx;
            step.CommandText =
                "INSERT INTO episode_steps (episode_id, idx, skill, outcome, detail, started_at_s, duration_s, parameters) " +
                "VALUES ($episode_id, $idx, $skill, $outcome, $detail, $started_at_s, $duration_s, $parameters)";
            var pEpisode = step.Parameters.Add("$episode_id", SqliteType.Integer);
            var pIdx = step.Parameters.Add("$idx", SqliteType.Integer);
            var pSkill = step.Parameters.Add("$skill", SqliteType.Text);
            var pOutcome = step.Parameters.Add("$outcome", SqliteType.Text);
            var pDetail = step.Parameters.Add("$detail", SqliteType.Text);
            var pStarted = step.Parameters.Add("$started_at_s", SqliteType.Real);
            var pDuration = step.Parameters.Add("$duration_s", SqliteType.Real);
            var pParameters = step.Parameters.Add("$parameters", SqliteType.Text);
            foreach (var s in episode.Steps)
            {
                if (s is null)
                    throw new EpisodeStoreException($"Episode {episode.TaskId} has a null step; nothing was stored.");
                pEpisode.Value = id;
                pIdx.Value = s.Index;
                pSkill.Value = Db(s.Skill);
                pOutcome.Value = s.Outcome.ToString();
                pDetail.Value = Db(s.Detail);
                pStarted.Value = Db(s.StartedAtS);
                pDuration.Value = Db(s.DurationS);
                pParameters.Value = Db(s.Parameters);
                step.ExecuteNonQuery();
            }
        }

        WriteEmbedding(id, episode, tx, vector);
        _facts.Fold(id, episode, tx);
        return id;
    }

    public EpisodeRecord? Get(long id)
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            return Wrap("read episode " + id, () =>
            {
                using var cmd = _connection.CreateCommand();
                cmd.CommandText = $"SELECT {EpisodeRows.Columns} FROM episodes WHERE id = $id";
                cmd.Parameters.AddWithValue("$id", id);
                var found = ReadEpisodes(cmd, withTraces: true);
                return found.Count == 0 ? null : found[0];
            });
        }
    }

    /// <summary>The latest <paramref name="limit"/> episodes, most recently stored first.</summary>
    public IReadOnlyList<EpisodeRecord> Recent(int limit)
    {
        if (limit <= 0)
            return [];
        lock (_gate)
        {
            ThrowIfDisposed();
            return Wrap("read recent episodes", () =>
            {
                using var cmd = _connection.CreateCommand();
                cmd.CommandText = $"SELECT {EpisodeRows.Columns} FROM episodes ORDER BY id DESC LIMIT $limit";
                cmd.Parameters.AddWithValue("$limit", limit);
                return ReadEpisodes(cmd);
            });
        }
    }

    public long Count()
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            return Wrap("count episodes", () =>
            {
                using var cmd = _connection.CreateCommand();
                cmd.CommandText = "SELECT COUNT(*) FROM episodes";
                return (long)cmd.ExecuteScalar()!;
            });
        }
    }

    public EpisodeVectorIndex LoadIndex()
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            return Wrap("load the recall index", () =>
            {
                var index = EpisodeVectorIndex.ForStore(Embedder.Dimension, CountLocked());
                var stale = new List<EpisodeMeta>();
                using (var cmd = _connection.CreateCommand())
                {
                    cmd.CommandText =
                        $"SELECT {EpisodeRows.IndexColumns} FROM episodes e LEFT JOIN episode_embeddings m ON m.episode_id = e.id ORDER BY e.id";
                    using var r = cmd.ExecuteReader();
                    EpisodeRows.LoadIndex(r, Embedder, index, stale); // stale: recomputed below
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
                cmd.CommandText = $"SELECT {EpisodeRows.Columns} FROM episodes WHERE id = $id";
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
                string Bind(object value)
                {
                    var name = "$p" + cmd.Parameters.Count.ToString(CultureInfo.InvariantCulture);
                    cmd.Parameters.AddWithValue(name, value is bool b ? (b ? 1 : 0) : value);
                    return name;
                }
                var where = EpisodeRows.FilterConditions(filter, Bind, "instr");
                cmd.CommandText = $"SELECT {EpisodeRows.Columns} FROM episodes" +
                    (where.Count == 0 ? "" : " WHERE " + string.Join(" AND ", where)) + " ORDER BY id DESC LIMIT $limit";
                cmd.Parameters.AddWithValue("$limit", limit);
                return ReadEpisodes(cmd);
            });
        }
    }

    public IReadOnlyList<EpisodeRecord> SucceededWithGoal(string goalStructure, int limit)
    {
        ArgumentException.ThrowIfNullOrEmpty(goalStructure);
        if (limit <= 0)
            return [];
        lock (_gate)
        {
            ThrowIfDisposed();
            return Wrap("recall plans by goal", () =>
            {
                // Newest first along the rowid; the structure lives in goal_json (no schema change for it).
                using var cmd = _connection.CreateCommand();
                cmd.CommandText = $"SELECT {EpisodeRows.Columns} FROM episodes WHERE success = 1 AND goal_json IS NOT NULL" +
                    $" AND {EpisodeDetails.StructureSql(postgres: false)} = $structure ORDER BY id DESC LIMIT $limit";
                cmd.Parameters.AddWithValue("$structure", goalStructure);
                cmd.Parameters.AddWithValue("$limit", limit);
                return ReadEpisodes(cmd);
            });
        }
    }

    public IEnumerable<EpisodeRecord> All() => EpisodeRows.Pages(after =>
    {
        lock (_gate)
        {
            ThrowIfDisposed();
            return Wrap("read episodes", () =>
            {
                using var cmd = _connection.CreateCommand();
                cmd.CommandText = $"SELECT {EpisodeRows.Columns} FROM episodes WHERE id > $after ORDER BY id LIMIT {EpisodeRows.PageSize}";
                cmd.Parameters.AddWithValue("$after", after);
                return ReadEpisodes(cmd, withTraces: true);
            });
        }
    }).SelectMany(page => page);

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


    private List<EpisodeRecord> ReadEpisodes(SqliteCommand cmd, SqliteTransaction? tx = null, bool withTraces = false)
    {
        List<EpisodeRecord> rows;
        using (var r = cmd.ExecuteReader())
            rows = EpisodeRows.ReadEpisodes(r);

        if (rows.Count == 0)
            return rows;

        using var steps = _connection.CreateCommand();
        steps.Transaction = tx;
        steps.CommandText =
            $"SELECT {EpisodeRows.StepColumns} FROM episode_steps WHERE episode_id = $id ORDER BY rowid";
        var pId = steps.Parameters.Add("$id", SqliteType.Integer);
        for (int i = 0; i < rows.Count; i++)
        {
            pId.Value = rows[i].Id;
            var list = ImmutableArray.CreateBuilder<StepRecord>();
            using var r = steps.ExecuteReader();
            while (r.Read())
                list.Add(EpisodeRows.ReadStep(r, 0, rows[i].Id, Location));
            rows[i] = rows[i] with { Steps = list.ToImmutable() };
        }

        if (withTraces)
        {
            using var traces = _connection.CreateCommand();
            traces.Transaction = tx;
            traces.CommandText = "SELECT trace FROM episode_traces WHERE episode_id = $id";
            var pTrace = traces.Parameters.Add("$id", SqliteType.Integer);
            for (int i = 0; i < rows.Count; i++)
            {
                pTrace.Value = rows[i].Id;
                if (traces.ExecuteScalar() is byte[] blob)
                    rows[i] = rows[i] with { Trace = EpisodeDetails.ParseTrace(blob, rows[i].Id, Location) };
            }
        }
        return rows;
    }

    private IEnumerable<List<EpisodeRecord>> Pages(SqliteTransaction tx) => EpisodeRows.Pages(after =>
    {
        using var cmd = _connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"SELECT {EpisodeRows.Columns} FROM episodes WHERE id > $after ORDER BY id LIMIT {EpisodeRows.PageSize}";
        cmd.Parameters.AddWithValue("$after", after);
        return ReadEpisodes(cmd, tx);
    });

    private long CountLocked()
    {
        using var cmd = _connection.CreateCommand();
        cmd.CommandText = "SELECT COUNT(*) FROM episodes";
        return (long)cmd.ExecuteScalar()!;
    }

    private static string ObjectsColumn(ImmutableArray<string> plan) => SemanticFactRow.ObjectsColumn(plan);
}
