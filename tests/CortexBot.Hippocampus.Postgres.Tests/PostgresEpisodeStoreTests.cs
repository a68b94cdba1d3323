using Akka.TestKit.Xunit2;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using CortexBot.Hippocampus.Tests;
using Npgsql;

namespace CortexBot.Hippocampus.Postgres.Tests;

/// <summary>The shared episode-store contract, against a real PostgreSQL server started for the run.</summary>
[Collection("postgres")]
public sealed class PostgresEpisodeStoreContractTests(PostgresServer server) : EpisodeStoreContract
{
    private readonly string _database = server.CreateDatabase();

    protected override IEpisodeStore Open() => new PostgresEpisodeStore(_database);
}

[Collection("postgres")]
public sealed class PostgresEpisodeStoreTests(PostgresServer server)
{
    private void Exec(string connectionString, string sql)
    {
        using var c = new NpgsqlConnection(connectionString);
        c.Open();
        using var cmd = new NpgsqlCommand(sql, c);
        cmd.ExecuteNonQuery();
    }

    [Fact]
    public void Creates_the_schema_at_the_current_version_and_accepts_a_postgres_url()
    {
        var db = server.CreateDatabase();
        var name = new NpgsqlConnectionStringBuilder(db).Database;
        using var store = new PostgresEpisodeStore($"postgres://postgres@127.0.0.1:{server.Port}/{name}");

        Assert.Equal(PostgresEpisodeStore.SchemaVersion, store.InstalledSchemaVersion());
        Assert.Equal($"postgres://postgres@127.0.0.1:{server.Port}/{name}", store.Location);
        long id = store.Append(Samples.Episode());
        Assert.Equal(1, id);
    }

    [Fact]
    public void The_url_form_keeps_user_password_database_and_options()
    {
        var b = new NpgsqlConnectionStringBuilder(PostgresEpisodeStore.ToKeywords("postgres://robot:s%40cret@db.example:6543/fleet?Timeout=3"));
        Assert.Equal(("robot", "s@cret", "db.example", 6543, "fleet", 3), (b.Username, b.Password, b.Host, b.Port, b.Database, b.Timeout));
        Assert.Equal("Host=x", PostgresEpisodeStore.ToKeywords("Host=x"));
    }

    [Fact]
    public void A_newer_schema_version_is_refused_and_left_untouched()
    {
        var db = server.CreateDatabase();
        using (var store = new PostgresEpisodeStore(db))
            store.Append(Samples.Episode());
        Exec(db, "UPDATE cortexbot.schema_version SET version = 42");

        var ex = Assert.Throws<EpisodeStoreException>(() => new PostgresEpisodeStore(db));

        Assert.Contains("schema version 42", ex.Message);
        Assert.Contains($"up to {PostgresEpisodeStore.SchemaVersion}", ex.Message);
        using var c = new NpgsqlConnection(db);
        c.Open();
        using var cmd = new NpgsqlCommand("SELECT COUNT(*) FROM cortexbot.episodes", c);
        Assert.Equal(1L, cmd.ExecuteScalar());
    }

    [Fact]
    public void A_foreign_cortexbot_schema_is_refused_and_left_untouched()
    {
        var db = server.CreateDatabase();
        Exec(db, "CREATE SCHEMA cortexbot; CREATE TABLE cortexbot.customers (id int); INSERT INTO cortexbot.customers VALUES (7)");

        var ex = Assert.Throws<EpisodeStoreException>(() => new PostgresEpisodeStore(db));

        Assert.Contains("not a CortexBot memory", ex.Message);
        using var c = new NpgsqlConnection(db);
        c.Open();
        using var cmd = new NpgsqlCommand("SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'cortexbot'", c);
        Assert.Equal(1L, cmd.ExecuteScalar());
    }

