using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using CortexBot.Core.Messages;
using CortexBot.Hippocampus.Recall;
using CortexBot.Hippocampus.Tests;
using Npgsql;
using Xunit.Abstractions;

namespace CortexBot.Hippocampus.Postgres.Tests;

/// <summary>`cortexbot memory ...` as a child process against a real PostgreSQL server, compared with the same commands on SQLite.</summary>
[Collection("postgres")]
public sealed class PostgresMemoryCliTests(PostgresServer server, ITestOutputHelper output) : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A fresh database: its Npgsql keywords (for the test's own connections) and the URL the CLI is given.</summary>
    private (string Keywords, string Url) Database()
    {
        var keywords = server.CreateDatabase();
        return (keywords, $"postgres://postgres@127.0.0.1:{server.Port}/{new NpgsqlConnectionStringBuilder(keywords).Database}");
    }

    private (int Code, string Stdout, string Stderr) CliWithInput(string? stdin, params string[] args)
    {
        var host = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } h && File.Exists(h) ? h
            : Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";
        var psi = new ProcessStartInfo(host)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "cortexbot.dll"));
        foreach (var a in args)
            psi.ArgumentList.Add(a);
        psi.Environment["COLUMNS"] = "220";
        psi.Environment["CORTEXBOT_HOME"] = CortexBot.Core.RepoPaths.Root;
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null)
            p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            p.Kill(true);
            throw new TimeoutException("cortexbot did not exit");
        }
        output.WriteLine($"$ cortexbot {string.Join(' ', args)} -> {p.ExitCode}\n{stdout.Result}\n{stderr.Result}");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    private (int Code, string Stdout, string Stderr) Cli(params string[] args) => CliWithInput(null, args);

    private static EpisodeRecord Ep(string obj, bool success, int minute, string? why = null) =>
        Samples.Episode($"put the {obj.Replace('_', ' ')} in the bin", seed: minute, success: success, failureReason: success ? null : why) with
        {
            StartedAt = T0.AddMinutes(minute),
            Plan = [$"pick({obj})", $"place({obj}, bin)"],
            Steps =
            [
                new StepRecord(0, $"pick({obj})", SkillOutcome.Succeeded, null, 0, 2),
                new StepRecord(1, $"place({obj}, bin)", success ? SkillOutcome.Succeeded : SkillOutcome.Failed, why, 2, 3),
            ],
        };

    /// <summary>red (fail, ok), blue ok (placed with a tuning), green fail: ids 1..4 in every store they are appended to.</summary>
    private static readonly EpisodeRecord[] Seed =
        [Ep("red_cube", false, 0, "slipped"), Ep("red_cube", true, 10), Tuned(Ep("blue_cube", true, 20)), Ep("green_cube", false, 30, "missed the bin")];

    private static EpisodeRecord Tuned(EpisodeRecord e) => e with { Steps = e.Steps.SetItem(1, e.Steps[1] with { Parameters = "grip=firm" }) };

    private (string Keywords, string Url) SeededPostgres()
    {
        var db = Database();
        using var store = new PostgresEpisodeStore(db.Keywords);
        foreach (var e in Seed)
            store.Append(e);
        return db;
    }

    private string SeededSqlite()
    {
        var path = _dir.File("memory.db");
        using var store = new SqliteEpisodeStore(path);
        foreach (var e in Seed)
            store.Append(e);
        return path;
    }

    private static JsonNode Json(string stdout) => JsonNode.Parse(stdout) ?? throw new JsonException("empty output");

    /// <summary>What may differ between the stores: where they are, how big, and their own schema numbering.</summary>
    private static JsonNode WithoutStoreIdentity(JsonNode stats)
    {
        var o = stats.AsObject();
        o.Remove("location");
        o.Remove("file_bytes");
        o.Remove("schema_version");
        return o;
    }

    [Fact]
    public void Every_read_command_prints_the_same_as_on_sqlite()
    {
        var pg = SeededPostgres().Url;
        var lite = SeededSqlite();

        foreach (var args in new[]
                 {
                     new[] { "list", "--json" },
                     ["list", "--json", "--outcome", "failure"],
                     ["list", "--json", "--task", "RED cube", "--limit", "1"],
                     ["list", "--json", "--since", "2026-05-01T12:15:00Z"],
                     ["list", "--json", "--object", "blue_cube"],
                     ["show", "1", "--json"],
                     ["search", "put the red cube in the bin", "-k", "3", "--json"],
                     ["search", "green cube", "--outcome", "failure", "--json"],
                     ["facts", "--json"],
                     ["facts", "--object", "red_cube", "--json"],
                 })
        {
            var (pgCode, pgOut, pgErr) = Cli(["memory", .. args, "--memory", pg]);
            var (liteCode, liteOut, _) = Cli(["memory", .. args, "--memory", lite]);
            Assert.True(pgCode == 0, pgErr);
            Assert.Equal(liteCode, pgCode);
            Assert.True(JsonNode.DeepEquals(Json(liteOut), Json(pgOut)), $"memory {string.Join(' ', args)}:\nSQLite: {liteOut}\nPostgreSQL: {pgOut}");
        }

        Assert.Contains(Json(Cli("memory", "facts", "--json", "--object", "blue_cube", "--memory", pg).Stdout).AsArray(),
            f => f!["skill"]!.GetValue<string>() == "place" && f["tuning"]!.GetValue<string>() == "grip=firm");
        var pgStats = Json(Cli("memory", "stats", "--json", "--memory", pg).Stdout);
        Assert.Equal(pg, pgStats["location"]!.GetValue<string>());
        Assert.True(pgStats["file_bytes"]!.GetValue<long>() > 0);
        Assert.Equal(PostgresEpisodeStore.SchemaVersion, pgStats["schema_version"]!.GetValue<int>());
        Assert.True(JsonNode.DeepEquals(WithoutStoreIdentity(Json(Cli("memory", "stats", "--json", "--memory", lite).Stdout)), WithoutStoreIdentity(pgStats)));

        // Export lines are the same episodes, byte for byte.
        Assert.Equal(Cli("memory", "export", "--format", "jsonl", "-", "--memory", lite).Stdout, Cli("memory", "export", "--format", "jsonl", "-", "--memory", pg).Stdout);

        // The tables too, but for the store's name in (centred) titles.
        static string Lines(string text) => string.Join('\n', text.Split('\n').Select(l => l.Trim()));
        foreach (var args in new[] { new[] { "list" }, ["show", "4"], ["facts"], ["search", "red cube", "-k", "2"] })
        {
            var (code, table, err) = Cli(["memory", .. args, "--memory", pg]);
            Assert.True(code == 0, err);
            Assert.Equal(Lines(Cli(["memory", .. args, "--memory", lite]).Stdout.Replace(Path.GetFullPath(lite), pg, StringComparison.Ordinal)), Lines(table));
        }
    }

    [Fact]
    public void A_run_on_postgres_with_an_embedding_model_is_counted_shown_searched_and_exported()
    {
        var db = SeededPostgres();
        var model = CortexBot.Gguf.TinyLlamaModel.Write(_dir.File("embed.gguf"), 4);
        int before = Json(Cli("memory", "stats", "--memory", db.Url, "--json").Stdout)["episodes"]!.GetValue<int>();

        var (code, runOut, runErr) = Cli("run", "--task", "put the red cube in the bin", "--episodes", "2", "--seed", "3", "--fast", "--json",
            "--memory", db.Url, "--embedding-model", model);
        Assert.True(code is 0 or 1, runErr);
        var ids = Json(runOut)["episodes"]!.AsArray().Select(e => e!["episode_id"]!.GetValue<long>()).ToHashSet();
        Assert.Equal(2, ids.Count);

        var stats = Json(Cli("memory", "stats", "--memory", db.Url, "--json").Stdout);
        Assert.Equal(before + 2, stats["episodes"]!.GetValue<int>());
        // One vector per episode, of the latest model: the robot re-embedded the seeded episodes when it loaded its index.
        Assert.Equal(0, stats["embeddings"]!.GetValue<int>());
        foreach (var id in ids)
            Assert.Equal("put the red cube in the bin", Json(Cli("memory", "show", id.ToString(), "--memory", db.Url, "--json").Stdout)["instruction"]!.GetValue<string>());
        var (searchCode, found, searchErr) = Cli("memory", "search", "put the red cube in the bin", "-k", "10", "--memory", db.Url, "--json", "--embedding-model", model);
        Assert.Equal(0, searchCode);
        Assert.Superset(ids, Json(found).AsArray().Select(e => e!["id"]!.GetValue<long>()).ToHashSet());
        Assert.DoesNotContain("note:", searchErr); // every stored vector is the model's
        var (_, _, hashedErr) = Cli("memory", "search", "put the red cube in the bin", "--memory", db.Url, "--json");
        Assert.Contains($"{before + 2} of {before + 2} episode(s) have no hash-ngram-v1/256 vector", hashedErr);
        var exported = Cli("memory", "export", "--format", "jsonl", "-", "--memory", db.Url).Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Superset(ids, exported.Select(l => Json(l)["id"]!.GetValue<long>()).ToHashSet());
    }

    [Fact]
    public void Export_then_import_round_trips_and_malformed_jsonl_imports_nothing()
    {
        var source = SeededPostgres();
        var target = Database();
        var file = _dir.File("episodes.jsonl");

        Assert.Equal(0, Cli("memory", "export", "--format", "jsonl", file, "--memory", source.Url).Code);
        var imported = Json(Cli("memory", "import", file, "--memory", target.Url, "--json").Stdout);
        Assert.Equal(4, imported["imported"]!.GetValue<int>());
        Assert.Equal(0, Json(Cli("memory", "import", file, "--memory", target.Url, "--json").Stdout)["skipped"]!.GetValue<int>() - 4);
        Assert.Equal(File.ReadAllText(file), Cli("memory", "export", "--format", "jsonl", "-", "--memory", target.Url).Stdout);
        Assert.True(JsonNode.DeepEquals(Json(Cli("memory", "facts", "--json", "--memory", source.Url).Stdout),
            Json(Cli("memory", "facts", "--json", "--memory", target.Url).Stdout)));

        // Fresh task ids, two broken lines: nothing of the file may arrive.
        var lines = File.ReadAllLines(file);
        var fresh = lines.Select(l => l.Replace(l[(l.IndexOf("\"task_id\":\"", StringComparison.Ordinal) + 11)..][..36], Guid.NewGuid().ToString("D"))).ToList();
        var bad = _dir.File("bad.jsonl");
        File.WriteAllLines(bad, [fresh[0], "{broken", fresh[1], fresh[2].Replace("\"success\":true", "\"success\":\"maybe\""), fresh[3]]);

        var (code, stdout, stderr) = Cli("memory", "import", bad, "--memory", target.Url);

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains("2 malformed line(s)", stderr);
        Assert.Contains("line 2:", stderr);
        Assert.Contains("line 4:", stderr);
        using var store = new PostgresEpisodeStore(target.Keywords, readOnly: true);
        Assert.Equal(4, store.Count());
        Assert.Equal(4, store.Stats().Embeddings);
    }

    [Fact]
    public void Prune_asks_for_confirmation_and_rebuilds_the_facts()
    {
        var db = SeededPostgres();

        var (noAnswer, _, err) = CliWithInput("", "memory", "prune", "--keep", "1", "--memory", db.Url);
        Assert.Equal(2, noAnswer);
        Assert.Contains("--yes", err);
        var (declined, _, declinedErr) = CliWithInput("n\n", "memory", "prune", "--keep", "1", "--memory", db.Url);
        Assert.Equal(1, declined);
        Assert.Contains("nothing was deleted", declinedErr);
        var (accepted, stdout, _) = CliWithInput("y\n", "memory", "prune", "--before", "2026-05-01T12:05:00Z", "--memory", db.Url);
        Assert.Equal(0, accepted);
        Assert.Contains("deleted 1 episode(s); 3 remain", stdout);

        var pruned = Json(Cli("memory", "prune", "--keep", "1", "--yes", "--memory", db.Url, "--json").Stdout);
        Assert.Equal(2, pruned["deleted"]!.GetValue<int>());
        Assert.Equal(1, pruned["remaining"]!.GetValue<int>());
        using var store = new PostgresEpisodeStore(db.Keywords, readOnly: true);
        Assert.Equal(["green_cube", "bin"], store.Facts().Select(f => f.Object).Distinct().OrderDescending());
        Assert.Equal(1, store.Stats().Embeddings);
    }

    [Fact]
    public void Read_only_commands_cannot_write_and_create_nothing()
    {
        var empty = Database();
        foreach (var args in new[] { new[] { "stats" }, ["list"], ["search", "red cube"], ["export", "--format", "jsonl", "-"] })
        {
            var (code, _, err) = Cli(["memory", .. args, "--memory", empty.Url]);
            Assert.Equal(2, code);
            Assert.Contains("No CortexBot memory", err);
        }
        using (var c = new NpgsqlConnection(empty.Keywords))
        {
            c.Open();
            using var cmd = new NpgsqlCommand("SELECT COUNT(*) FROM pg_namespace WHERE nspname = 'cortexbot'", c);
            Assert.Equal(0L, (long)cmd.ExecuteScalar()!); // not even the schema was created
        }

        var db = SeededPostgres();
        using var reader = new PostgresEpisodeStore(db.Keywords, readOnly: true);
        Assert.Contains("read-only", Assert.Throws<EpisodeStoreException>(() => reader.Append(Ep("red_cube", true, 40))).Message);
        Assert.Throws<EpisodeStoreException>(() => reader.Prune(PruneRule.KeepLatest(0)));
        Assert.Throws<EpisodeStoreException>(() => reader.Import([Ep("red_cube", true, 41)]));
        // Beyond the store's own checks, the server refuses a write in such a session.
        var ex = Assert.Throws<PostgresException>(() => reader.ExecuteForTest("DELETE FROM cortexbot.episodes"));
        Assert.Equal(PostgresErrorCodes.ReadOnlySqlTransaction, ex.SqlState);
        Assert.Equal(4, reader.Count());
    }

    [Fact]
    public void Read_commands_work_while_a_robot_writes()
    {
        var db = SeededPostgres();
        using var writer = new PostgresEpisodeStore(db.Keywords);
        using var stop = new CancellationTokenSource();
        int written = 0;
        var writing = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                writer.Append(Ep("yellow_cube", written % 2 == 0, 100 + written));
                Interlocked.Increment(ref written);
            }
        });
        try
        {
            for (int i = 0; i < 3; i++)
            {
                var (code, stdout, stderr) = Cli("memory", "stats", "--memory", db.Url, "--json");
                Assert.True(code == 0, stderr);
                var stats = Json(stdout);
                int episodes = stats["episodes"]!.GetValue<int>();
                Assert.InRange(episodes, 4, 4 + Volatile.Read(ref written));
                Assert.Equal(episodes, stats["embeddings"]!.GetValue<int>()); // one snapshot: every episode with its vector
                var (code2, stdout2, stderr2) = Cli("memory", "search", "yellow cube", "-k", "3", "--memory", db.Url, "--json");
                Assert.True(code2 == 0, stderr2);
                Assert.All(Json(stdout2).AsArray(), e => Assert.Equal(2, e!["steps"]!.AsArray().Count));
            }
        }
        finally
        {
            stop.Cancel();
            writing.GetAwaiter().GetResult();
        }
        Assert.True(written > 0);
        using var reader = new PostgresEpisodeStore(db.Keywords, readOnly: true);
        var yellow = reader.Facts("yellow_cube").Single(f => f.Skill == "place");
        Assert.Equal(written, yellow.Attempts); // every append folded its steps into the facts, none lost
    }

    [Fact]
    public void Another_embedder_re_embeds_every_episode_and_read_only_readers_keep_theirs_in_memory()
    {
        var db = SeededPostgres();
        var small = new HashingEpisodeEmbedder(64);

        using (var reader = new PostgresEpisodeStore(db.Keywords, small, readOnly: true))
        {
            Assert.Equal(0, reader.Stats().Embeddings);
            var index = reader.LoadIndex();
            Assert.Equal((4, 64), (index.Count, index.Dimension));
            Assert.Equal(0, reader.Stats().Embeddings); // nothing written by a reader
        }
        using (var robot = new PostgresEpisodeStore(db.Keywords, small))
        {
            var index = robot.LoadIndex();
            Assert.Equal(4, robot.Stats().Embeddings); // kept for next time, replacing the 256-dim vectors
            var v = new float[64];
            foreach (var e in robot.All())
            {
                small.EmbedEpisode(e, v);
                var best = index.Search(v, 1)[0];
                Assert.InRange(best.Score, 0.9999f, 1.0001f); // its row is exactly this embedder's vector
            }
        }
        using var back = new PostgresEpisodeStore(db.Keywords, readOnly: true);
        Assert.Equal(0, back.Stats().Embeddings);
        Assert.Equal(4, back.LoadIndex().Count);
    }

    [Fact]
    public void Migrating_from_the_version_before_facts_fills_the_semantic_tier_from_stored_episodes()
    {
        var db = SeededPostgres();
        using (var c = new NpgsqlConnection(db.Keywords))
        {
            c.Open();
            using var cmd = new NpgsqlCommand("DROP TABLE cortexbot.safety_verdicts; DROP TABLE cortexbot.semantic_facts; ALTER TABLE cortexbot.episodes DROP COLUMN perturbations_json; ALTER TABLE cortexbot.episodes DROP COLUMN goal_json; ALTER TABLE cortexbot.episodes DROP COLUMN tree_json; ALTER TABLE cortexbot.episodes DROP COLUMN interrupted; " +
                "UPDATE cortexbot.schema_version SET version = 2", c);
            cmd.ExecuteNonQuery();
        }
        var (code, _, err) = Cli("memory", "facts", "--memory", db.Url);
        Assert.Equal(2, code);
        Assert.Contains("needs migrating", err);

        Assert.Equal(0, Cli("memory", "migrate", "--memory", db.Url).Code);

        var facts = Json(Cli("memory", "facts", "--json", "--memory", db.Url).Stdout);
        Assert.True(JsonNode.DeepEquals(Json(Cli("memory", "facts", "--json", "--memory", SeededSqlite()).Stdout), facts));
    }
}
