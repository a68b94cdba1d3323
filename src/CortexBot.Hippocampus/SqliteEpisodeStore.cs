using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
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
/// </remarks>
public sealed partial class SqliteEpisodeStore : IEpisodeMemory
{
    /// <summary>The schema version this code writes, kept in <c>PRAGMA user_version</c>.</summary>
    public const int SchemaVersion = 5;

    /// <summary><c>PRAGMA application_id</c> of a CortexBot memory store: ASCII "CBMS".</summary>
    public const int ApplicationId = 0x43424D53;

    /// <summary>How long a call waits for another process's lock before giving up.</summary>
    public static readonly TimeSpan DefaultBusyTimeout = TimeSpan.FromSeconds(5);

    private static readonly byte[] SqliteHeader = "SQLite format 3\0"u8.ToArray();

    /// <summary>
    /// Forward-only migrations; entry <c>i</c> takes the schema from version <c>i</c> to <c>i + 1</c>.
    /// Append new versions at the end, never edit a shipped one.
    /// </summary>
    private static readonly Migration[] Migrations =
    [
        // 0 -> 1: the walking skeleton's episodes and their steps.
        new($"""
        PRAGMA application_id = {ApplicationId};
        CREATE TABLE episodes (
            id                 INTEGER PRIMARY KEY,
            task_id            TEXT    NOT NULL UNIQUE,
            instruction        TEXT    NOT NULL,
            seed               INTEGER NOT NULL,
            started_at         TEXT    NOT NULL,
            duration_s         REAL,
            success            INTEGER NOT NULL CHECK (success IN (0, 1)),
            failure_reason     TEXT,
            planner            TEXT    NOT NULL,
            plan_json          TEXT    NOT NULL,
            anomalies_json     TEXT    NOT NULL,
            plan_latency_ms    REAL,
            controller_version TEXT    NOT NULL
        );
        CREATE TABLE episode_steps (
            episode_id   INTEGER NOT NULL REFERENCES episodes(id) ON DELETE CASCADE,
            idx          INTEGER NOT NULL,
            skill        TEXT    NOT NULL,
            outcome      TEXT    NOT NULL,
            detail       TEXT,
            started_at_s REAL,
            duration_s   REAL
        );
        CREATE INDEX episode_steps_by_episode ON episode_steps(episode_id);
        """),
        // 1 -> 2: what recall and consolidation need. Filterable start time and objects, the store time, one
        // embedding per episode (float32 little-endian blob, tagged with the embedder's model), and the semantic tier.
        // The backfill fills them for episodes stored by version 1, inside the same transaction.
        new("""
        ALTER TABLE episodes ADD COLUMN started_unix_ms INTEGER;
        ALTER TABLE episodes ADD COLUMN objects TEXT NOT NULL DEFAULT '';
        ALTER TABLE episodes ADD COLUMN stored_at TEXT;
        CREATE INDEX episodes_by_started ON episodes(started_unix_ms);
        CREATE TABLE episode_embeddings (
            episode_id INTEGER PRIMARY KEY REFERENCES episodes(id) ON DELETE CASCADE,
            model      TEXT    NOT NULL,
            dim        INTEGER NOT NULL CHECK (dim > 0),
            vector     BLOB    NOT NULL CHECK (length(vector) = 4 * dim)
        );
        CREATE TABLE semantic_facts (
            object               TEXT    NOT NULL,
            skill                TEXT    NOT NULL,
            successes            INTEGER NOT NULL,
            failures             INTEGER NOT NULL,
            aborts               INTEGER NOT NULL,
            first_seen_unix_ms   INTEGER NOT NULL,
            last_seen_unix_ms    INTEGER NOT NULL,
            last_success_unix_ms INTEGER,
            last_failure_unix_ms INTEGER,
            failure_reasons_json TEXT    NOT NULL,
            last_episode_id      INTEGER NOT NULL,
            PRIMARY KEY (object, skill)
        );
        """, static (store, tx) => store.BackfillVersion2(tx)),
        // 2 -> 3: the richer record. Per step the skill parameters it ran with; per episode the scene at start and end,
        // anomalies with their evidence and the learned policy's identity (JSON, NULL when not recorded), and the
        // compact joint trace that `memory replay` compares against (one self-describing blob, see EpisodeTrace).
        // Episodes stored before keep NULL in all of them.
        new("""
        ALTER TABLE episode_steps ADD COLUMN parameters TEXT;
        ALTER TABLE episodes ADD COLUMN scene_start_json TEXT;
        ALTER TABLE episodes ADD COLUMN scene_end_json TEXT;
        ALTER TABLE episodes ADD COLUMN anomaly_events_json TEXT;
        ALTER TABLE episodes ADD COLUMN policy_name TEXT;
        ALTER TABLE episodes ADD COLUMN policy_id TEXT;
        CREATE TABLE episode_traces (
            episode_id INTEGER PRIMARY KEY REFERENCES episodes(id) ON DELETE CASCADE,
            trace      BLOB    NOT NULL
        );
        """),
        // 3 -> 4: facts per skill tuning (a grip that carried an object and one that let it slip are different
        // knowledge), recomputed from the stored episodes.
        new("""
        DROP TABLE semantic_facts;
        CREATE TABLE semantic_facts (
            object               TEXT    NOT NULL,
            skill                TEXT    NOT NULL,
            successes            INTEGER NOT NULL,
            failures             INTEGER NOT NULL,
            aborts               INTEGER NOT NULL,
            first_seen_unix_ms   INTEGER NOT NULL,
            last_seen_unix_ms    INTEGER NOT NULL,
            last_success_unix_ms INTEGER,
            last_failure_unix_ms INTEGER,
            failure_reasons_json TEXT    NOT NULL,
            last_episode_id      INTEGER NOT NULL,
            tuning               TEXT    NOT NULL DEFAULT '',
            PRIMARY KEY (object, skill, tuning)
        );
        """, static (store, tx) => store.RebuildFacts(tx)),
        // 4 -> 5: the object physics the simulator ran with where a perturbation changed them (JSON, NULL when none or
        // not recorded), so a reader knows the cube was slippery and replay can make it so again.
        new("""
        ALTER TABLE episodes ADD COLUMN perturbations_json TEXT;
        """),
    ];