    [Fact]
    public void Robots_starting_at_once_migrate_once_and_share_one_memory()
    {
        var db = server.CreateDatabase();
        var stores = new PostgresEpisodeStore[4];
        Parallel.For(0, stores.Length, i => stores[i] = new PostgresEpisodeStore(db));
        try
        {
            Parallel.For(0, stores.Length, i =>
            {
                for (int n = 0; n < 5; n++)
                    stores[i].Append(Samples.Episode($"robot {i} episode {n}"));
            });
            Assert.All(stores, s => Assert.Equal(20, s.Count()));
            Assert.Equal(PostgresEpisodeStore.SchemaVersion, stores[0].InstalledSchemaVersion());
        }
        finally
        {
            foreach (var s in stores)
                s?.Dispose();
        }
    }

    [Fact]
    public void A_version_1_memory_migrates_forward_and_old_steps_have_default_parameters()
    {
        var db = server.CreateDatabase();
        var task = Guid.NewGuid();
        Exec(db, "CREATE SCHEMA cortexbot; CREATE TABLE cortexbot.schema_version (version INTEGER NOT NULL); " +
                 "INSERT INTO cortexbot.schema_version VALUES (1);" + V1Tables);
        Exec(db, "INSERT INTO cortexbot.episodes (task_id, instruction, seed, started_at, started_unix_ms, duration_s, success, planner, " +
                 "plan_json, anomalies_json, plan_latency_ms, controller_version, objects) VALUES " +
                 $"('{task:D}', 'put the red cube in the bin', 3, '2026-01-01T10:00:00.0000000+01:00', 1767258000000, 12.5, true, 'rule', " +
                 "'[\"pick(red_cube)\"]', '[]', 1.5, '0.1.0', ' red_cube ');" +
                 "INSERT INTO cortexbot.episode_steps VALUES (1, 0, 0, 'pick(red_cube)', 'Succeeded', NULL, 0, 2);");

        using var store = new PostgresEpisodeStore(db);

        Assert.Equal(PostgresEpisodeStore.SchemaVersion, store.InstalledSchemaVersion());
        var old = store.Get(1)!;
        Assert.Equal(task, old.TaskId);
        Assert.Null(Assert.Single(old.Steps).Parameters);
        var fact = Assert.Single(store.Facts("red_cube")); // the semantic tier was filled from the old episode
        Assert.Equal(("pick", 1, ""), (fact.Skill, fact.Successes, fact.Tuning));
        var tuned = Samples.Episode(steps: 2);
        long id = store.Append(tuned with { Steps = tuned.Steps.SetItem(1, tuned.Steps[1] with { Parameters = "hold_speed=0.5" }) });
        var back = store.Get(id)!;
        Assert.Equal([null, "hold_speed=0.5"], back.Steps.Select(s => s.Parameters));
    }

    [Fact]
    public void A_version_3_memory_migrates_to_4_keeping_its_episodes_and_then_stores_perturbations()
    {
        var db = server.CreateDatabase();
        var rich = Samples.Rich();
        using (var store = new PostgresEpisodeStore(db))
            store.Append(rich);
        // Version 3 is version 4 without the perturbations column.
        Exec(db, "DROP TABLE cortexbot.safety_verdicts; ALTER TABLE cortexbot.episodes DROP COLUMN interrupted; ALTER TABLE cortexbot.episodes DROP COLUMN tree_json; ALTER TABLE cortexbot.episodes DROP COLUMN goal_json; ALTER TABLE cortexbot.episodes DROP COLUMN perturbations_json; UPDATE cortexbot.schema_version SET version = 3");

        var ro = Assert.Throws<EpisodeStoreException>(() => new PostgresEpisodeStore(db, readOnly: true));
        Assert.Contains("schema version 3", ro.Message);

        using (var store = new PostgresEpisodeStore(db))
        {
            Assert.Equal(PostgresEpisodeStore.SchemaVersion, store.InstalledSchemaVersion());
            var old = store.Get(1)!;
            Samples.AssertSame(rich with { Perturbations = [], Goal = [], Unmet = [], Tree = null }, old);
            long id = store.Append(Samples.Rich(seed: 12));
            Assert.Equal(rich.Perturbations.AsEnumerable(), store.Get(id)!.Perturbations.AsEnumerable());
        }
        Exec(db, "UPDATE cortexbot.episodes SET perturbations_json = '[{\"object\":\"red_cube\",\"mass\":0.2,\"friction\":-1}]' WHERE id = 2");
        using var reader = new PostgresEpisodeStore(db, readOnly: true);
        var ex = Assert.Throws<EpisodeStoreException>(() => reader.Get(2));
        Assert.Contains("red_cube has friction -1", ex.Message);
    }

