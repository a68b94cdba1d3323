using System.Collections.Concurrent;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

namespace CortexBot.Hippocampus.Tests;

/// <summary>
/// What every <see cref="IEpisodeStore"/> must do, run against each implementation (SQLite here, PostgreSQL in
/// CortexBot.Hippocampus.Postgres.Tests, which compiles this file too).
/// </summary>
public abstract class EpisodeStoreContract
{
    /// <summary>Opens the store under test; called again to reopen the same memory.</summary>
    protected abstract IEpisodeStore Open();

    /// <summary>A remembered safety review as the cortex makes one.</summary>
    public static Core.Safety.SafetyFact SafetyFact(string key, Guid task, Core.Safety.SafetyDecision decision = Core.Safety.SafetyDecision.Modify, long at = 1_780_000_000_000) =>
        new(key, "0123456789abcdef", ["hazard_words.knife: 'knife' in the instruction and no rule of the policy covers it"], "plan pick(red_cube), place(red_cube, bin)\n",
            new Core.Safety.ReviewVerdict(decision, "slow near the knife — «vorsichtig»", decision == Core.Safety.SafetyDecision.Modify ? 0.05 : null),
            "llama:tiny.gguf", 123.456, task, DateTimeOffset.FromUnixTimeMilliseconds(at));

    [Fact]
    public void Contract_safety_reviews_are_remembered_by_case_replaced_by_a_later_review_and_listed_by_task()
    {
        using var store = Open();
        if (store is not IEpisodeMemory memory) return;
        var task = Guid.NewGuid();
        var first = SafetyFact("case-a", task);
        memory.RememberSafetyFact(first);
        memory.RememberSafetyFact(SafetyFact("case-b", Guid.NewGuid(), Core.Safety.SafetyDecision.Refuse, at: 1_780_000_000_500));
        Assert.Equal(first, memory.SafetyFacts(task).Single());
        Assert.Equal(["case-b", "case-a"], memory.SafetyFacts().Select(f => f.CaseKey));
        Assert.Equal(["case-b"], memory.SafetyFacts(limit: 1).Select(f => f.CaseKey));
        // the same case reviewed again (another task) replaces the fact
        var again = SafetyFact("case-a", Guid.NewGuid(), Core.Safety.SafetyDecision.Allow, at: 1_780_000_001_000);
        memory.RememberSafetyFact(again);
        Assert.Empty(memory.SafetyFacts(task));
        Assert.Equal(again, memory.SafetyFacts().First());
        Assert.Equal(2, memory.SafetyFacts().Count);
        Assert.Throws<ArgumentException>(() => memory.RememberSafetyFact(SafetyFact("", task)));
        // kept across reopening
        using var reopened = (IEpisodeMemory)Open();
        Assert.Equal(again, reopened.SafetyFacts().First());
    }

    [Fact]
    public void Contract_full_episode_round_trips()
    {
        var episode = new EpisodeRecord(
            TaskId: Guid.NewGuid(),
            Instruction: "stack the blue block on the green one — «vorsichtig» 🤖",
            Seed: -42,
            StartedAt: new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.FromMinutes(-330)).AddTicks(1234567),
            DurationS: 37.125,
            Success: false,
            FailureReason: "grasp slipped at step 2",
            Planner: "llm:qwen",
            Plan: ["pick(blue_block)", "place(blue_block, green_block)", "retreat()"],
            Steps:
            [
                new StepRecord(0, "pick(blue_block)", SkillOutcome.Succeeded, null, 0.0, 4.5, Parameters: "hold_speed=0.5;grasp_depth=0.012"),
                new StepRecord(1, "place(blue_block, green_block)", SkillOutcome.Failed, "object dropped", 4.5, 2.25),
                new StepRecord(1, "place(blue_block, green_block)", SkillOutcome.Aborted, "", 6.75, double.NaN),
            ],
            Anomalies: ["force spike 41 N", "object dropped"],
            PlanLatencyMs: 812.5,
            ControllerVersion: "0.1.0+abc123");
        using var store = Open();

        long id = store.Append(episode);