    private const string EpisodeColumns =
        "id, task_id, instruction, seed, started_at, duration_s, success, failure_reason, planner, plan_json, " +
        "anomalies_json, plan_latency_ms, controller_version, scene_start_json, scene_end_json, anomaly_events_json, policy_name, policy_id, " +
        "perturbations_json";

    private readonly object _gate = new();
    private readonly SqliteConnection _connection;
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
                "scene_start_json, scene_end_json, anomaly_events_json, policy_name, policy_id, perturbations_json) VALUES " +
                "($task_id, $instruction, $seed, $started_at, $duration_s, $success, $failure_reason, " +
                "$planner, $plan_json, $anomalies_json, $plan_latency_ms, $controller_version, $started_unix_ms, $objects, $stored_at, " +
                "$scene_start, $scene_end, $anomaly_events, $policy_name, $policy_id, $perturbations) RETURNING id";
            insert.Parameters.AddWithValue("$task_id", episode.TaskId.ToString("D"));
            insert.Parameters.AddWithValue("$instruction", Db(episode.Instruction));
            insert.Parameters.AddWithValue("$seed", episode.Seed);
            insert.Parameters.AddWithValue("$started_at", episode.StartedAt.ToString("O", CultureInfo.InvariantCulture));
            insert.Parameters.AddWithValue("$duration_s", Db(episode.DurationS));
            insert.Parameters.AddWithValue("$success", episode.Success ? 1 : 0);
            insert.Parameters.AddWithValue("$failure_reason", Db(episode.FailureReason));
            insert.Parameters.AddWithValue("$planner", Db(episode.Planner));
            insert.Parameters.AddWithValue("$plan_json", ToJson(episode.Plan));
            insert.Parameters.AddWithValue("$anomalies_json", ToJson(episode.Anomalies));
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
        UpdateFacts(id, episode, tx);
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
                cmd.CommandText = $"SELECT {EpisodeColumns} FROM episodes WHERE id = $id";
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
                cmd.CommandText = $"SELECT {EpisodeColumns} FROM episodes ORDER BY id DESC LIMIT $limit";
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

    // ---------------------------------------------------------------- opening

