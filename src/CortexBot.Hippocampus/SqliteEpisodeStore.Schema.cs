using System.Globalization;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace CortexBot.Hippocampus;

// Opening a file, checking that it is ours, and the forward-only schema migrations.
public sealed partial class SqliteEpisodeStore
{
    /// <summary>The schema version this code writes, kept in <c>PRAGMA user_version</c>.</summary>
    public const int SchemaVersion = 9;

    /// <summary><c>PRAGMA application_id</c> of a CortexBot memory store: ASCII "CBMS".</summary>
    public const int ApplicationId = 0x43424D53;

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
        // 5 -> 6: the task's goal (its relations as text) and the relations unmet at the end, one JSON object, NULL when
        // the instruction asked for none; episodes stored before keep NULL.
        new("""
        ALTER TABLE episodes ADD COLUMN goal_json TEXT;
        """),
        // 6 -> 7: an episode whose brain vanished mid-way (the robot node held the arm and told the next brain) is
        // stored as interrupted, neither a success nor a failure of its plan; episodes stored before were not.
        new("""
        ALTER TABLE episodes ADD COLUMN interrupted INTEGER NOT NULL DEFAULT 0 CHECK (interrupted IN (0, 1));
        """),
        // 7 -> 8: the execution tree (task, subgoals, skills with status and robot times) as JSON, NULL when no plan was
        // made; episodes stored before keep NULL.
        new("""
        ALTER TABLE episodes ADD COLUMN tree_json TEXT;
        """),
        // 8 -> 9: safety reviews remembered as facts, one per flagged case (keyed by the stable hash of policy version,
        // flags, instruction and plan facts), with the task that asked; stores before had none.
        new("""
        CREATE TABLE safety_verdicts (
            case_key        TEXT    PRIMARY KEY,
            policy_version  TEXT    NOT NULL,
            flags_json      TEXT    NOT NULL,
            case_text       TEXT    NOT NULL,
            verdict         TEXT    NOT NULL CHECK (verdict IN ('allow', 'modify', 'refuse')),
            reason          TEXT    NOT NULL,
            max_tool_speed  REAL,
            reviewer        TEXT    NOT NULL,
            review_ms       REAL    NOT NULL,
            task_id         TEXT    NOT NULL,
            decided_unix_ms INTEGER NOT NULL
        );
        CREATE INDEX safety_verdicts_by_task ON safety_verdicts(task_id);
        """),
    ];

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
        _facts.BeginBatch();
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
                    _facts.Fold(e.Id, e, tx);
                    n++;
                }
            }
            ok = true;
        }
        finally
        {
            _facts.EndBatch(tx, write: ok);
        }
        if (n > 0)
            _logger.LogInformation("Backfilled {Count} episodes of {Path} for schema version 2", n, Location);
    }

    private sealed record Migration(string Sql, Action<SqliteEpisodeStore, SqliteTransaction>? Backfill = null);
}