    [Fact]
    public void A_version_4_memory_migrates_to_5_keeping_its_episodes_and_then_stores_goals()
    {
        var db = server.CreateDatabase();
        var rich = Samples.Rich();
        using (var store = new PostgresEpisodeStore(db))
            store.Append(rich);
        // Version 4 is version 5 without the goal column (and the later interrupted and tree columns).
        Exec(db, "DROP TABLE cortexbot.safety_verdicts; ALTER TABLE cortexbot.episodes DROP COLUMN interrupted; ALTER TABLE cortexbot.episodes DROP COLUMN tree_json; ALTER TABLE cortexbot.episodes DROP COLUMN goal_json; UPDATE cortexbot.schema_version SET version = 4");

        using var migrated = new PostgresEpisodeStore(db);
        Assert.Equal(PostgresEpisodeStore.SchemaVersion, migrated.InstalledSchemaVersion());
        Samples.AssertSame(rich with { Goal = [], Unmet = [], Tree = null }, migrated.Get(1)!);
        long id = migrated.Append(Samples.Rich(seed: 12));
        Assert.Equal(rich.Goal.AsEnumerable(), migrated.Get(id)!.Goal.AsEnumerable());
        Assert.Equal(rich.Unmet.AsEnumerable(), migrated.Get(id)!.Unmet.AsEnumerable());
    }

    [Fact]
    public void A_version_5_memory_migrates_to_6_its_episodes_not_interrupted_and_then_stores_an_interrupted_one()
    {
        var db = server.CreateDatabase();
        using (var store = new PostgresEpisodeStore(db))
            store.Append(Samples.Rich());
        Exec(db, "DROP TABLE cortexbot.safety_verdicts; ALTER TABLE cortexbot.episodes DROP COLUMN interrupted; ALTER TABLE cortexbot.episodes DROP COLUMN tree_json; UPDATE cortexbot.schema_version SET version = 5");

        using var migrated = new PostgresEpisodeStore(db);
        Assert.Equal(PostgresEpisodeStore.SchemaVersion, migrated.InstalledSchemaVersion());
        Assert.False(migrated.Get(1)!.Interrupted);
        long id = migrated.Append(Samples.Episode(seed: 3) with { Success = false, FailureReason = "interrupted at step 1: the brain vanished", Interrupted = true });
        Assert.True(migrated.Get(id)!.Interrupted);
        Assert.True(migrated.Recent(5).Single(e => e.Id == id).Interrupted);
    }

    [Fact]
    public void A_version_7_memory_migrates_to_8_keeping_its_episodes_and_then_remembers_safety_reviews()
    {
        var db = server.CreateDatabase();
        var rich = Samples.Rich();
        using (var store = new PostgresEpisodeStore(db))
            store.Append(rich);
        // Version 7 is version 8 without the safety reviews.
        Exec(db, "DROP TABLE cortexbot.safety_verdicts; UPDATE cortexbot.schema_version SET version = 7");
        var ro = Assert.Throws<EpisodeStoreException>(() => new PostgresEpisodeStore(db, readOnly: true));
        Assert.Contains("schema version 7", ro.Message);

        using var migrated = new PostgresEpisodeStore(db);
        Assert.Equal(8, migrated.InstalledSchemaVersion());
        Samples.AssertSame(rich, migrated.Get(1)!);
        Assert.Empty(migrated.SafetyFacts());
        var fact = EpisodeStoreContract.SafetyFact("case-a", rich.TaskId);
        migrated.RememberSafetyFact(fact);
        Assert.Equal(fact, migrated.SafetyFacts(rich.TaskId).Single());
        Assert.ThrowsAny<PostgresException>(() => Exec(db, "UPDATE cortexbot.safety_verdicts SET verdict = 'maybe'"));
    }