    private void CheckFileBeforeOpening()
    {
        if (Directory.Exists(Location))
            throw new EpisodeStoreException($"Memory store path {Location} is a directory, not a CortexBot memory store file.");

        if (!File.Exists(Location))
        {
            if (ReadOnly)
                throw new EpisodeStoreException(
                    $"No CortexBot memory store at {Location} (read-only mode does not create one).");
            var dir = Path.GetDirectoryName(Location);
            try
            {
                if (!string.IsNullOrEmpty(dir))
                    Directory.CreateDirectory(dir);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new EpisodeStoreException($"Cannot create the folder {dir} for the memory store: {ex.Message}", ex);
            }
            return;
        }

        // Look at the header ourselves before SQLite touches the file: a file that is not a SQLite database is
        // never handed to SQLite in read-write mode. An empty file is an empty database to SQLite; that is fine.
        byte[] head = new byte[SqliteHeader.Length];
        int read;
        try
        {
            using var f = new FileStream(Location, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            read = f.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new EpisodeStoreException($"Cannot read the memory store {Location}: {ex.Message}. It was left untouched.", ex);
        }
        if (read > 0 && (read < head.Length || !head.AsSpan().SequenceEqual(SqliteHeader)))
            throw NotOurs("it is not a SQLite database");
    }

    private SqliteConnection Connect(TimeSpan busyTimeout)
    {
        var cs = new SqliteConnectionStringBuilder
        {
            DataSource = Location,
            Mode = ReadOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = false, // Dispose really closes the file (checkpoints the WAL, releases locks)
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(busyTimeout.TotalSeconds)),
        }.ToString();
        var connection = new SqliteConnection(cs);
        try
        {
            connection.Open();
            Exec(connection, $"PRAGMA busy_timeout = {(long)busyTimeout.TotalMilliseconds}");
            if (ReadOnly)
                Exec(connection, "PRAGMA query_only = ON");
            return connection;
        }
        catch (SqliteException ex)
        {
            connection.Dispose();
            throw new EpisodeStoreException(
                $"Cannot open the memory store {Location}: {ex.Message}. It was left untouched.", ex);
        }
    }

    private void Initialise()
    {
        var (appId, version, tables) = Inspect();

        // Refuse anything that is not (or not yet) ours before writing a single byte.
        if (appId != 0 && appId != ApplicationId)
            throw NotOurs($"it is a SQLite database of another application (application_id 0x{appId:X8})");
        bool looksOurs = appId == ApplicationId || tables.Contains("episodes");
        if (version > SchemaVersion && looksOurs)
            throw new EpisodeStoreException(
                $"Memory store {Location} has schema version {version}, but this CortexBot only knows versions up to " +
                $"{SchemaVersion}; it was written by a newer CortexBot. Upgrade CortexBot or use another store. " +
                "The file was left untouched.");
        bool fresh = version == 0 && tables.Count == 0;
        if (!fresh && !(looksOurs && version >= 1 && tables.Contains("episodes") && tables.Contains("episode_steps")))
            throw NotOurs(tables.Count == 0
                ? $"it is a SQLite database with user_version {version} but no tables"
                : $"it is a SQLite database with other tables ({string.Join(", ", tables.Order(StringComparer.Ordinal).Take(8))})");

        if (ReadOnly)
        {
            if (fresh)
                throw new EpisodeStoreException(
                    $"Memory store {Location} is empty (never initialised); read-only mode does not create one.");
            if (version < SchemaVersion)
                throw new EpisodeStoreException(
                    $"Memory store {Location} has schema version {version} and needs migrating to {SchemaVersion}; " +
                    "open it once read-write. Read-only mode left it untouched.");
            return;
        }

        var mode = Scalar("PRAGMA journal_mode = WAL");
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            throw new EpisodeStoreException(
                $"Memory store {Location} cannot use write-ahead logging (journal mode stays '{mode}'); " +
                "is it on a network or read-only file system?");
        Exec(_connection, "PRAGMA synchronous = FULL");
        Exec(_connection, "PRAGMA foreign_keys = ON");
        Migrate();
    }

    private (int AppId, int Version, HashSet<string> Tables) Inspect()
    {
        try
        {
            int appId = Convert.ToInt32(Scalar("PRAGMA application_id"), CultureInfo.InvariantCulture);
            int version = Convert.ToInt32(Scalar("PRAGMA user_version"), CultureInfo.InvariantCulture);
            var tables = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
            using var cmd = _connection.CreateCommand();
            cmd.CommandText = "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name NOT LIKE 'sqlite_%'";
            using var r = cmd.ExecuteReader();
            while (r.Read())
                tables.Add(r.GetString(0));
            return (appId, version, tables);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode is 26 /* NOTADB */ or 11 /* CORRUPT */)
        {
            throw NotOurs($"SQLite cannot read it ({ex.Message})", ex);
        }
        catch (SqliteException ex)
        {
            throw new EpisodeStoreException(
                $"Cannot read the memory store {Location}: {ex.Message}. It was left untouched.", ex);
        }
    }

