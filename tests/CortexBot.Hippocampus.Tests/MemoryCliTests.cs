using System.Diagnostics;
using System.Text.Json;
using CortexBot.Core.Messages;
using CortexBot.Hippocampus.Recall;
using Xunit.Abstractions;

namespace CortexBot.Hippocampus.Tests;

/// <summary>`cortexbot memory ...` run as a child process, the way people and scripts use it.</summary>
public sealed class MemoryCliTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private (int Code, string Stdout, string Stderr) CliWithInput(string? stdin, params string[] args)
    {
        var psi = new ProcessStartInfo(CrashDurabilityTests.DotnetHost())
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
        p.StandardInput.Close(); // no terminal, and after the given answer, end of input
        if (!p.WaitForExit(TimeSpan.FromMinutes(2)))
        {
            p.Kill(true);
            throw new TimeoutException("cortexbot did not exit");
        }
        output.WriteLine($"$ cortexbot {string.Join(' ', args)} -> {p.ExitCode}\n{stdout.Result}\n{stderr.Result}");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    private (int Code, string Stdout, string Stderr) Cli(params string[] args) => CliWithInput(null, args);

    /// <summary>The same child-process runner, for other CLI test classes.</summary>
    internal (int Code, string Stdout, string Stderr) Run(params string[] args) => CliWithInput(null, args);

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

    /// <summary>red (fail, ok), blue ok, green fail: ids 1..4.</summary>
    private string Seeded()
    {
        var path = _dir.File("memory.db");
        using var store = new SqliteEpisodeStore(path);
        store.Append(Ep("red_cube", false, 0, "slipped"));
        store.Append(Ep("red_cube", true, 10));
        store.Append(Ep("blue_cube", true, 20));
        store.Append(Ep("green_cube", false, 30, "missed the bin"));
        return path;
    }

    private static JsonElement Json(string stdout)
    {
        using var doc = JsonDocument.Parse(stdout);
        return doc.RootElement.Clone();
    }

    [Fact]
    public void Episodes_of_a_real_run_are_counted_shown_searched_and_exported()
    {
        var db = Seeded();
        int before = Json(Cli("memory", "stats", "--memory", db, "--json").Stdout).GetProperty("episodes").GetInt32();

        var (code, runOut, runErr) = Cli("run", "--task", "put the red cube in the bin", "--episodes", "2", "--seed", "3", "--fast", "--json", "--memory", db);
        Assert.True(code is 0 or 1, runErr); // 1: an episode failed; it is remembered all the same
        var run = Json(runOut);
        var ids = run.GetProperty("episodes").EnumerateArray().Select(e => e.GetProperty("episode_id").GetInt64()).ToList();
        Assert.Equal(2, ids.Count);

        var stats = Json(Cli("memory", "stats", "--memory", db, "--json").Stdout);
        Assert.Equal(before + 2, stats.GetProperty("episodes").GetInt32());
        Assert.Equal(before + 2, stats.GetProperty("embeddings").GetInt32());
        foreach (var id in ids)
        {
            var shown = Json(Cli("memory", "show", id.ToString(), "--memory", db, "--json").Stdout);
            Assert.Equal("put the red cube in the bin", shown.GetProperty("instruction").GetString());
            Assert.Equal("pick(red_cube)", shown.GetProperty("plan")[0].GetString());
            Assert.True(shown.GetProperty("steps").GetArrayLength() >= 1);
        }
        var found = Json(Cli("memory", "search", "put the red cube in the bin", "-k", "10", "--memory", db, "--json").Stdout);
        Assert.Superset(ids.ToHashSet(), found.EnumerateArray().Select(e => e.GetProperty("id").GetInt64()).ToHashSet());
        var (_, exported, _) = Cli("memory", "export", "--format", "jsonl", "-", "--memory", db);
        var exportedIds = exported.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => Json(l).GetProperty("id").GetInt64()).ToList();
        Assert.Equal(before + 2, exportedIds.Count);
        Assert.Superset(ids.ToHashSet(), exportedIds.ToHashSet());
        var facts = Json(Cli("memory", "facts", "--object", "red_cube", "--memory", db, "--json").Stdout);
        Assert.Contains(facts.EnumerateArray(), f => f.GetProperty("skill").GetString() == "pick" && f.GetProperty("successes").GetInt32() +
            f.GetProperty("failures").GetInt32() + f.GetProperty("aborts").GetInt32() >= 3); // 2 seeded + at least 2 from the run
    }

    [Fact]
    public void List_filters_and_prints_json_newest_first()
    {
        var db = Seeded();

        var all = Json(Cli("memory", "list", "--memory", db, "--json").Stdout);
        Assert.Equal([4, 3, 2, 1], all.EnumerateArray().Select(e => e.GetProperty("id").GetInt32()));
        Assert.Equal("put the green cube in the bin", all[0].GetProperty("instruction").GetString());
        Assert.Equal(2, all[0].GetProperty("steps").GetArrayLength());

        var failures = Json(Cli("memory", "list", "--memory", db, "--json", "--outcome", "failure").Stdout);
        Assert.Equal([4, 1], failures.EnumerateArray().Select(e => e.GetProperty("id").GetInt32()));
        var red = Json(Cli("memory", "list", "--memory", db, "--json", "--task", "RED cube", "--limit", "1").Stdout);
        Assert.Equal([2], red.EnumerateArray().Select(e => e.GetProperty("id").GetInt32()));
        var since = Json(Cli("memory", "list", "--memory", db, "--json", "--since", "2026-05-01T12:15:00Z").Stdout);
        Assert.Equal([4, 3], since.EnumerateArray().Select(e => e.GetProperty("id").GetInt32()));
        var obj = Json(Cli("memory", "list", "--memory", db, "--json", "--object", "blue_cube").Stdout);
        Assert.Equal([3], obj.EnumerateArray().Select(e => e.GetProperty("id").GetInt32()));

        var (code, table, _) = Cli("memory", "list", "--memory", db);
        Assert.Equal(0, code);
        Assert.Contains("put the green cube in the bin", table);
        Assert.Contains("missed the bin", table);
        Assert.Contains("4 episode(s)", table);
    }

    [Fact]
    public void Show_prints_one_episode_with_its_steps()
    {
        var db = Seeded();

        var (code, stdout, _) = Cli("memory", "show", "1", "--memory", db, "--json");
        Assert.Equal(0, code);
        var e = Json(stdout);
        Assert.Equal("slipped", e.GetProperty("failure_reason").GetString());
        Assert.False(e.GetProperty("success").GetBoolean());
        Assert.Equal("Failed", e.GetProperty("steps")[1].GetProperty("outcome").GetString());

        var (code2, table, _) = Cli("memory", "show", "1", "--memory", db);
        Assert.Equal(0, code2);
        Assert.Contains("place(red_cube, bin)", table);
        Assert.Contains("slipped", table);

        var (missing, _, err) = Cli("memory", "show", "99", "--memory", db);
        Assert.Equal(2, missing);
        Assert.Contains("no episode 99", err);
    }

    [Fact]
    public void Show_prints_the_goal_and_the_relations_unmet_at_the_end()
    {
        var path = _dir.File("goals.db");
        using (var store = new SqliteEpisodeStore(path))
        {
            store.Append(Ep("red_cube", false, 0, "blue_cube is not on red_cube") with
                { Goal = ["in(red_cube, bin)", "on(blue_cube, red_cube)"], Unmet = ["on(blue_cube, red_cube)"] });
            store.Append(Ep("red_cube", true, 10) with { Goal = ["in(red_cube, bin)"], Unmet = [] });
        }
        var e = Json(Cli("memory", "show", "1", "--memory", path, "--json").Stdout);
        Assert.Equal(["in(red_cube, bin)", "on(blue_cube, red_cube)"], e.GetProperty("goal").EnumerateArray().Select(g => g.GetString()));
        Assert.Equal(["on(blue_cube, red_cube)"], e.GetProperty("unmet").EnumerateArray().Select(g => g.GetString()));

        var (code, table, _) = Cli("memory", "show", "1", "--memory", path);
        Assert.Equal(0, code);
        Assert.Matches(@"goal\s*│\s*in\(red_cube, bin\), on\(blue_cube, red_cube\)", table);
        Assert.Matches(@"unmet\s*│\s*on\(blue_cube, red_cube\)", table);
        Assert.Matches(@"unmet\s*│\s*\(none: every relation held\)", Cli("memory", "show", "2", "--memory", path).Stdout);
    }

    [Fact]
    public void Search_ranks_by_similarity_and_honours_filters()
    {
        var db = Seeded();

        var hits = Json(Cli("memory", "search", "put the red cube in the bin", "-k", "2", "--memory", db, "--json").Stdout);
        Assert.Equal([1, 2], hits.EnumerateArray().Select(e => e.GetProperty("id").GetInt32()).Order());
        var scores = hits.EnumerateArray().Select(e => e.GetProperty("score").GetDouble()).ToList();
        Assert.True(scores[0] >= scores[1]);

        var filtered = Json(Cli("memory", "search", "put the red cube in the bin", "--outcome", "success", "--memory", db, "--json").Stdout);
        Assert.Equal(2, filtered[0].GetProperty("id").GetInt32());
        Assert.All(filtered.EnumerateArray(), e => Assert.True(e.GetProperty("success").GetBoolean()));

        var (code, table, _) = Cli("memory", "search", "green cube", "-k", "1", "--memory", db);
        Assert.Equal(0, code);
        Assert.Contains("put the green cube in the bin", table);
        Assert.DoesNotContain("put the red cube", table);
    }

    [Fact]
    public void Stats_and_facts_report_the_store()
    {
        var db = Seeded();

        var s = Json(Cli("memory", "stats", "--memory", db, "--json").Stdout);
        Assert.Equal(4, s.GetProperty("episodes").GetInt32());
        Assert.Equal(2, s.GetProperty("successes").GetInt32());
        Assert.Equal(8, s.GetProperty("steps").GetInt32());
        Assert.Equal(4, s.GetProperty("embeddings").GetInt32());
        Assert.Equal(SqliteEpisodeStore.SchemaVersion, s.GetProperty("schema_version").GetInt32());
        Assert.Equal(Path.GetFullPath(db), s.GetProperty("location").GetString());
        Assert.Equal(0.5, s.GetProperty("success_rate").GetDouble());

        var facts = Json(Cli("memory", "facts", "--object", "red_cube", "--memory", db, "--json").Stdout);
        Assert.Equal(["pick", "place"], facts.EnumerateArray().Select(f => f.GetProperty("skill").GetString()));
        var place = facts[1];
        Assert.Equal(1, place.GetProperty("successes").GetInt32());
        Assert.Equal(1, place.GetProperty("failures").GetInt32());
        Assert.Equal("slipped", place.GetProperty("recent_failure_reasons")[0].GetString());

        var (code, table, _) = Cli("memory", "facts", "--memory", db);
        Assert.Equal(0, code);
        Assert.Contains("green_cube", table);
        Assert.Contains("missed the bin", table);
        var (code2, stats, _) = Cli("memory", "stats", "--memory", db);
        Assert.Equal(0, code2);
        Assert.Contains("put the red cube in the bin", stats);
        Assert.Contains("50.0 %", stats);
    }

    [Fact]
    public void Export_then_import_into_another_store_round_trips()
    {
        var db = Seeded();
        var file = _dir.File("episodes.jsonl");
        var copy = _dir.File("copy.db");

        var (code, _, err) = Cli("memory", "export", "--format", "jsonl", file, "--memory", db);
        Assert.Equal(0, code);
        Assert.Contains("exported 4 episode(s)", err);
        Assert.Equal(4, File.ReadAllLines(file).Length);

        var imported = Json(Cli("memory", "import", file, "--memory", copy, "--json").Stdout);
        Assert.Equal(4, imported.GetProperty("imported").GetInt32());
        var again = Json(Cli("memory", "import", file, "--memory", copy, "--json").Stdout);
        Assert.Equal(0, again.GetProperty("imported").GetInt32());
        Assert.Equal(4, again.GetProperty("skipped").GetInt32());

        using var a = new SqliteEpisodeStore(db, readOnly: true);
        using var b = new SqliteEpisodeStore(copy, readOnly: true);
        var originals = a.All().ToList();
        var copies = b.All().ToList();
        Assert.Equal(4, copies.Count);
        for (int i = 0; i < 4; i++)
            Samples.AssertSame(originals[i], copies[i]);

        var (badFormat, _, formatErr) = Cli("memory", "export", "--format", "csv", file, "--memory", db);
        Assert.Equal(2, badFormat);
        Assert.Contains("jsonl", formatErr);
    }

    [Fact]
    public void Import_of_malformed_jsonl_names_the_lines_and_imports_nothing()
    {
        var db = Seeded();
        var file = _dir.File("bad.jsonl");
        var (_, good, _) = Cli("memory", "export", "--format", "jsonl", "-", "--memory", db);
        var lines = good.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToList();
        Assert.Equal(4, lines.Count);
        var fresh = lines.Select(l => l.Replace(l[(l.IndexOf("\"task_id\":\"", StringComparison.Ordinal) + 11)..][..36], Guid.NewGuid().ToString("D"))).ToList();
        File.WriteAllLines(file, [fresh[0], "{broken", fresh[1], fresh[2].Replace("\"success\":true", "\"success\":\"maybe\""), fresh[3]]);
        var target = _dir.File("target.db");

        var (code, stdout, stderr) = Cli("memory", "import", file, "--memory", target);

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains("2 malformed line(s)", stderr);
        Assert.Contains("line 2:", stderr);
        Assert.Contains("line 4:", stderr);
        Assert.DoesNotContain("line 1:", stderr);
        Assert.False(File.Exists(target)); // nothing imported, not even an empty store created

        // The same file into the seeded store: still nothing.
        Assert.Equal(2, Cli("memory", "import", file, "--memory", db).Code);
        using var store = new SqliteEpisodeStore(db, readOnly: true);
        Assert.Equal(4, store.Count());
    }

    [Fact]
    public void Prune_asks_and_refuses_without_an_answer_or_yes()
    {
        var db = Seeded();
        long Count()
        {
            using var s = new SqliteEpisodeStore(db, readOnly: true);
            return s.Count();
        }

        var (noAnswer, _, err) = CliWithInput("", "memory", "prune", "--keep", "1", "--memory", db);
        Assert.Equal(2, noAnswer);
        Assert.Contains("--yes", err);
        Assert.Equal(4, Count());

        var (declined, _, declinedErr) = CliWithInput("n\n", "memory", "prune", "--keep", "1", "--memory", db);
        Assert.Equal(1, declined);
        Assert.Contains("nothing was deleted", declinedErr);
        Assert.Equal(4, Count());

        var (accepted, stdout, _) = CliWithInput("y\n", "memory", "prune", "--before", "2026-05-01T12:05:00Z", "--memory", db);
        Assert.Equal(0, accepted);
        Assert.Contains("deleted 1 episode(s); 3 remain", stdout);

        var pruned = Json(Cli("memory", "prune", "--keep", "1", "--yes", "--memory", db, "--json").Stdout);
        Assert.Equal(2, pruned.GetProperty("deleted").GetInt32());
        Assert.Equal(1, pruned.GetProperty("remaining").GetInt32());
        Assert.Equal(JsonValueKind.Null, pruned.GetProperty("recall_graph").ValueKind); // too few episodes for a graph
        using var store = new SqliteEpisodeStore(db, readOnly: true);
        Assert.Equal(4, store.Recent(5).Single().Id);
        Assert.Equal(["green_cube", "bin"], store.Facts().Select(f => f.Object).Distinct().OrderDescending());
    }

    [Fact]
    public void Prune_keeps_the_saved_recall_graph_and_says_so()
    {
        var db = _dir.File("big.db");
        var rnd = new Random(3);
        using (var store = new SqliteEpisodeStore(db))
        {
            store.Import([.. Enumerable.Range(1, 1500).Select(i => MemoryBenchmark.Synthetic(rnd, new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero), i))]);
            using var index = new EpisodeRecallIndex(store.LoadIndex(), new RecallIndexOptions(ApproximateThreshold: 1000),
                RecallGraphFile.Beside(db, store.Embedder.Model, readOnly: false));
            Assert.True(index.BuildCompletion.Wait(TimeSpan.FromMinutes(3)), "the graph was not built");
        }

        var (code, stdout, _) = Cli("memory", "prune", "--keep", "1200", "--yes", "--memory", db);

        Assert.Equal(0, code);
        Assert.Contains("deleted 300 episode(s); 1200 remain", stdout);
        Assert.Contains("removed 300 pruned episode(s) from the saved recall graph", stdout);
        Assert.Contains("it covers 1200 and is loaded at the next open", stdout);
    }

    [Theory]
    [InlineData("prune --keep 1 --before 2026-01-01 --yes", "exactly one")]
    [InlineData("prune --yes", "exactly one")]
    [InlineData("prune --before yesterday --yes", "yesterday")]
    [InlineData("list --outcome maybe", "success or failure")]
    [InlineData("list --since soon", "ISO 8601")]
    [InlineData("list --limit 0", "--limit")]
    [InlineData("search x -k 0", "-k")]
    [InlineData("show abc", "abc")]
    public void Input_errors_exit_2_with_one_clear_line(string commandLine, string expected)
    {
        var db = Seeded();
        var (code, stdout, stderr) = Cli(["memory", .. commandLine.Split(' '), "--memory", db]);
        Assert.Equal(2, code);
        Assert.Equal("", stdout.Trim());
        var lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(expected, lines[0]);
        using var store = new SqliteEpisodeStore(db, readOnly: true);
        Assert.Equal(4, store.Count());
    }

    [Fact]
    public void A_missing_foreign_or_newer_store_is_reported_and_left_alone()
    {
        var missing = _dir.File("nope/memory.db");
        var (code, _, err) = Cli("memory", "stats", "--memory", missing);
        Assert.Equal(2, code);
        Assert.Contains("No CortexBot memory store", err);
        Assert.False(Directory.Exists(Path.GetDirectoryName(missing)));
        Assert.Equal(2, Cli("memory", "prune", "--keep", "1", "--yes", "--memory", missing).Code);
        Assert.False(Directory.Exists(Path.GetDirectoryName(missing)));

        var text = _dir.File("notes.db");
        File.WriteAllText(text, "my shopping list\n");
        var (code2, _, err2) = Cli("memory", "list", "--memory", text);
        Assert.Equal(2, code2);
        Assert.Contains("is not a CortexBot memory store", err2);
        Assert.Equal("my shopping list\n", File.ReadAllText(text));

        var db = Seeded();
        using (var raw = Samples.Raw(db))
            Samples.Scalar(raw, $"PRAGMA user_version = {SqliteEpisodeStore.SchemaVersion + 1}");
        var (code3, _, err3) = Cli("memory", "list", "--memory", db);
        Assert.Equal(2, code3);
        Assert.Contains($"schema version {SqliteEpisodeStore.SchemaVersion + 1}", err3);
    }

    [Fact]
    public void Every_memory_command_refuses_a_corrupt_file_in_one_line_with_exit_2_and_leaves_it_alone()
    {
        var bad = _dir.File("bad.db");
        var bytes = new byte[4096];
        new Random(15).NextBytes(bytes); // what `head -c 4096 /dev/urandom` gives, reproducibly
        File.WriteAllBytes(bad, bytes);
        var empty = _dir.File("empty.jsonl");
        File.WriteAllText(empty, "");
        string[][] commands =
        [
            ["list"], ["show", "1"], ["search", "red cube"], ["stats"], ["facts"], ["export", "--format", "jsonl", "-"],
            ["import", empty], ["prune", "--keep", "1", "--yes"], ["migrate"], ["replay", "1"],
        ];
        foreach (var args in commands)
        {
            var (code, stdout, err) = Cli(["memory", .. args, "--memory", bad]);
            Assert.True(code == 2, $"memory {args[0]} exited {code}");
            Assert.Equal("", stdout);
            var line = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("error: ", line);
            Assert.Contains(bad, line);
            Assert.Contains("is not a CortexBot memory store", line);
        }
        Assert.Equal(bytes, File.ReadAllBytes(bad));
        Assert.Equal(["bad.db", "empty.jsonl"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName).Order());
    }

    [Theory]
    [InlineData("random")]
    [InlineData("text")]
    [InlineData("sqlite-header-then-garbage")]
    public void Run_with_a_corrupt_memory_file_prints_one_line_exits_2_and_loses_nothing(string kind)
    {
        var bad = _dir.File("memory.db");
        var random = new byte[4096];
        new Random(16).NextBytes(random);
        byte[] bytes = kind switch
        {
            "random" => random,
            "text" => "my shopping list\nmilk\n"u8.ToArray(),
            _ => [.. "SQLite format 3\0"u8.ToArray(), .. random],
        };
        File.WriteAllBytes(bad, bytes);

        var (code, stdout, err) = Cli("run", "--task", "put the red cube in the bin", "--fast", "--memory", bad);

        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        var line = Assert.Single(err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("error: ", line);
        Assert.Contains(bad, line);
        Assert.Contains("is not a CortexBot memory store", line);
        Assert.Equal(bytes, File.ReadAllBytes(bad));
        Assert.Equal(["memory.db"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void A_version_1_store_is_read_only_until_migrate_brings_it_forward()
    {
        var db = _dir.File("v1.db");
        using (var raw = Samples.Raw(db))
        using (var cmd = raw.CreateCommand())
        {
            cmd.CommandText = MemoryStoreTests.V1Schema + """
                INSERT INTO episodes (task_id, instruction, seed, started_at, success, planner, plan_json, anomalies_json, controller_version)
                VALUES ('7f8c4c1e-2a55-4c57-9d0e-2f6b1c2a9a01', 'put the red cube in the bin', 1, '2026-01-01T10:00:00.0000000+00:00', 1,
                        'rule', '["pick(red_cube)"]', '[]', '0.1');
                """;
            cmd.ExecuteNonQuery();
        }

        var (code, _, err) = Cli("memory", "list", "--memory", db);
        Assert.Equal(2, code);
        Assert.Contains("needs migrating", err);
        Assert.Contains("memory migrate", err);

        var migrated = Json(Cli("memory", "migrate", "--memory", db, "--json").Stdout);
        Assert.Equal(SqliteEpisodeStore.SchemaVersion, migrated.GetProperty("schema_version").GetInt32());
        Assert.Equal(1, migrated.GetProperty("episodes").GetInt32());
        var listed = Json(Cli("memory", "list", "--memory", db, "--json").Stdout);
        Assert.Equal("put the red cube in the bin", listed[0].GetProperty("instruction").GetString());
    }

    [Fact]
    public void Read_commands_work_while_another_process_writes()
    {
        var db = Seeded();
        using var writer = new SqliteEpisodeStore(db);
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
                var (code, stdout, stderr) = Cli("memory", "stats", "--memory", db, "--json");
                Assert.True(code == 0, stderr);
                int episodes = Json(stdout).GetProperty("episodes").GetInt32();
                Assert.InRange(episodes, 4, 4 + Volatile.Read(ref written));
                var (code2, stdout2, stderr2) = Cli("memory", "search", "yellow cube", "-k", "3", "--memory", db, "--json");
                Assert.True(code2 == 0, stderr2);
                Assert.All(Json(stdout2).EnumerateArray(), e => Assert.Equal(2, e.GetProperty("steps").GetArrayLength()));
            }
        }
        finally
        {
            stop.Cancel();
            writing.GetAwaiter().GetResult();
        }
        Assert.True(written > 0);
    }

    [Fact]
    public void Bench_memory_prints_one_json_object_with_a_row_per_size()
    {
        var (code, stdout, stderr) = Cli("bench", "memory", "--sizes", "600,900", "--dim", "64", "--queries", "10", "--threads", "1",
            "--expansion-search", "32,64", "--dir", _dir.Path, "--json");

        Assert.True(code == 0, stderr);
        using var doc = JsonDocument.Parse(stdout);
        var root = doc.RootElement;
        Assert.Equal(64, root.GetProperty("dimension").GetInt32());
        Assert.Equal("hash-ngram-v1/64", root.GetProperty("model").GetString());
        var rows = root.GetProperty("rows").EnumerateArray().ToList();
        Assert.Equal([600, 900], rows.Select(r => r.GetProperty("episodes").GetInt32()));
        foreach (var r in rows)
        {
            Assert.True(r.GetProperty("inserts_per_second").GetDouble() > 0);
            Assert.True(r.GetProperty("ann_build_seconds").GetDouble() > 0);
            Assert.True(r.GetProperty("exact_p99_us").GetDouble() >= r.GetProperty("exact_p50_us").GetDouble());
            // The oldest tenth pruned; the next open loaded the pruned graph (the run fails otherwise) and it still recalls.
            Assert.Equal(r.GetProperty("episodes").GetInt32() / 10, r.GetProperty("pruned_episodes").GetInt32());
            Assert.True(r.GetProperty("prune_seconds").GetDouble() > 0);
            Assert.True(r.GetProperty("after_prune_load_seconds").GetDouble() > 0);
            Assert.InRange(r.GetProperty("after_prune_recall_at10").GetDouble(), 0.9, 1.0);
            var ann = r.GetProperty("ann").EnumerateArray().ToList();
            Assert.Equal([32, 64], ann.Select(a => a.GetProperty("expansion_search").GetInt32()));
            foreach (var a in ann)
            {
                Assert.True(a.GetProperty("p99_us").GetDouble() >= a.GetProperty("p50_us").GetDouble());
                Assert.True(a.GetProperty("cpu_p50_us").GetDouble() > 0);
                Assert.InRange(a.GetProperty("recall_at10").GetDouble(), 0.9, 1.0);
                Assert.InRange(a.GetProperty("filtered_recall_at10").GetDouble(), 0.9, 1.0);
            }
        }
        Assert.Empty(Directory.GetFiles(_dir.Path)); // the temporary stores are removed

        var bad = Cli("bench", "memory", "--sizes", "1000,lots");
        Assert.Equal(2, bad.Code);
        Assert.Contains("--sizes: 'lots' is not a whole number", bad.Stderr);
    }
}
