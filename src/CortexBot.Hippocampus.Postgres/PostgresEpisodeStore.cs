using CortexBot.Core.Ports;
using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using CortexBot.Core.Messages;
using CortexBot.Hippocampus.Recall;
using Npgsql;
using NpgsqlTypes;

namespace CortexBot.Hippocampus.Postgres;

/// <summary>
/// Durable episodic memory on a PostgreSQL server, for robots sharing one memory. Same contract as
/// <see cref="SqliteEpisodeStore"/>: <see cref="Append"/> stores an episode (row, steps and its embedding) in one
/// transaction or not at all; ids grow; a duplicate task id is refused.
/// </summary>
/// <remarks>
/// Everything lives in the schema <c>cortexbot</c>; its version is kept in <c>cortexbot.schema_version</c> and migrated
/// forward under an advisory lock, so several robots may start at once. A schema <c>cortexbot</c> without that table
/// (someone else's) and a version newer than this code knows are refused and left untouched.
/// Appends, imports and prunes update the semantic facts in the same transaction, serialised across robots by an
/// advisory lock. In read-only mode (inspection tools) the session itself is read-only
/// (<c>default_transaction_read_only</c>), so the server refuses any write, and nothing is created or migrated.
/// </remarks>
public sealed partial class PostgresEpisodeStore : IEpisodeMemory
{
    /// <summary>The schema version this code writes.</summary>
    public const int SchemaVersion = 8;

    /// <summary>The version that added the semantic tier; migrating past it rebuilds the facts from the episodes.</summary>
    private const int FactsVersion = 3;

    private const long MigrationLock = 0x43424D53; // "CBMS"

