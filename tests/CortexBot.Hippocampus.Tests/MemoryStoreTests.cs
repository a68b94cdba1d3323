using System.Collections.Immutable;
using CortexBot.Core.Messages;
using CortexBot.Hippocampus.Recall;
using Microsoft.Data.Sqlite;

namespace CortexBot.Hippocampus.Tests;

/// <summary>Schema version 2: embeddings, semantic facts, queries, prune, import/export, migration from version 1.</summary>
public sealed class MemoryStoreTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 12, 0, 0, TimeSpan.FromHours(2));

    /// <summary>pick(obj) then place(obj, bin); the place step fails with <paramref name="why"/> unless it succeeded.</summary>
    private static EpisodeRecord PickPlace(string obj, bool success, int minute, string? why = null) =>
        Samples.Episode($"put the {obj.Replace('_', ' ')} in the bin", success: success, failureReason: success ? null : why) with
        {
            StartedAt = T0.AddMinutes(minute),
            Plan = [$"pick({obj})", $"place({obj}, bin)"],
            Steps =
            [
                new StepRecord(0, $"pick({obj})", SkillOutcome.Succeeded, null, 0, 2),
                new StepRecord(1, $"place({obj}, bin)", success ? SkillOutcome.Succeeded : SkillOutcome.Failed, success ? null : why, 2, 3),
            ],
        };

    [Fact]
    public void Append_writes_the_embedding_and_folds_the_semantic_facts()
    {
        using var store = new SqliteEpisodeStore(_dir.File("memory.db"));
        long a = store.Append(PickPlace("red_cube", false, 0, "slipped out of the gripper"));
        long b = store.Append(PickPlace("red_cube", true, 5));
        long c = store.Append(PickPlace("red_cube", false, 10, "missed the bin"));
        store.Append(PickPlace("blue_cube", true, 1));

        using var raw = Samples.Raw(store.Location, SqliteOpenMode.ReadOnly);
        Assert.Equal(4L, Samples.Scalar(raw, "SELECT COUNT(*) FROM episode_embeddings"));
        Assert.Equal(HashingEpisodeEmbedder.Default.Model, Samples.Scalar(raw, "SELECT DISTINCT model FROM episode_embeddings"));
        Assert.Equal(4L * HashingEpisodeEmbedder.DefaultDimension, Samples.Scalar(raw, "SELECT length(vector) FROM episode_embeddings LIMIT 1"));

        var facts = store.Facts("red_cube");
        Assert.Equal(["pick", "place"], facts.Select(f => f.Skill));
        var pick = facts[0];
        Assert.Equal((3, 0, 0), (pick.Successes, pick.Failures, pick.Aborts));
        Assert.Null(pick.LastFailure);
        var place = facts[1];
        Assert.Equal((1, 2, 0), (place.Successes, place.Failures, place.Aborts));
        Assert.Equal(T0.AddMinutes(0), place.FirstSeen);
        Assert.Equal(T0.AddMinutes(10), place.LastSeen);
        Assert.Equal(T0.AddMinutes(5), place.LastSuccess);
        Assert.Equal(T0.AddMinutes(10), place.LastFailure);
        Assert.Equal(["missed the bin", "slipped out of the gripper"], place.RecentFailureReasons.AsEnumerable()); // newest first
        Assert.Equal(c, place.LastEpisodeId);
        Assert.Equal(1.0 / 3, place.SuccessRate, 6);
        Assert.True(a < b && b < c);

        Assert.Equal(["bin", "blue_cube", "red_cube"], store.Facts().Select(f => f.Object).Distinct());
        Assert.Equal(2, store.Facts("bin").Single().Failures); // place(x, bin) is a fact about the bin too
        Assert.Empty(store.Facts("green_cube"));
    }

    [Fact]
    public void Facts_are_kept_per_skill_tuning_so_a_grip_that_slipped_and_one_that_carried_stay_apart()
    {
        using var store = new SqliteEpisodeStore(_dir.File("memory.db"));
        var slipped = PickPlace("red_cube", false, 0) with
        {
            Steps = [new StepRecord(0, "pick(red_cube)", SkillOutcome.Failed, "object_dropped: lift red_cube: the opening fell", 0, 2)],
        };
        store.Append(slipped);
        var firm = PickPlace("red_cube", true, 1);
        store.Append(firm with { Steps = [.. firm.Steps.Select(x => x with { Parameters = "firm_grip" })] });
        store.Append(firm with { TaskId = Guid.NewGuid(), StartedAt = T0.AddMinutes(2), Steps = [.. firm.Steps.Select(x => x with { Parameters = "firm_grip" })] });

        var facts = store.Facts("red_cube");
        Assert.Equal([("pick", ""), ("pick", "firm_grip"), ("place", "firm_grip")], facts.Select(f => (f.Skill, f.Tuning)));
        Assert.Equal((0, 1), (facts[0].Successes, facts[0].Failures));
        Assert.StartsWith("object_dropped", facts[0].RecentFailureReasons.Single());
        Assert.Equal((2, 0), (facts[1].Successes, facts[1].Failures));
        Assert.Equal(T0.AddMinutes(2), facts[2].LastSuccess);
        // The bin's fact is credited to the grip too.
        Assert.Equal("firm_grip", store.Facts("bin").Single().Tuning);
    }

    [Fact]
    public void A_failed_append_leaves_no_embedding_and_no_fact_behind()
    {
        using var store = new SqliteEpisodeStore(_dir.File("memory.db"));
        store.Append(PickPlace("red_cube", true, 0));
        var factsBefore = store.Facts();
        var good = PickPlace("green_cube", true, 1);
        var broken = good with { Steps = good.Steps.Add(new StepRecord(2, null!, SkillOutcome.Succeeded, null, 0, 0)) };

        Assert.Throws<EpisodeStoreException>(() => store.Append(broken));

        using (var raw = Samples.Raw(store.Location, SqliteOpenMode.ReadOnly))
            Assert.Equal(1L, Samples.Scalar(raw, "SELECT COUNT(*) FROM episode_embeddings"));
        Assert.Equal(factsBefore, store.Facts(), FactComparer.Instance);
        Assert.Empty(store.Facts("green_cube"));
        Assert.Equal(1, store.LoadIndex().Count);
    }

    [Fact]
    public void Incremental_facts_equal_facts_rebuilt_from_the_episodes_in_any_order()
    {
        var rnd = new Random(5);
        var episodes = Enumerable.Range(0, 40).Select(i =>
        {
            var obj = new[] { "red_cube", "blue_cube", "green_cube" }[rnd.Next(3)];
            bool ok = rnd.Next(3) > 0;
            return PickPlace(obj, ok, rnd.Next(1000), ok ? null : new[] { "slipped", "missed the bin", "dropped" }[rnd.Next(3)]);
        }).ToList();

        using var incremental = new SqliteEpisodeStore(_dir.File("a.db"));
        foreach (var e in episodes)
            incremental.Append(e);
        using var shuffled = new SqliteEpisodeStore(_dir.File("b.db"));
        shuffled.Import([.. episodes.OrderBy(_ => rnd.Next())]);
        Assert.Equal(Strip(incremental.Facts()), Strip(shuffled.Facts()), FactComparer.Instance);

        // A prune rebuilds the tier from what is left: same as storing only what is left.
        incremental.Prune(PruneRule.KeepLatest(25));
        using var kept = new SqliteEpisodeStore(_dir.File("c.db"));
        foreach (var e in episodes.Skip(15))
            kept.Append(e);
        Assert.Equal(Strip(kept.Facts()), Strip(incremental.Facts()), FactComparer.Instance);
    }

    // Episode ids differ between stores; everything else must match.
    private static List<SemanticFact> Strip(IEnumerable<SemanticFact> facts) => [.. facts.Select(f => f with { LastEpisodeId = 0 })];

    [Fact]
    public void LoadIndex_returns_the_stored_vectors_and_reembeds_another_models()
    {
        var path = _dir.File("memory.db");
        var episodes = Enumerable.Range(0, 30).Select(i => PickPlace(i % 2 == 0 ? "red_cube" : "blue_cube", i % 3 > 0, i)).ToList();
        using (var store = new SqliteEpisodeStore(path))
            foreach (var e in episodes)
                store.Append(e);

        var small = new HashingEpisodeEmbedder(64);
        using (var store = new SqliteEpisodeStore(path, embedder: small))
        {
            Assert.Equal(0, store.Stats().Embeddings); // none of the 64-dim model yet
            var index = store.LoadIndex();
            Assert.Equal(30, index.Count);
            Assert.Equal(64, index.Dimension);
            Assert.Equal(30, store.Stats().Embeddings); // persisted for next time
        }
        using (var reader = new SqliteEpisodeStore(path, readOnly: true))
        {
            var index = reader.LoadIndex();
            Assert.Equal(30, index.Count);
            var q = new float[reader.Embedder.Dimension];
            reader.Embedder.EmbedQuery("put the blue cube in the bin", q);
            var hits = index.Search(q, 5);
            Assert.All(hits, h => Assert.Contains("blue cube", reader.Get(h.Id)!.Instruction));
        }
    }

    [Fact]
    public void Query_filters_by_task_object_outcome_and_time_newest_first()
    {
        using var store = new SqliteEpisodeStore(_dir.File("memory.db"));
        long r0 = store.Append(PickPlace("red_cube", false, 0, "slipped"));
        long b1 = store.Append(PickPlace("blue_cube", true, 60));
        long r2 = store.Append(PickPlace("red_cube", true, 120));

        Assert.Equal([r2, b1, r0], store.Query(RecallFilter.None, 10).Select(e => e.Id));
        Assert.Equal([r2, b1], store.Query(RecallFilter.None, 2).Select(e => e.Id));
        Assert.Equal([r2, r0], store.Query(new RecallFilter(Object: "red_cube"), 10).Select(e => e.Id));
        Assert.Equal([r0], store.Query(new RecallFilter(Task: "RED", Success: false), 10).Select(e => e.Id));
        Assert.Equal([b1], store.Query(new RecallFilter(Since: T0.AddMinutes(30), Until: T0.AddMinutes(120)), 10).Select(e => e.Id));
        Assert.Equal([r2, b1, r0], store.Query(new RecallFilter(Object: "bin"), 10).Select(e => e.Id));
        Assert.Empty(store.Query(new RecallFilter(Object: "red"), 10)); // whole object names only
        Samples.AssertSame(store.Get(r0)!, store.Query(new RecallFilter(Success: false), 1)[0]);
    }

    [Fact]
    public void Prune_before_a_date_or_keeping_the_latest()
    {
        using var store = new SqliteEpisodeStore(_dir.File("memory.db"));
        var ids = Enumerable.Range(0, 10).Select(i => store.Append(PickPlace("red_cube", true, i))).ToList();

        var before = PruneRule.StartedBefore(T0.AddMinutes(3));
        Assert.Equal(3, store.CountPrunable(before));
        Assert.Equal(3, store.Prune(before));
        Assert.Equal(7, store.Count());
        Assert.Equal(7, store.Facts("red_cube").Single(f => f.Skill == "pick").Successes);

        Assert.Equal(4, store.Prune(PruneRule.KeepLatest(3)));
        Assert.Equal(ids.TakeLast(3).Reverse(), store.Recent(10).Select(e => e.Id));
        Assert.Equal(3, store.LoadIndex().Count);
        Assert.Equal(3, store.Stats().Embeddings);
        Assert.Equal(T0.AddMinutes(7), store.Facts("red_cube")[0].FirstSeen);
        Assert.Equal(0, store.Prune(PruneRule.KeepLatest(3)));
        Assert.Throws<ArgumentException>(() => store.Prune(new PruneRule(null, null)));
        Assert.Throws<ArgumentException>(() => store.Prune(new PruneRule(T0, 3)));
    }

    [Fact]
    public void Export_then_import_round_trips_and_reimport_skips_what_is_there()
    {
        using var source = new SqliteEpisodeStore(_dir.File("a.db"));
        source.Append(PickPlace("red_cube", false, 0, "slipped — «glatt»"));
        source.Append(Samples.Episode("odd numbers") with { DurationS = double.NaN, PlanLatencyMs = double.NaN, Anomalies = ["force spike"] });
        var tuned = PickPlace("blue_cube", true, 9);
        source.Append(tuned with { Steps = [tuned.Steps[0] with { Parameters = "hold_speed=0.5" }, tuned.Steps[1]] });
        var rich = Samples.Rich();
        source.Append(rich);
        var lines = source.All().Select(EpisodeJsonl.ToLine).ToList();
        Assert.Equal(4, lines.Count);
        Assert.DoesNotContain(lines, l => l.Contains('\n'));

        var (parsed, errors) = EpisodeJsonl.Parse(new StringReader(string.Join("\n", lines) + "\n\n"));
        Assert.Empty(errors);
        using var target = new SqliteEpisodeStore(_dir.File("b.db"));
        var result = target.Import(parsed);
        Assert.Equal((4, 0), (result.Imported, result.Skipped));
        var originals = source.All().ToList();
        var copies = target.All().ToList();
        for (int i = 0; i < 4; i++)
            Samples.AssertSame(originals[i], copies[i]);
        Samples.AssertSame(rich, copies[3]);
        Samples.AssertSameTrace(rich.Trace, copies[3].Trace);
        Assert.Contains("\"anomaly_events\":[{\"kind\":\"grasp_missed\",\"robot_time_s\":1.96,", lines[3]);
        Assert.Contains("\"policy\":{\"file\":\"pick_place.onnx\",\"id\":\"sha256:0123456789abcdef\"}", lines[3]);
        Assert.Contains("\"perturbations\":[{\"object\":\"red_cube\",\"mass\":0.2,\"friction\":0.3},", lines[3]);
        Assert.Empty(copies[0].Perturbations);
        Assert.Equal("hold_speed=0.5", copies[2].Steps[0].Parameters);
        Assert.Null(copies[2].Steps[1].Parameters);
        Assert.Contains("\"parameters\":\"hold_speed=0.5\"", lines[2]);
        Assert.Equal(source.Facts(), target.Facts(), FactComparer.Instance);

        var again = target.Import(parsed);
        Assert.Equal((0, 4), (again.Imported, again.Skipped));
        Assert.Equal(4, target.Count());
    }

    [Fact]
    public void Malformed_jsonl_lines_are_all_reported_by_number()
    {
        var good = EpisodeJsonl.ToLine(PickPlace("red_cube", true, 0));
        var text = string.Join("\n",
            good,
            "{not json",
            good.Replace("\"Succeeded\"", "\"Exploded\""),
            "",
            good.Replace("\"instruction\":", "\"instruktion\":"),
            "[1,2,3]",
            good.Replace("\"started_at\":\"", "\"started_at\":\"yesterday"));

        var (episodes, errors) = EpisodeJsonl.Parse(new StringReader(text));

        Assert.Single(episodes);
        Assert.Equal(5, errors.Count);
        Assert.StartsWith("line 2:", errors[0]);
        Assert.StartsWith("line 3:", errors[1]);
        Assert.Contains("Exploded", errors[1]);
        Assert.StartsWith("line 5:", errors[2]);
        Assert.StartsWith("line 6:", errors[3]);
        Assert.StartsWith("line 7:", errors[4]);
        Assert.Contains("started_at", errors[4]);
    }

    [Fact]
    public void Malformed_scene_anomaly_policy_or_trace_fields_are_reported_by_line()
    {
        var good = EpisodeJsonl.ToLine(Samples.Rich());
        var trace = System.Text.Json.Nodes.JsonNode.Parse(good)!["trace"]!.GetValue<string>();
        var text = string.Join("\n",
            good,
            good.Replace(trace, "bm90IGEgdHJhY2U="),
            good.Replace(trace, "%%%"),
            good.Replace("\"name\":\"red_cube\"", "\"name\":null"),
            good.Replace("\"robot_time_s\":1.96,", ""),
            good.Replace("\"file\":\"pick_place.onnx\",", ""));

        var (episodes, errors) = EpisodeJsonl.Parse(new StringReader(text));

        Assert.Single(episodes);
        Assert.Equal(["line 2:", "line 3:", "line 4:", "line 5:", "line 6:"], errors.Select(e => e[..7]));
        Assert.Contains("CBTR", errors[0]);
        Assert.Contains("base64", errors[1]);
    }

    [Fact]
    public void The_execution_tree_round_trips_through_jsonl_and_a_malformed_one_is_reported_by_line()
    {
        var rich = Samples.Rich();
        var good = EpisodeJsonl.ToLine(rich);
        Assert.Contains("\"tree\":{\"task\":\"put the red cube in the bin\",\"status\":\"failed\"", good);
        Assert.Equal(rich.Tree, EpisodeJsonl.FromLine(good).Tree);
        Assert.Null(EpisodeJsonl.FromLine(EpisodeJsonl.ToLine(rich with { Tree = null })).Tree);

        const string skipped = "{\"skill\":\"move_home\",\"status\":\"skipped\",\"start_s\":null,\"end_s\":null,\"step\":null}";
        Assert.Contains(skipped, good);
        var text = string.Join("\n",
            good,
            good.Replace(skipped, "null"),
            good.Replace(skipped, "{\"skill\":\"move_home\",\"start_s\":null,\"end_s\":null,\"step\":null}"),
            good.Replace("\"status\":\"repaired\"", "\"status\":null"));
        var (episodes, errors) = EpisodeJsonl.Parse(new StringReader(text));
        Assert.Single(episodes);
        Assert.Equal(["line 2:", "line 3:", "line 4:"], errors.Select(e => e[..7]));
    }

    [Fact]
    public void The_interrupted_flag_round_trips_through_jsonl_and_older_lines_without_it_import_as_not_interrupted()
    {
        using var source = new SqliteEpisodeStore(_dir.File("a.db"));
        source.Append(Samples.Episode(seed: 3) with { Success = false, FailureReason = "interrupted at step 1: the brain vanished", Interrupted = true });
        source.Append(Samples.Episode(seed: 4));
        var lines = source.All().Select(EpisodeJsonl.ToLine).ToList();
        Assert.Contains("\"interrupted\":true", lines[0]);
        Assert.Contains("\"interrupted\":false", lines[1]);

        var (parsed, errors) = EpisodeJsonl.Parse(new StringReader(string.Join("\n", lines)));
        Assert.Empty(errors);
        using var target = new SqliteEpisodeStore(_dir.File("b.db"));
        Assert.Equal(2, target.Import(parsed).Imported);
        var copies = target.All().ToList();
        Assert.True(copies[0].Interrupted);
        Assert.False(copies[1].Interrupted);
        Samples.AssertSame(source.All().First(), copies[0]);

        // a line exported before schema 7 has no such field; a wrong type is reported by line
        var old = lines[0].Replace(",\"interrupted\":true", "");
        Assert.DoesNotContain("interrupted\":", old);
        var (olds, oldErrors) = EpisodeJsonl.Parse(new StringReader(old + "\n" + lines[0].Replace("\"interrupted\":true", "\"interrupted\":\"yes\"")));
        Assert.False(Assert.Single(olds).Interrupted);
        Assert.StartsWith("line 2:", Assert.Single(oldErrors));
    }

    [Fact]
    public void Malformed_perturbations_are_reported_by_line_naming_the_problem()
    {
        var good = EpisodeJsonl.ToLine(Samples.Rich());
        const string red = "{\"object\":\"red_cube\",\"mass\":0.2,\"friction\":0.3}";
        Assert.Contains(red, good);
        var text = string.Join("\n",
            good,
            good.Replace(red, "{\"object\":\"red_cube\",\"mass\":0.2,\"friction\":0}"),
            good.Replace(red, "{\"object\":\"red_cube\",\"mass\":-1,\"friction\":0.3}"),
            good.Replace(red, "{\"object\":\" \",\"mass\":0.2,\"friction\":0.3}"),
            good.Replace(red, "{\"object\":\"red_cube\",\"friction\":0.3}"),
            good.Replace(red, "null"),
            good.Replace(red, "{\"object\":\"red_cube\",\"mass\":\"heavy\",\"friction\":0.3}"));

        var (episodes, errors) = EpisodeJsonl.Parse(new StringReader(text));

        Assert.Single(episodes);
        Assert.Equal(["line 2:", "line 3:", "line 4:", "line 5:", "line 6:", "line 7:"], errors.Select(e => e[..7]));
        Assert.Contains("red_cube has friction 0", errors[0]);
        Assert.Contains("red_cube has mass -1", errors[1]);
        Assert.Contains("has no object", errors[2]);
        Assert.Contains("mass", errors[3]);
        Assert.Contains("perturbations holds null", errors[4]);
    }

    [Fact]
    public void A_failing_import_stores_nothing()
    {
        using var store = new SqliteEpisodeStore(_dir.File("memory.db"));
        store.Append(PickPlace("red_cube", true, 0));
        var batch = new List<EpisodeRecord> { PickPlace("blue_cube", true, 1), PickPlace("green_cube", true, 2) };
        batch.Add(batch[1] with { TaskId = Guid.NewGuid(), Steps = [new StepRecord(0, null!, SkillOutcome.Failed, null, 0, 0)] });

        var ex = Assert.Throws<EpisodeStoreException>(() => store.Import(batch));

        Assert.Contains("Nothing was imported", ex.Message);
        Assert.Equal(1, store.Count());
        Assert.Empty(store.Facts("blue_cube"));

        // The next write folds its facts as usual (no bulk state left behind by the failed import).
        store.Append(PickPlace("yellow_cube", false, 3, "slipped"));
        Assert.Equal(1, store.Facts("yellow_cube").Single(f => f.Skill == "place").Failures);
        Assert.Empty(store.Facts("blue_cube"));
    }

    [Fact]
    public void Stats_counts_episodes_steps_facts_and_top_tasks()
    {
        using var store = new SqliteEpisodeStore(_dir.File("memory.db"));
        store.Append(PickPlace("red_cube", false, 0, "slipped"));
        store.Append(PickPlace("red_cube", true, 5));
        store.Append(PickPlace("blue_cube", true, 3));

        var s = store.Stats();

        Assert.Equal((3L, 2L, 1L, 6L), (s.Episodes, s.Successes, s.Failures, s.Steps));
        Assert.Equal(SqliteEpisodeStore.SchemaVersion, s.SchemaVersion);
        Assert.Equal(T0, s.FirstStarted);
        Assert.Equal(T0.AddMinutes(5), s.LastStarted);
        Assert.Equal(5, s.Facts); // (red_cube|blue_cube) x (pick|place) and (bin, place)
        Assert.Equal(3, s.Embeddings);
        Assert.True(s.FileBytes > 0);
        Assert.Equal(new TaskStat("put the red cube in the bin", 2, 1), s.TopTasks[0]);
        Assert.Equal(2.0 / 3, s.SuccessRate, 6);
    }

    [Fact]
    public void A_version_1_store_migrates_forward_with_its_episodes_embedded_and_consolidated()
    {
        var path = _dir.File("v1.db");
        var taskIds = new List<Guid>();
        using (var raw = Samples.Raw(path))
        {
            Exec(raw, V1Schema);
            for (int i = 0; i < 3; i++)
            {
                var task = Guid.NewGuid();
                taskIds.Add(task);
                Samples.Scalar(raw,
                    "INSERT INTO episodes (task_id, instruction, seed, started_at, duration_s, success, failure_reason, planner, plan_json, " +
                    $"anomalies_json, plan_latency_ms, controller_version) VALUES ('{task:D}', 'put the red cube in the bin', {i}, " +
                    $"'2026-01-0{i + 1}T10:00:00.0000000+01:00', 12.5, {(i == 1 ? 0 : 1)}, {(i == 1 ? "'slipped'" : "NULL")}, 'rule', " +
                    "'[\"pick(red_cube)\",\"place(red_cube, bin)\"]', '[]', 1.5, '0.1.0')");
                long id = i + 1;
                Samples.Scalar(raw, $"INSERT INTO episode_steps VALUES ({id}, 0, 'pick(red_cube)', 'Succeeded', NULL, 0, 2)");
                Samples.Scalar(raw, $"INSERT INTO episode_steps VALUES ({id}, 1, 'place(red_cube, bin)', '{(i == 1 ? "Failed" : "Succeeded")}', " +
                                    $"{(i == 1 ? "'slipped'" : "NULL")}, 2, 3)");
            }
        }

        var ro = Assert.Throws<EpisodeStoreException>(() => new SqliteEpisodeStore(path, readOnly: true));
        Assert.Contains("schema version 1", ro.Message);
        Assert.Contains("open it once read-write", ro.Message);

        using (var store = new SqliteEpisodeStore(path))
        {
            Assert.Equal(SqliteEpisodeStore.SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), store.Pragma("user_version"));
            Assert.Equal(3, store.Count());
            Assert.Equal(taskIds, store.All().Select(e => e.TaskId));
            Assert.Equal(2, store.Get(2)!.Steps.Length);
            var place = store.Facts("red_cube").Single(f => f.Skill == "place");
            Assert.Equal((2, 1), (place.Successes, place.Failures));
            Assert.Equal(["slipped"], place.RecentFailureReasons.AsEnumerable());
            Assert.Equal(3, store.Stats().Embeddings);
            Assert.Equal([2L], store.Query(new RecallFilter(Object: "red_cube", Since: new DateTimeOffset(2026, 1, 2, 0, 0, 0, TimeSpan.Zero),
                Until: new DateTimeOffset(2026, 1, 3, 0, 0, 0, TimeSpan.Zero)), 10).Select(e => e.Id));
            long next = store.Append(PickPlace("red_cube", true, 0));
            Assert.Equal(4, next);
        }
        using (var reader = new SqliteEpisodeStore(path, readOnly: true))
            Assert.Equal(4, reader.LoadIndex().Count);
    }

    [Fact]
    public void A_version_2_store_migrates_forward_and_its_steps_read_back_with_default_parameters()
    {
        var path = _dir.File("v2.db");
        var task = Guid.NewGuid();
        using (var raw = Samples.Raw(path))
        {
            Exec(raw, V2Schema);
            Samples.Scalar(raw,
                "INSERT INTO episodes (task_id, instruction, seed, started_at, duration_s, success, failure_reason, planner, plan_json, " +
                "anomalies_json, plan_latency_ms, controller_version, started_unix_ms, objects, stored_at) VALUES " +
                $"('{task:D}', 'put the red cube in the bin', 3, '2026-01-01T10:00:00.0000000+01:00', 12.5, 1, NULL, 'rule', " +
                "'[\"pick(red_cube)\",\"place(red_cube, bin)\"]', '[\"tracking_error: 0.2 rad\"]', 1.5, '0.1.0', 1767258000000, ' bin red_cube ', " +
                "'2026-01-01T09:00:01.0000000+00:00')");
            Samples.Scalar(raw, "INSERT INTO episode_steps VALUES (1, 0, 'pick(red_cube)', 'Succeeded', NULL, 0, 2)");
            Samples.Scalar(raw, "INSERT INTO episode_steps VALUES (1, 1, 'place(red_cube, bin)', 'Succeeded', NULL, 2, 3)");
        }

        var ro = Assert.Throws<EpisodeStoreException>(() => new SqliteEpisodeStore(path, readOnly: true));
        Assert.Contains("schema version 2", ro.Message);

        using (var store = new SqliteEpisodeStore(path))
        {
            Assert.Equal(SqliteEpisodeStore.SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), store.Pragma("user_version"));
            // Version 4 recomputed the semantic tier from the stored steps (facts per tuning).
            Assert.Equal(1, store.Facts("red_cube").Single(f => f.Skill == "pick").Successes);
            var old = store.Get(1)!;
            Assert.Equal(task, old.TaskId);
            Assert.Equal(["tracking_error: 0.2 rad"], old.Anomalies.AsEnumerable());
            Assert.Equal(2, old.Steps.Length);
            Assert.All(old.Steps, s => Assert.Null(s.Parameters));
            var tuned = PickPlace("red_cube", true, 1);
            long id = store.Append(tuned with { Steps = [tuned.Steps[0] with { Parameters = "grasp_depth=0.02" }, tuned.Steps[1]] });
            Assert.Equal(2, id);
            Assert.Equal("grasp_depth=0.02", store.Get(id)!.Steps[0].Parameters);
        }
        using var reader = new SqliteEpisodeStore(path, readOnly: true);
        Assert.Equal(2, reader.Count());
        Assert.Null(reader.Get(1)!.Steps[0].Parameters);
    }

    [Fact]
    public void A_failing_migration_rolls_back_to_version_1_untouched()
    {
        var path = _dir.File("v1.db");
        using (var raw = Samples.Raw(path))
        {
            Exec(raw, V1Schema);
            // A version-1 row whose started_at cannot be parsed: the backfill throws mid-way.
            Samples.Scalar(raw, "INSERT INTO episodes (task_id, instruction, seed, started_at, success, planner, plan_json, anomalies_json, " +
                                $"controller_version) VALUES ('{Guid.NewGuid():D}', 'x', 1, 'not a time', 1, 'rule', '[]', '[]', '0.1')");
        }

        var ex = Assert.Throws<EpisodeStoreException>(() => new SqliteEpisodeStore(path));

        Assert.Contains("rolled back", ex.Message);
        using var check = Samples.Raw(path, SqliteOpenMode.ReadOnly);
        Assert.Equal(1L, Samples.Scalar(check, "PRAGMA user_version"));
        Assert.Equal(0L, Samples.Scalar(check, "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('episode_embeddings', 'semantic_facts')"));
        Assert.Equal(1L, Samples.Scalar(check, "SELECT COUNT(*) FROM episodes"));
    }

    [Fact]
    public void A_version_7_store_migrates_to_8_keeping_its_episodes_and_then_stores_execution_trees()
    {
        var path = _dir.File("v7.db");
        var rich = Samples.Rich();
        using (var store = new SqliteEpisodeStore(path))
            store.Append(rich);
        // Version 7 is version 8 without the tree column.
        using (var raw = Samples.Raw(path))
            Exec(raw, "ALTER TABLE episodes DROP COLUMN tree_json; PRAGMA user_version = 7;");

        var ro = Assert.Throws<EpisodeStoreException>(() => new SqliteEpisodeStore(path, readOnly: true));
        Assert.Contains("schema version 7", ro.Message);

        using (var store = new SqliteEpisodeStore(path))
        {
            Assert.Equal("8", store.Pragma("user_version"));
            Samples.AssertSame(rich with { Tree = null }, store.Get(1)!);
            long id = store.Append(Samples.Rich(seed: 12));
            Assert.Equal(rich.Tree, store.Get(id)!.Tree);
            Assert.Equal(NodeStatus.Repaired, store.Get(id)!.Tree!.Subgoals[0].Status);
            // no plan, no tree: NULL reads back null
            long none = store.Append(Samples.Episode("go home", 13));
            Assert.Null(store.Get(none)!.Tree);
        }
        // a tree column this code cannot read is reported, naming the episode
        using (var raw = Samples.Raw(path))
            Exec(raw, "UPDATE episodes SET tree_json = '{\"task\":\"t\",\"status\":\"failed\",\"start_s\":0,\"end_s\":1,\"subgoals\":[null]}' WHERE id = 2;");
        using var reader = new SqliteEpisodeStore(path, readOnly: true);
        Assert.Throws<EpisodeStoreException>(() => reader.Get(2));
    }

    [Fact]
    public void A_version_5_store_migrates_keeping_its_episodes_and_then_stores_goals()
    {
        var path = _dir.File("v5.db");
        var rich = Samples.Rich();
        using (var store = new SqliteEpisodeStore(path))
            store.Append(rich);
        // Version 5 is version 6 without the goal column (and version 7's interrupted column).
        using (var raw = Samples.Raw(path))
            Exec(raw, "UPDATE episodes SET goal_json = NULL; ALTER TABLE episodes DROP COLUMN goal_json; ALTER TABLE episodes DROP COLUMN interrupted; ALTER TABLE episodes DROP COLUMN tree_json; PRAGMA user_version = 5;");

        var ro = Assert.Throws<EpisodeStoreException>(() => new SqliteEpisodeStore(path, readOnly: true));
        Assert.Contains("schema version 5", ro.Message);

        using (var store = new SqliteEpisodeStore(path))
        {
            Assert.Equal(SqliteEpisodeStore.SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), store.Pragma("user_version"));
            var old = store.Get(1)!;
            Samples.AssertSame(rich with { Goal = [], Unmet = [], Tree = null }, old);
            long id = store.Append(Samples.Rich(seed: 12));
            Assert.Equal(["in(red_cube, bin)", "on(green_cube, blue_cube)"], store.Get(id)!.Goal.AsEnumerable());
            Assert.Equal(["in(red_cube, bin)"], store.Get(id)!.Unmet.AsEnumerable());
            // no goal, no column value: "go home" stores NULL and reads back empty
            long none = store.Append(Samples.Episode("go home", 13));
            Assert.Empty(store.Get(none)!.Goal);
        }
    }

    [Fact]
    public void A_version_6_store_migrates_its_episodes_not_interrupted_and_then_stores_an_interrupted_one()
    {
        var path = _dir.File("v6.db");
        using (var store = new SqliteEpisodeStore(path))
            store.Append(Samples.Rich());
        using (var raw = Samples.Raw(path))
            Exec(raw, "ALTER TABLE episodes DROP COLUMN interrupted; ALTER TABLE episodes DROP COLUMN tree_json; PRAGMA user_version = 6;");

        using var migrated = new SqliteEpisodeStore(path);
        Assert.Equal(SqliteEpisodeStore.SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), migrated.Pragma("user_version"));
        Assert.False(migrated.Get(1)!.Interrupted);
        Assert.NotEmpty(migrated.Get(1)!.Goal);
        long id = migrated.Append(Samples.Episode(seed: 3) with { Success = false, FailureReason = "interrupted at step 1: the brain vanished", Interrupted = true });
        var back = migrated.Get(id)!;
        Assert.True(back.Interrupted);
        Assert.False(back.Success);
        Assert.True(migrated.Recent(5).Single(e => e.Id == id).Interrupted);
    }

    [Fact]
    public void A_version_4_store_migrates_to_5_keeping_its_episodes_and_then_stores_perturbations()
    {
        var path = _dir.File("v4.db");
        var rich = Samples.Rich();
        using (var store = new SqliteEpisodeStore(path))
            store.Append(rich);
        // Version 4 is version 5 without the perturbations column (and the later goal and interrupted columns).
        using (var raw = Samples.Raw(path))
            Exec(raw, "UPDATE episodes SET goal_json = NULL; ALTER TABLE episodes DROP COLUMN goal_json; ALTER TABLE episodes DROP COLUMN interrupted; ALTER TABLE episodes DROP COLUMN tree_json; ALTER TABLE episodes DROP COLUMN perturbations_json; PRAGMA user_version = 4;");

        var ro = Assert.Throws<EpisodeStoreException>(() => new SqliteEpisodeStore(path, readOnly: true));
        Assert.Contains("schema version 4", ro.Message);

        using (var store = new SqliteEpisodeStore(path))
        {
            Assert.Equal(SqliteEpisodeStore.SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture), store.Pragma("user_version"));
            var old = store.Get(1)!;
            Samples.AssertSame(rich with { Perturbations = [], Goal = [], Unmet = [], Tree = null }, old);
            Samples.AssertSameTrace(rich.Trace, old.Trace);
            long id = store.Append(Samples.Rich(seed: 12));
            Assert.Equal(rich.Perturbations.AsEnumerable(), store.Get(id)!.Perturbations.AsEnumerable());
        }
    }

    [Fact]
    public void A_malformed_stored_perturbation_is_reported_with_the_store()
    {
        var path = _dir.File("memory.db");
        using (var store = new SqliteEpisodeStore(path))
            store.Append(Samples.Rich());
        using (var raw = Samples.Raw(path))
            Exec(raw, "UPDATE episodes SET perturbations_json = '[{\"object\":\"red_cube\",\"mass\":0,\"friction\":0.3}]'");

        using var reader = new SqliteEpisodeStore(path, readOnly: true);
        var ex = Assert.Throws<EpisodeStoreException>(() => reader.Get(1));

        Assert.Contains(path, ex.Message);
        Assert.Contains("red_cube has mass 0", ex.Message);
    }

    private static void Exec(SqliteConnection c, string sql)
    {
        using var cmd = c.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    /// <summary>Schema version 1 exactly as the walking skeleton shipped it.</summary>
    internal static readonly string V1Schema = $"""
        PRAGMA application_id = {SqliteEpisodeStore.ApplicationId};
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
        PRAGMA user_version = 1;
        """;

    /// <summary>Schema version 2 exactly as shipped: version 1 plus recall and consolidation.</summary>
    internal static readonly string V2Schema = V1Schema.Replace("PRAGMA user_version = 1;", "", StringComparison.Ordinal) + """
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
        PRAGMA user_version = 2;
        """;

    private sealed class FactComparer : IEqualityComparer<SemanticFact>
    {
        public static readonly FactComparer Instance = new();

        public bool Equals(SemanticFact? x, SemanticFact? y) =>
            x is not null && y is not null &&
            x with { RecentFailureReasons = [] } == y with { RecentFailureReasons = [] } &&
            x.RecentFailureReasons.SequenceEqual(y.RecentFailureReasons);

        public int GetHashCode(SemanticFact obj) => HashCode.Combine(obj.Object, obj.Skill);
    }
}