        Assert.True(id > 0);
        var back = store.Get(id);
        Samples.AssertSame(episode, back);
        Assert.Equal(id, back!.Id);
        Assert.Equal(1, store.Count());
        Assert.Null(store.Get(id + 1));
    }

    [Fact]
    public void Contract_successful_episodes_are_found_by_goal_structure_newest_first()
    {
        using var store = Open();
        var memory = Assert.IsAssignableFrom<IEpisodeMemory>(store);
        EpisodeRecord Put(string[] goal, bool success = true) => Samples.Episode(success: success) with { Goal = [.. goal] };
        long older = store.Append(Put(["in(red_cube, bin)", "in(green_cube, bin)"]));
        store.Append(Put(["in(red_cube, bin)", "in(green_cube, bin)"], success: false));
        store.Append(Put(["in(red_cube, bin)", "in(green_cube, box)"])); // another structure: two containers
        store.Append(Put(["on(red_cube, blue_cube)"]));
        store.Append(Samples.Episode()); // no goal
        long newer = store.Append(Put(["in(blue_cube, box)", "in(red_cube, box)"]));

        var structure = Core.Goals.GoalStructure.Of(["in(a, c)", "in(b, c)"])!;
        Assert.Equal([newer, older], memory.SucceededWithGoal(structure, 10).Select(e => e.Id));
        Assert.Equal([newer], memory.SucceededWithGoal(structure, 1).Select(e => e.Id));
        Assert.Equal(["in(blue_cube, box)", "in(red_cube, box)"], memory.SucceededWithGoal(structure, 1)[0].Goal.AsEnumerable());
        Assert.Single(memory.SucceededWithGoal("on(?o1, ?o2)", 10));
        Assert.Empty(memory.SucceededWithGoal("lifted(?o1)", 10));
    }

    [Fact]
    public void Contract_scenes_anomaly_events_policy_and_trace_round_trip()
    {
        using var store = Open();
        var rich = Samples.Rich();
        long plain = store.Append(Samples.Episode());
        long id = store.Append(rich);

        var back = store.Get(id);
        Samples.AssertSame(rich, back);
        Samples.AssertSameTrace(rich.Trace, back!.Trace);
        Assert.Equal(1.2345, back.SceneAtStart[0].Yaw);
        Assert.Equal(0, back.AnomalyEvents[0].Step);
        var old = store.Get(plain)!;
        Assert.Null(old.Trace);
        Assert.Null(old.Policy);
        Assert.Empty(old.SceneAtStart);
        Assert.Empty(old.AnomalyEvents);
        Assert.Empty(old.Perturbations);
        Assert.Equal(0.3, back.Perturbations[0].Friction);
        // Lists stay light: the trace comes with a single-episode read only.
        Assert.Null(store.Recent(1)[0].Trace);
        Samples.AssertSame(rich, store.Recent(1)[0]);
    }

    [Fact]
    public void Contract_recent_is_latest_first_with_steps()
    {
        using var store = Open();
        var episodes = Enumerable.Range(0, 5).Select(i => Samples.Episode($"task {i}", seed: i, steps: i)).ToList();
        var ids = episodes.Select(store.Append).ToList();

        var recent = store.Recent(3);

        Assert.Equal([ids[4], ids[3], ids[2]], recent.Select(e => e.Id));
        Samples.AssertSame(episodes[4], recent[0]);
        Samples.AssertSame(episodes[2], recent[2]);
        Assert.Equal(5, store.Recent(100).Count);
        Assert.Empty(store.Recent(0));
        Assert.Equal(5, store.Count());
        Assert.True(ids.Zip(ids.Skip(1)).All(p => p.First < p.Second));
    }

    [Fact]
    public void Contract_duplicate_task_id_is_refused_and_writes_nothing()
    {
        using var store = Open();
        var first = Samples.Episode(steps: 3);
        long id = store.Append(first);

        var ex = Assert.Throws<EpisodeStoreException>(() => store.Append(first with { Instruction = "again" }));

        Assert.Contains(first.TaskId.ToString(), ex.Message);
        Assert.Contains("already stored", ex.Message);
        Assert.Equal(1, store.Count());
        Samples.AssertSame(first, store.Get(id));
    }

    [Fact]
    public void Contract_a_failure_mid_append_stores_nothing_and_the_store_stays_usable()
    {
        using var store = Open();
        store.Append(Samples.Episode(steps: 2));
        var good = Samples.Episode(steps: 4);
        var broken = good with { Steps = good.Steps.SetItem(2, good.Steps[2] with { Skill = null! }) };

        var ex = Assert.Throws<EpisodeStoreException>(() => store.Append(broken));

        Assert.Contains("Nothing of it was written", ex.Message);
        Assert.Equal(1, store.Count());
        Assert.DoesNotContain(store.Recent(10), e => e.TaskId == good.TaskId);
        long id = store.Append(good);
        Samples.AssertSame(good, store.Get(id));
        Assert.Equal(2, store.Count());
    }

    [Fact]
    public void Contract_reopening_keeps_everything_and_ids_keep_growing()
    {
        var a = Samples.Episode("first");
        long idA;
        using (var store = Open())
            idA = store.Append(a);
        using (var store = Open())
        {
            Samples.AssertSame(a, store.Get(idA));
            Assert.True(store.Append(Samples.Episode("second")) > idA);
            Assert.Equal(2, store.Count());
        }
    }

    [Fact]
    public void Contract_concurrent_appends_are_all_stored_whole()
    {
        using var store = Open();
        var ids = new ConcurrentBag<(long Id, EpisodeRecord Episode)>();
        Parallel.For(0, 4, new ParallelOptions { MaxDegreeOfParallelism = 4 }, t =>
        {
            for (int i = 0; i < 10; i++)
            {
                var e = Samples.Episode($"thread {t} episode {i}", seed: t * 100 + i, steps: 1 + i % 3);
                ids.Add((store.Append(e), e));
            }
        });

        Assert.Equal(40, store.Count());
        Assert.Equal(40, ids.Select(x => x.Id).Distinct().Count());
        foreach (var (id, e) in ids)
            Samples.AssertSame(e, store.Get(id));
    }
}