    private static readonly string[] Migrations =
    [
        // 0 -> 1
        """
        CREATE TABLE cortexbot.episodes (
            id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            task_id            UUID             NOT NULL UNIQUE,
            instruction        TEXT             NOT NULL,
            seed               INTEGER          NOT NULL,
            started_at         TEXT             NOT NULL,
            started_unix_ms    BIGINT           NOT NULL,
            duration_s         DOUBLE PRECISION NOT NULL,
            success            BOOLEAN          NOT NULL,
            failure_reason     TEXT,
            planner            TEXT             NOT NULL,
            plan_json          TEXT             NOT NULL,
            anomalies_json     TEXT             NOT NULL,
            plan_latency_ms    DOUBLE PRECISION NOT NULL,
            controller_version TEXT             NOT NULL,
            objects            TEXT             NOT NULL,
            stored_at          TIMESTAMPTZ      NOT NULL DEFAULT now()
        );
        CREATE INDEX episodes_by_started ON cortexbot.episodes(started_unix_ms);
        CREATE TABLE cortexbot.episode_steps (
            episode_id   BIGINT           NOT NULL REFERENCES cortexbot.episodes(id) ON DELETE CASCADE,
            ord          INTEGER          NOT NULL,
            idx          INTEGER          NOT NULL,
            skill        TEXT             NOT NULL,
            outcome      TEXT             NOT NULL,
            detail       TEXT,
            started_at_s DOUBLE PRECISION NOT NULL,
            duration_s   DOUBLE PRECISION NOT NULL,
            PRIMARY KEY (episode_id, ord)
        );
        CREATE TABLE cortexbot.episode_embeddings (
            episode_id BIGINT  PRIMARY KEY REFERENCES cortexbot.episodes(id) ON DELETE CASCADE,
            model      TEXT    NOT NULL,
            dim        INTEGER NOT NULL CHECK (dim > 0),
            vector     BYTEA   NOT NULL CHECK (length(vector) = 4 * dim)
        );
        """,
        // 1 -> 2: the richer record (same content as SQLite schema version 3). Rows stored before keep NULL.
        """
        ALTER TABLE cortexbot.episode_steps ADD COLUMN parameters TEXT;
        ALTER TABLE cortexbot.episodes ADD COLUMN scene_start_json TEXT;
        ALTER TABLE cortexbot.episodes ADD COLUMN scene_end_json TEXT;
        ALTER TABLE cortexbot.episodes ADD COLUMN anomaly_events_json TEXT;
        ALTER TABLE cortexbot.episodes ADD COLUMN policy_name TEXT;
        ALTER TABLE cortexbot.episodes ADD COLUMN policy_id TEXT;
        CREATE TABLE cortexbot.episode_traces (
            episode_id BIGINT PRIMARY KEY REFERENCES cortexbot.episodes(id) ON DELETE CASCADE,
            trace      BYTEA  NOT NULL
        );
        """,
        // 2 -> 3: the semantic tier, per object, skill and tuning as in the SQLite store (filled from the stored
        // episodes after the DDL).
        """
        CREATE TABLE cortexbot.semantic_facts (
            object               TEXT    NOT NULL,
            skill                TEXT    NOT NULL,
            tuning               TEXT    NOT NULL,
            successes            INTEGER NOT NULL,
            failures             INTEGER NOT NULL,
            aborts               INTEGER NOT NULL,
            first_seen_unix_ms   BIGINT  NOT NULL,
            last_seen_unix_ms    BIGINT  NOT NULL,
            last_success_unix_ms BIGINT,
            last_failure_unix_ms BIGINT,
            failure_reasons_json TEXT    NOT NULL,
            last_episode_id      BIGINT  NOT NULL,
            PRIMARY KEY (object, skill, tuning)
        );
        """,
        // 3 -> 4: perturbed object physics (same content as SQLite schema version 5). Rows stored before keep NULL.
        """
        ALTER TABLE cortexbot.episodes ADD COLUMN perturbations_json TEXT;
        """,
        // 4 -> 5: the task's goal and its unmet relations (same content as SQLite schema version 6). Rows stored before keep NULL.
        """
        ALTER TABLE cortexbot.episodes ADD COLUMN goal_json TEXT;
        """,
        // 5 -> 6: interrupted episodes (same content as SQLite schema version 7). Rows stored before were not.
        """
        ALTER TABLE cortexbot.episodes ADD COLUMN interrupted BOOLEAN NOT NULL DEFAULT FALSE;
        """,
        // 6 -> 7: the execution tree (same content as SQLite schema version 8). Rows stored before keep NULL.
        """
        ALTER TABLE cortexbot.episodes ADD COLUMN tree_json TEXT;
        """,
        // 7 -> 8: remembered safety reviews, one per flagged case (same content as SQLite schema version 9).
        """
        CREATE TABLE cortexbot.safety_verdicts (
            case_key        TEXT             PRIMARY KEY,
            policy_version  TEXT             NOT NULL,
            flags_json      TEXT             NOT NULL,
            case_text       TEXT             NOT NULL,
            verdict         TEXT             NOT NULL CHECK (verdict IN ('allow', 'modify', 'refuse')),
            reason          TEXT             NOT NULL,
            max_tool_speed  DOUBLE PRECISION,
            reviewer        TEXT             NOT NULL,
            review_ms       DOUBLE PRECISION NOT NULL,
            task_id         TEXT             NOT NULL,
            decided_unix_ms BIGINT           NOT NULL
        );
        CREATE INDEX safety_verdicts_by_task ON cortexbot.safety_verdicts(task_id);
        """,
    ];

    private readonly NpgsqlDataSource _dataSource;
    private bool _disposed;