    private void Migrate()
    {
        using var tx = _connection.BeginTransaction(); // BEGIN IMMEDIATE: one process migrates at a time
        try
        {
            // Re-read under the write lock: another process may have migrated since we looked.
            int from = Convert.ToInt32(Scalar("PRAGMA user_version", tx), CultureInfo.InvariantCulture);
            if (from > SchemaVersion)
                throw new EpisodeStoreException(
                    $"Memory store {Location} has schema version {from}, but this CortexBot only knows versions up to " +
                    $"{SchemaVersion}. The file was left untouched.");
            for (int v = from; v < SchemaVersion; v++)
            {
                using var cmd = _connection.CreateCommand();
                cmd.Transaction = tx;
                cmd.CommandText = Migrations[v].Sql + $"\nPRAGMA user_version = {v + 1};";
                cmd.ExecuteNonQuery();
            }
            // Backfills read episodes through today's code, which expects today's columns: run them once every
            // step's DDL is in (same transaction, so a failing backfill still rolls the whole migration back).
            for (int v = from; v < SchemaVersion; v++)
                Migrations[v].Backfill?.Invoke(this, tx);
            tx.Commit();
            if (from == 0)
                _logger.LogInformation("Created memory store {Path} (schema version {Version})", Location, SchemaVersion);
            else if (from < SchemaVersion)
                _logger.LogInformation("Migrated memory store {Path} from schema version {From} to {To}", Location, from, SchemaVersion);
        }
        catch (Exception ex)
        {
            TryRollback(tx);
            if (ex is EpisodeStoreException)
                throw;
            throw new EpisodeStoreException(
                $"Cannot prepare the memory store {Location}: {ex.Message}. The migration was rolled back.", ex);
        }
    }

    // ---------------------------------------------------------------- reading

    private List<EpisodeRecord> ReadEpisodes(SqliteCommand cmd, SqliteTransaction? tx = null, bool withTraces = false)
    {
        var rows = new List<EpisodeRecord>();
        using (var r = cmd.ExecuteReader())
        {
            while (r.Read())
            {
                rows.Add(new EpisodeRecord(
                    TaskId: Guid.Parse(r.GetString(1)),
                    Instruction: r.GetString(2),
                    Seed: r.GetInt32(3),
                    StartedAt: DateTimeOffset.ParseExact(r.GetString(4), "O", CultureInfo.InvariantCulture),
                    DurationS: Real(r, 5),
                    Success: r.GetInt64(6) != 0,
                    FailureReason: r.IsDBNull(7) ? null : r.GetString(7),
                    Planner: r.GetString(8),
                    Plan: FromJson(r.GetString(9)),
                    Steps: [],
                    Anomalies: FromJson(r.GetString(10)),
                    PlanLatencyMs: Real(r, 11),
                    ControllerVersion: r.GetString(12))
                {
                    Id = r.GetInt64(0),
                    SceneAtStart = EpisodeDetails.ParseScene(Text(r, 13)),
                    SceneAtEnd = EpisodeDetails.ParseScene(Text(r, 14)),
                    AnomalyEvents = EpisodeDetails.ParseAnomalies(Text(r, 15)),
                    Policy = EpisodeDetails.Policy(Text(r, 16), Text(r, 17)),
                    Perturbations = EpisodeDetails.ParsePerturbations(Text(r, 18)),
                });
            }
        }

        if (rows.Count == 0)
            return rows;

        using var steps = _connection.CreateCommand();
        steps.Transaction = tx;
        steps.CommandText =
            "SELECT idx, skill, outcome, detail, started_at_s, duration_s, parameters FROM episode_steps " +
            "WHERE episode_id = $id ORDER BY rowid";
        var pId = steps.Parameters.Add("$id", SqliteType.Integer);
        for (int i = 0; i < rows.Count; i++)
        {
            pId.Value = rows[i].Id;
            var list = ImmutableArray.CreateBuilder<StepRecord>();
            using var r = steps.ExecuteReader();
            while (r.Read())
            {
                var outcomeText = r.GetString(2);
                if (!Enum.TryParse<SkillOutcome>(outcomeText, ignoreCase: false, out var outcome))
                    throw new EpisodeStoreException(
                        $"Episode {rows[i].Id} in {Location} has a step with unknown outcome '{outcomeText}'.");
                list.Add(new StepRecord(r.GetInt32(0), r.GetString(1), outcome, r.IsDBNull(3) ? null : r.GetString(3), Real(r, 4), Real(r, 5),
                    r.IsDBNull(6) ? null : r.GetString(6)));
            }
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

    private sealed record Migration(string Sql, Action<SqliteEpisodeStore, SqliteTransaction>? Backfill = null);

    private static object Db(string? s) => (object?)s ?? DBNull.Value;

    /// <summary>SQLite stores NaN as NULL; NULL reads back as NaN so odd values still round-trip.</summary>
    private static object Db(double d) => double.IsNaN(d) ? DBNull.Value : d;

    private static string? Text(SqliteDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : r.GetString(ordinal);

    private static double Real(SqliteDataReader r, int ordinal) => r.IsDBNull(ordinal) ? double.NaN : r.GetDouble(ordinal);

    private static string ToJson(ImmutableArray<string> items) =>
        JsonSerializer.Serialize(items.IsDefault ? [] : items.ToArray());

    private static ImmutableArray<string> FromJson(string json) =>
        [.. JsonSerializer.Deserialize<string[]>(json) ?? []];
}