    [Fact]
    public void A_version_6_memory_migrates_to_7_keeping_its_episodes_and_then_stores_execution_trees()
    {
        var db = server.CreateDatabase();
        var rich = Samples.Rich();
        using (var store = new PostgresEpisodeStore(db))
            store.Append(rich);
        // Version 6 is version 7 without the tree column.
        Exec(db, "DROP TABLE cortexbot.safety_verdicts; ALTER TABLE cortexbot.episodes DROP COLUMN tree_json; UPDATE cortexbot.schema_version SET version = 6");

        using var migrated = new PostgresEpisodeStore(db);
        Assert.Equal(PostgresEpisodeStore.SchemaVersion, migrated.InstalledSchemaVersion());
        Samples.AssertSame(rich with { Tree = null }, migrated.Get(1)!);
        long id = migrated.Append(Samples.Rich(seed: 12));
        Assert.Equal(rich.Tree, migrated.Get(id)!.Tree);
        Assert.Equal(["pick(green_cube)", "stack(green_cube, blue_cube)"], migrated.Get(id)!.Tree!.Subgoals[1].Skills.Select(k => k.Skill));
        Assert.Null(migrated.Get(migrated.Append(Samples.Episode("go home", 13)))!.Tree);
    }

    /// <summary>The tables of schema version 1 exactly as shipped.</summary>
    private const string V1Tables = """
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
        """;

    [Fact]
    public void An_unreachable_server_is_reported_clearly()
    {
        var ex = Assert.Throws<EpisodeStoreException>(() =>
            new PostgresEpisodeStore("Host=127.0.0.1;Port=1;Username=postgres;Database=none;Timeout=2"));
        Assert.Contains("Cannot open the memory store postgres://postgres@127.0.0.1:1/none", ex.Message);
    }

    [Fact]
    public void Every_episode_gets_an_embedding_in_the_same_transaction()
    {
        var db = server.CreateDatabase();
        using var store = new PostgresEpisodeStore(db);
        store.Append(Samples.Episode());
        var good = Samples.Episode(steps: 3);
        Assert.Throws<EpisodeStoreException>(() => store.Append(good with { Steps = good.Steps.SetItem(1, good.Steps[1] with { Skill = null! }) }));

        using var c = new NpgsqlConnection(db);
        c.Open();
        using var cmd = new NpgsqlCommand("SELECT COUNT(*), MIN(model), MIN(length(vector)) FROM cortexbot.episode_embeddings", c);
        using var r = cmd.ExecuteReader();
        Assert.True(r.Read());
        Assert.Equal(1L, r.GetInt64(0));
        Assert.Equal(store.Embedder.Model, r.GetString(1));
        Assert.Equal(4 * store.Embedder.Dimension, r.GetInt32(2));
    }
}

/// <summary>The hippocampus organ on a shared PostgreSQL memory: stores, then recalls by similarity.</summary>
[Collection("postgres")]
public sealed class HippocampusOnPostgresTests(PostgresServer server) : TestKit
{
    [Fact]
    public void Stores_and_recalls_through_the_actor()
    {
        using var store = new PostgresEpisodeStore(server.CreateDatabase());
        store.Append(Samples.Episode("wave hello"));
        store.Append(Samples.Episode("put the green cube in the bin"));
        var hippocampus = Sys.ActorOf(HippocampusActor.Props(store));

        var red = Samples.Episode("put the red cube in the bin");
        hippocampus.Tell(new StoreEpisode(red), TestActor);
        long id = ExpectMsg<EpisodeStored>().Id;
        hippocampus.Tell(new RecallSimilar("put the red cube in the bin", 2), TestActor);

        var recalled = ExpectMsg<Recalled>().Episodes;
        Assert.Equal(id, recalled[0].Id);
        Assert.Equal("put the green cube in the bin", recalled[1].Instruction);
    }
}