    /// <summary>Connects to <paramref name="connectionString"/> (Npgsql keywords or a <c>postgres://</c> URL), creating or migrating the schema.</summary>
    /// <param name="readOnly">Inspection mode: the schema must already be current; the session is read-only on the server.</param>
    /// <exception cref="EpisodeStoreException">The server cannot be reached or the database holds something that is not ours.</exception>
    public PostgresEpisodeStore(string connectionString, IEpisodeEmbedder? embedder = null, bool readOnly = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        Embedder = embedder ?? HashingEpisodeEmbedder.Default;
        ReadOnly = readOnly;
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(ToKeywords(connectionString));
        }
        catch (ArgumentException ex)
        {
            throw new EpisodeStoreException($"Not a PostgreSQL connection string: {ex.Message}", ex);
        }
        Location = $"postgres://{builder.Username}@{builder.Host}:{builder.Port}/{builder.Database}";
        if (readOnly)
            builder.Options = (builder.Options is { Length: > 0 } o ? o + " " : "") + "-c default_transaction_read_only=on";
        _dataSource = NpgsqlDataSource.Create(builder);
        try
        {
            Initialise();
        }
        catch
        {
            _dataSource.Dispose();
            throw;
        }
    }

    /// <summary>Where the memory is, without the password.</summary>
    public string Location { get; }

    public IEpisodeEmbedder Embedder { get; }

    public bool ReadOnly { get; }

    public long Append(EpisodeRecord episode) => Append(episode, null);

    public long Append(EpisodeRecord episode, float[]? vector)
    {
        ArgumentNullException.ThrowIfNull(episode);
        ThrowIfDisposed();
        if (ReadOnly)
            throw new EpisodeStoreException($"Memory store {Location} is open read-only; episode {episode.TaskId} was not stored.");
        if (vector is not null && vector.Length != Embedder.Dimension)
            throw new ArgumentException($"The vector has {vector.Length} floats; {Embedder.Model} gives {Embedder.Dimension}.", nameof(vector));
        if (vector is null)
        {
            // Embedding can take a while (a language model); do it before the transaction holds the facts lock.
            vector = new float[Embedder.Dimension];
            Embedder.EmbedEpisode(episode, vector);
        }
        try
        {
            using var connection = _dataSource.OpenConnection();
            using var tx = connection.BeginTransaction();
            LockFacts(connection, tx);
            long id = AppendCore(episode, vector, connection, tx, facts: null);
            tx.Commit();
            return id;
        }
        catch (EpisodeStoreException)
        {
            throw;
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or InvalidCastException)
        {
            // Disposing the uncommitted transaction rolled it back: nothing of the episode is on the server.
            var why = ex is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation } pg && pg.ConstraintName == "episodes_task_id_key"
                ? $"an episode with task id {episode.TaskId} is already stored"
                : ex.Message;
            throw new EpisodeStoreException($"Episode {episode.TaskId} was not stored in {Location}: {why}. Nothing of it was written.", ex);
        }
    }

    /// <summary>
    /// Writes one whole episode (row, steps, embedding, semantic facts) inside <paramref name="tx"/>, which holds the
    /// facts lock. With <paramref name="facts"/> (bulk writes) the touched fact rows are collected there instead of written.
    /// </summary>
    private long AppendCore(EpisodeRecord episode, float[] vector, NpgsqlConnection connection, NpgsqlTransaction tx,
        Dictionary<(string, string, string), SemanticFactRow>? facts)
    {
        long id;
        using (var insert = new NpgsqlCommand(
            "INSERT INTO cortexbot.episodes (task_id, instruction, seed, started_at, started_unix_ms, duration_s, success, failure_reason, " +
            "planner, plan_json, anomalies_json, plan_latency_ms, controller_version, objects, " +
            "scene_start_json, scene_end_json, anomaly_events_json, policy_name, policy_id, perturbations_json, goal_json, interrupted, tree_json) VALUES " +
            "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23) RETURNING id", connection, tx))
        {
            insert.Parameters.Add(new NpgsqlParameter { Value = episode.TaskId });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)episode.Instruction ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            insert.Parameters.Add(new NpgsqlParameter { Value = episode.Seed });
            insert.Parameters.Add(new NpgsqlParameter { Value = episode.StartedAt.ToString("O", CultureInfo.InvariantCulture) });
            insert.Parameters.Add(new NpgsqlParameter { Value = episode.StartedAt.ToUnixTimeMilliseconds() });
            insert.Parameters.Add(new NpgsqlParameter { Value = episode.DurationS });
            insert.Parameters.Add(new NpgsqlParameter { Value = episode.Success });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)episode.FailureReason ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)episode.Planner ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            insert.Parameters.Add(new NpgsqlParameter { Value = EpisodeRows.ListJson(episode.Plan) });
            insert.Parameters.Add(new NpgsqlParameter { Value = EpisodeRows.ListJson(episode.Anomalies) });
            insert.Parameters.Add(new NpgsqlParameter { Value = episode.PlanLatencyMs });
            insert.Parameters.Add(new NpgsqlParameter { Value = (object?)episode.ControllerVersion ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
            insert.Parameters.Add(new NpgsqlParameter { Value = SemanticFactRow.ObjectsColumn(episode.Plan) });
            insert.Parameters.Add(Text(EpisodeDetails.SceneJson(episode.SceneAtStart)));
            insert.Parameters.Add(Text(EpisodeDetails.SceneJson(episode.SceneAtEnd)));
            insert.Parameters.Add(Text(EpisodeDetails.AnomaliesJson(episode.AnomalyEvents)));
            insert.Parameters.Add(Text(episode.Policy?.File));
            insert.Parameters.Add(Text(episode.Policy?.Id));
            insert.Parameters.Add(Text(EpisodeDetails.PerturbationsJson(episode.Perturbations)));
            insert.Parameters.Add(Text(EpisodeDetails.GoalJson(episode.Goal, episode.Unmet)));
            insert.Parameters.Add(new NpgsqlParameter { Value = episode.Interrupted });
            insert.Parameters.Add(Text(EpisodeDetails.TreeJson(episode.Tree)));
            id = (long)insert.ExecuteScalar()!;
        }

        if (episode.Trace is { } trace)
        {
            using var write = new NpgsqlCommand("INSERT INTO cortexbot.episode_traces (episode_id, trace) VALUES ($1, $2)", connection, tx);
            write.Parameters.Add(new NpgsqlParameter { Value = id });
            write.Parameters.Add(new NpgsqlParameter { Value = trace.Encode(), NpgsqlDbType = NpgsqlDbType.Bytea });
            write.ExecuteNonQuery();
        }

        if (!episode.Steps.IsDefaultOrEmpty)
        {
            using var step = new NpgsqlCommand(
                "INSERT INTO cortexbot.episode_steps (episode_id, ord, idx, skill, outcome, detail, started_at_s, duration_s, parameters) " +
                "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)", connection, tx);
            var p = Enumerable.Range(0, 9).Select(_ => step.Parameters.Add(new NpgsqlParameter())).ToArray();
            p[3].NpgsqlDbType = NpgsqlDbType.Text;
            p[5].NpgsqlDbType = NpgsqlDbType.Text;
            p[8].NpgsqlDbType = NpgsqlDbType.Text;
            int ord = 0;
            foreach (var s in episode.Steps)
            {
                if (s is null)
                    throw new EpisodeStoreException($"Episode {episode.TaskId} has a null step; nothing was stored.");
                p[0].Value = id;
                p[1].Value = ord++;
                p[2].Value = s.Index;
                p[3].Value = (object?)s.Skill ?? DBNull.Value;
                p[4].Value = s.Outcome.ToString();
                p[5].Value = (object?)s.Detail ?? DBNull.Value;
                p[6].Value = s.StartedAtS;
                p[7].Value = s.DurationS;
                p[8].Value = (object?)s.Parameters ?? DBNull.Value;
                step.ExecuteNonQuery();
            }
        }

        WriteEmbedding(id, vector, connection, tx);
        UpdateFacts(id, episode, connection, tx, facts);
        return id;
    }

    public EpisodeRecord? Get(long id)
    {
        var found = ReadWithTraces("read episode " + id, $"SELECT {EpisodeRows.Columns} FROM cortexbot.episodes WHERE id = $1", id);
        return found.Count == 0 ? null : found[0];
    }

    public IReadOnlyList<EpisodeRecord> Recent(int limit) =>
        limit <= 0 ? [] : Read("read recent episodes", $"SELECT {EpisodeRows.Columns} FROM cortexbot.episodes ORDER BY id DESC LIMIT $1", (long)limit);

    public long Count()
    {
        ThrowIfDisposed();
        return Wrap("count episodes", () =>
        {
            using var cmd = _dataSource.CreateCommand("SELECT COUNT(*) FROM cortexbot.episodes");
            return (long)cmd.ExecuteScalar()!;
        });
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _dataSource.Dispose();
    }

    // ---------------------------------------------------------------- schema

    private void Initialise()
    {
        try
        {
            using var connection = _dataSource.OpenConnection();
            using var tx = connection.BeginTransaction();
            if (ReadOnly)
            {
                CheckReadOnly(connection, tx);
                return;
            }
            Exec(connection, tx, $"SELECT pg_advisory_xact_lock({MigrationLock})");
            bool schemaExists = (bool)Scalar(connection, tx, "SELECT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = 'cortexbot')")!;
            bool versionTable = (bool)Scalar(connection, tx,
                "SELECT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = 'cortexbot' AND table_name = 'schema_version')")!;
            if (schemaExists && !versionTable)
                throw new EpisodeStoreException(
                    $"{Location} has a schema 'cortexbot' that is not a CortexBot memory (no cortexbot.schema_version table). " +
                    "It was left untouched; use another database.");
            int from = 0;
            if (!schemaExists)
            {
                Exec(connection, tx, "CREATE SCHEMA cortexbot");
                Exec(connection, tx, "CREATE TABLE cortexbot.schema_version (version INTEGER NOT NULL)");
                Exec(connection, tx, "INSERT INTO cortexbot.schema_version VALUES (0)");
            }
            else
                from = Convert.ToInt32(Scalar(connection, tx, "SELECT version FROM cortexbot.schema_version"), CultureInfo.InvariantCulture);
            if (from > SchemaVersion)
                throw new EpisodeStoreException(
                    $"Memory store {Location} has schema version {from}, but this CortexBot only knows versions up to {SchemaVersion}; " +
                    "it was written by a newer CortexBot. Upgrade CortexBot or use another store. It was left untouched.");
            for (int v = from; v < SchemaVersion; v++)
            {
                Exec(connection, tx, Migrations[v]);
                Exec(connection, tx, $"UPDATE cortexbot.schema_version SET version = {v + 1}");
            }
            // Reads episodes through today's code, which expects today's columns: only once every step's DDL is in.
            if (from is > 0 and < FactsVersion)
            {
                LockFacts(connection, tx);
                RebuildFacts(connection, tx);
            }
            tx.Commit();
        }
        catch (EpisodeStoreException)
        {
            throw;
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or System.Net.Sockets.SocketException or TimeoutException)
        {
            throw new EpisodeStoreException($"Cannot open the memory store {Location}: {ex.Message}. Nothing was changed.", ex);
        }
    }

    /// <summary>Read-only opens create and migrate nothing: the schema must be ours and current.</summary>
    private void CheckReadOnly(NpgsqlConnection connection, NpgsqlTransaction tx)
    {
        bool versionTable = (bool)Scalar(connection, tx,
            "SELECT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = 'cortexbot' AND table_name = 'schema_version')")!;
        if (!versionTable)
            throw new EpisodeStoreException(
                $"No CortexBot memory in {Location} (no cortexbot.schema_version table; read-only mode does not create one).");
        int version = Convert.ToInt32(Scalar(connection, tx, "SELECT version FROM cortexbot.schema_version"), CultureInfo.InvariantCulture);
        if (version > SchemaVersion)
            throw new EpisodeStoreException(
                $"Memory store {Location} has schema version {version}, but this CortexBot only knows versions up to {SchemaVersion}; " +
                "it was written by a newer CortexBot. Upgrade CortexBot or use another store. It was left untouched.");
        if (version < SchemaVersion)
            throw new EpisodeStoreException(
                $"Memory store {Location} has schema version {version} and needs migrating to {SchemaVersion}; " +
                "open it once read-write. Read-only mode left it untouched.");
    }

    /// <summary>Reads the installed schema version (diagnostics and tests).</summary>
    public int InstalledSchemaVersion()
    {
        ThrowIfDisposed();
        using var cmd = _dataSource.CreateCommand("SELECT version FROM cortexbot.schema_version");
        return Convert.ToInt32(cmd.ExecuteScalar(), CultureInfo.InvariantCulture);
    }

    /// <summary>Runs a statement in one of the store's own sessions (tests: a read-only session must refuse writes).</summary>
    internal int ExecuteForTest(string sql)
    {
        ThrowIfDisposed();
        using var cmd = _dataSource.CreateCommand(sql);
        return cmd.ExecuteNonQuery();
    }

    // ---------------------------------------------------------------- reading

    private List<EpisodeRecord> Read(string what, string sql, params object[] args) => Read(what, sql, withTraces: false, args);

    /// <summary>As <see cref="Read(string, string, object[])"/>, with each episode's motion trace (for show, export, replay).</summary>
    private List<EpisodeRecord> ReadWithTraces(string what, string sql, params object[] args) => Read(what, sql, withTraces: true, args);

    private List<EpisodeRecord> Read(string what, string sql, bool withTraces, object[] args)
    {
        ThrowIfDisposed();
        return Wrap(what, () =>
        {
            using var connection = _dataSource.OpenConnection();
            // One snapshot for the rows and their steps: a concurrent append is seen whole or not at all.
            using var tx = connection.BeginTransaction(System.Data.IsolationLevel.RepeatableRead);
            var rows = ReadEpisodes(connection, tx, sql, withTraces, args);
            tx.Commit();
            return rows;
        });
    }

    /// <summary>The episodes <paramref name="sql"/> selects (<see cref="EpisodeColumns"/> first), with their steps.</summary>
    private List<EpisodeRecord> ReadEpisodes(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, bool withTraces, params object[] args)
    {
        List<EpisodeRecord> rows;
        using (var cmd = new NpgsqlCommand(sql, connection, tx))
        {
            foreach (var arg in args)
                cmd.Parameters.Add(new NpgsqlParameter { Value = arg });
            using var r = cmd.ExecuteReader();
            rows = EpisodeRows.ReadEpisodes(r);
        }
        if (rows.Count == 0)
            return rows;
        var steps = rows.ToDictionary(e => e.Id, _ => ImmutableArray.CreateBuilder<StepRecord>());
        using (var cmd = new NpgsqlCommand(
            $"SELECT episode_id, {EpisodeRows.StepColumns} FROM cortexbot.episode_steps WHERE episode_id = ANY($1) ORDER BY episode_id, ord",
            connection, tx))
        {
            cmd.Parameters.Add(new NpgsqlParameter { Value = steps.Keys.ToArray() });
            using var r = cmd.ExecuteReader();
            while (r.Read())
                steps[r.GetInt64(0)].Add(EpisodeRows.ReadStep(r, 1, r.GetInt64(0), Location));
        }
        var traces = new Dictionary<long, EpisodeTrace?>();
        if (withTraces)
        {
            using var cmd = new NpgsqlCommand("SELECT episode_id, trace FROM cortexbot.episode_traces WHERE episode_id = ANY($1)", connection, tx);
            cmd.Parameters.Add(new NpgsqlParameter { Value = steps.Keys.ToArray() });
            using var r = cmd.ExecuteReader();
            while (r.Read())
                traces[r.GetInt64(0)] = EpisodeDetails.ParseTrace((byte[])r.GetValue(1), r.GetInt64(0), Location);
        }
        return rows.Select(e => e with { Steps = steps[e.Id].ToImmutable(), Trace = traces.GetValueOrDefault(e.Id) }).ToList();
    }

    // ---------------------------------------------------------------- helpers

    private T Wrap<T>(string what, Func<T> body)
    {
        try
        {
            return body();
        }
        catch (Exception ex) when (ex is NpgsqlException or InvalidOperationException or FormatException or JsonException or InvalidCastException)
        {
            throw new EpisodeStoreException($"Cannot {what} from {Location}: {ex.Message}", ex);
        }
    }

    /// <summary>Accepts <c>postgres://user:password@host:port/database?k=v</c> as well as Npgsql keywords.</summary>
    public static string ToKeywords(string connection)
    {
        if (!connection.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) &&
            !connection.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
            return connection;
        if (!Uri.TryCreate(connection, UriKind.Absolute, out var uri))
            throw new ArgumentException($"'{connection}' is not a valid postgres:// URL");
        var b = new NpgsqlConnectionStringBuilder { Host = uri.Host, Port = uri.IsDefaultPort || uri.Port <= 0 ? 5432 : uri.Port };
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0)
            b.Database = database;
        if (uri.UserInfo.Length > 0)
        {
            var parts = uri.UserInfo.Split(':', 2);
            b.Username = Uri.UnescapeDataString(parts[0]);
            if (parts.Length == 2)
                b.Password = Uri.UnescapeDataString(parts[1]);
        }
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var kv = pair.Split('=', 2);
            b[Uri.UnescapeDataString(kv[0])] = kv.Length == 2 ? Uri.UnescapeDataString(kv[1]) : "";
        }
        return b.ConnectionString;
    }

    private static void Exec(NpgsqlConnection c, NpgsqlTransaction tx, string sql)
    {
        using var cmd = new NpgsqlCommand(sql, c, tx);
        cmd.ExecuteNonQuery();
    }

    private static object? Scalar(NpgsqlConnection c, NpgsqlTransaction tx, string sql)
    {
        using var cmd = new NpgsqlCommand(sql, c, tx);
        return cmd.ExecuteScalar();
    }

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
