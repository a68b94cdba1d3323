using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using CortexBot.Hippocampus.Recall;

namespace CortexBot.Hippocampus.Tests;

public sealed class HippocampusActorTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly TempDir _dir = new();
    private readonly SqliteEpisodeStore _store;

    public HippocampusActorTests() => _store = new SqliteEpisodeStore(_dir.File("memory.db"));

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _store.Dispose();
            _dir.Dispose();
        }
    }

    [Fact]
    public void StoreEpisode_replies_EpisodeStored_with_the_new_id()
    {
        var hippocampus = Sys.ActorOf(HippocampusActor.Props(_store));
        var episode = Samples.Episode();

        hippocampus.Tell(new StoreEpisode(episode), TestActor);

        var stored = ExpectMsg<EpisodeStored>();
        Assert.Equal(episode.TaskId, stored.TaskId);
        Samples.AssertSame(episode, _store.Get(stored.Id));
    }

    [Fact]
    public void StoreEpisode_replies_EpisodeStoreFailed_and_keeps_serving()
    {
        var hippocampus = Sys.ActorOf(HippocampusActor.Props(_store));
        var episode = Samples.Episode();
        hippocampus.Tell(new StoreEpisode(episode), TestActor);
        ExpectMsg<EpisodeStored>();

        hippocampus.Tell(new StoreEpisode(episode), TestActor); // duplicate task id

        var failed = ExpectMsg<EpisodeStoreFailed>();
        Assert.Equal(episode.TaskId, failed.TaskId);
        Assert.Contains("already stored", failed.Reason);

        var next = Samples.Episode("next");
        hippocampus.Tell(new StoreEpisode(next), TestActor);
        Assert.Equal(next.TaskId, ExpectMsg<EpisodeStored>().TaskId);
    }

    [Fact]
    public void RecallPlanFor_answers_plans_of_successful_episodes_of_that_goal_structure_without_anomalies()
    {
        var hippocampus = Sys.ActorOf(HippocampusActor.Props(_store));
        EpisodeRecord Put(string cube, bool anomaly = false) => Samples.Episode() with
        {
            Goal = [$"in({cube}, bin)"],
            Plan = [$"pick({cube})", $"place({cube}, bin)"],
            Anomalies = anomaly ? ["object_dropped: slipped"] : [],
        };
        long red = _store.Append(Put("red_cube"));
        _store.Append(Put("green_cube", anomaly: true)); // a plan and its replan in one list: not offered
        long blue = _store.Append(Put("blue_cube"));

        hippocampus.Tell(new RecallPlanFor("in(?o1, ?c1)", 5), TestActor);

        var plans = ExpectMsg<PlansRecalled>().Plans;
        Assert.Equal([blue, red], plans.Select(p => p.EpisodeId));
        Assert.Equal(["pick(blue_cube)", "place(blue_cube, bin)"], plans[0].Plan.Describe().AsEnumerable());
        Assert.Equal("in(blue_cube, bin)", plans[0].Goal.ToString());

        hippocampus.Tell(new RecallPlanFor("on(?o1, ?o2)", 5), TestActor);
        Assert.Empty(ExpectMsg<PlansRecalled>().Plans);
    }

    [Fact]
    public void A_throwing_store_is_answered_not_escalated()
    {
        var hippocampus = Sys.ActorOf(HippocampusActor.Props(new BrokenStore()));
        Watch(hippocampus);
        var episode = Samples.Episode();

        hippocampus.Tell(new StoreEpisode(episode), TestActor);
        var failed = ExpectMsg<EpisodeStoreFailed>();
        Assert.Equal(episode.TaskId, failed.TaskId);
        Assert.Equal("disk on fire", failed.Reason);

        hippocampus.Tell(new RecallSimilar("anything", 3), TestActor);
        Assert.Empty(ExpectMsg<Recalled>().Episodes);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // no Terminated: it did not stop
    }

    [Fact]
    public void RecallSimilar_ranks_by_similarity_then_recency()
    {
        long Put(string instruction, bool success = true) =>
            _store.Append(Samples.Episode(instruction, success: success, failureReason: success ? null : "dropped it"));
        long redOld = Put("put the red cube in the bin", success: false);
        long stack = Put("stack the blue block on the green block");
        long green = Put("put the green cube in the bin");
        long wave = Put("wave hello");
        long redNew = Put("Put the RED cube into the bin!");
        var hippocampus = Sys.ActorOf(HippocampusActor.Props(_store));

        hippocampus.Tell(new RecallSimilar("put the red cube in the box", 3), TestActor);

        var recalled = ExpectMsg<Recalled>().Episodes;
        Assert.Equal(3, recalled.Length);
        Assert.Equal([redNew, redOld], recalled.Take(2).Select(e => e.Id).Order().Reverse()); // both red-cube episodes first
        Assert.Equal(green, recalled[2].Id); // then the other cube in the bin
        Assert.DoesNotContain(stack, recalled.Select(e => e.Id));
        Assert.DoesNotContain(wave, recalled.Select(e => e.Id));
        var old = recalled.Single(e => e.Id == redOld);
        Assert.Equal("put the red cube in the bin", old.Instruction);
        Assert.False(old.Success);
        Assert.Equal("dropped it", old.FailureReason);
        Assert.Equal("skill_0(red_cube, bin); skill_1(red_cube, bin)", old.Plan);

        hippocampus.Tell(new RecallSimilar("wave hello to me", 1), TestActor);
        Assert.Equal([wave], ExpectMsg<Recalled>().Episodes.Select(e => e.Id));

        hippocampus.Tell(new RecallSimilar("put the red cube", 0), TestActor);
        Assert.Empty(ExpectMsg<Recalled>().Episodes);
    }

    [Fact]
    public void Identical_instructions_tie_and_the_newest_comes_first()
    {
        var ids = Enumerable.Range(0, 4).Select(_ => _store.Append(Samples.Episode("put the red cube in the bin"))).ToList();
        var hippocampus = Sys.ActorOf(HippocampusActor.Props(_store));

        hippocampus.Tell(new RecallSimilar("put the red cube in the bin", 4), TestActor);

        Assert.Equal(ids.AsEnumerable().Reverse(), ExpectMsg<Recalled>().Episodes.Select(e => e.Id));
    }

    [Fact]
    public void Episodes_stored_through_the_actor_are_recalled_without_a_restart()
    {
        _store.Append(Samples.Episode("wave hello"));
        var hippocampus = Sys.ActorOf(HippocampusActor.Props(_store));
        hippocampus.Tell(new RecallSimilar("stack the blue block", 5), TestActor);
        Assert.Single(ExpectMsg<Recalled>().Episodes);

        var stack = Samples.Episode("stack the blue block on the green block");
        hippocampus.Tell(new StoreEpisode(stack), TestActor);
        long id = ExpectMsg<EpisodeStored>().Id;

        hippocampus.Tell(new RecallSimilar("stack the blue block", 5), TestActor);
        var recalled = ExpectMsg<Recalled>().Episodes;
        Assert.Equal(2, recalled.Length);
        Assert.Equal(id, recalled[0].Id);
    }

    [Fact]
    public void RecallSimilar_applies_task_object_outcome_and_time_filters()
    {
        var t0 = new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
        long Put(string instruction, string obj, bool success, int day)
        {
            var e = Samples.Episode(instruction, success: success, failureReason: success ? null : "slipped") with
            {
                StartedAt = t0.AddDays(day),
                Plan = [$"pick({obj})", $"place({obj}, bin)"],
            };
            return _store.Append(e);
        }
        long redFail = Put("put the red cube in the bin", "red_cube", false, 0);
        long redOk = Put("put the red cube in the bin", "red_cube", true, 1);
        long blueOk = Put("put the blue cube in the bin", "blue_cube", true, 2);
        long redLate = Put("move the red cube to the bin", "red_cube", true, 3);
        var hippocampus = Sys.ActorOf(HippocampusActor.Props(_store));

        IEnumerable<long> Ask(RecallFilter f)
        {
            hippocampus.Tell(new RecallSimilar("put the red cube in the bin", 10, f), TestActor);
            return ExpectMsg<Recalled>().Episodes.Select(e => e.Id).Order();
        }

        Assert.Equal([redFail, redOk, blueOk, redLate], Ask(RecallFilter.None));
        Assert.Equal([redFail, redOk, redLate], Ask(new RecallFilter(Object: "red_cube")));
        Assert.Equal([redFail], Ask(new RecallFilter(Object: "RED_CUBE", Success: false)));
        Assert.Equal([redOk, blueOk, redLate], Ask(new RecallFilter(Success: true)));
        Assert.Equal([redLate], Ask(new RecallFilter(Task: "MOVE the")));
        Assert.Equal([redOk, blueOk], Ask(new RecallFilter(Since: t0.AddDays(1), Until: t0.AddDays(3))));
        Assert.Empty(Ask(new RecallFilter(Object: "green_cube")));
    }

    [Fact]
    public void RecallFacts_answers_the_semantic_tier()
    {
        _store.Append(Samples.Episode(steps: 2, success: false, failureReason: "slipped"));
        var hippocampus = Sys.ActorOf(HippocampusActor.Props(_store));

        hippocampus.Tell(new RecallFacts("red_cube"), TestActor);

        var facts = ExpectMsg<FactsRecalled>().Facts;
        Assert.Equal(["skill_0", "skill_1"], facts.Select(f => f.Skill));
        Assert.All(facts, f => Assert.Equal("red_cube", f.Object));
        Assert.Equal(1, facts[0].Successes);
        Assert.Equal(1, facts[1].Failures);
        Assert.Equal(["detail 1"], facts[1].RecentFailureReasons.AsEnumerable());

        var plain = Sys.ActorOf(HippocampusActor.Props(new BrokenStore()));
        plain.Tell(new RecallFacts(null), TestActor);
        Assert.Empty(ExpectMsg<FactsRecalled>().Facts);
    }

    [Fact]
    public void The_recall_graph_is_saved_beside_the_store_and_a_restarted_actor_loads_it()
    {
        for (int i = 0; i < 60; i++)
            _store.Append(Samples.Episode($"put cube {i} in the bin"));
        var options = new RecallIndexOptions(ApproximateThreshold: 50);
        var graph = _dir.File("memory.db") + ".hnsw";
        var first = Sys.ActorOf(HippocampusActor.Props(_store, 200, recall: options));
        AwaitCondition(() => File.Exists(graph + ".json"), TimeSpan.FromMinutes(1));
        Watch(first);
        Sys.Stop(first);
        ExpectTerminated(first);
        var saved = File.ReadAllBytes(graph);

        var second = Sys.ActorOf(HippocampusActor.Props(_store, 200, recall: options));
        EventFilter.Info(contains: "loaded from its saved graph over 60 episodes").ExpectOne(TimeSpan.FromMinutes(1), () =>
        {
            // The build reports on the first recall after it completes; recalls keep coming until then.
            for (int i = 0; i < 30; i++)
            {
                second.Tell(new RecallSimilar("put cube 7 in the bin", 1), TestActor);
                Assert.Single(ExpectMsg<Recalled>().Episodes);
                Thread.Sleep(100);
            }
        });
        Assert.Equal(saved, File.ReadAllBytes(graph)); // nothing new, so nothing rewritten
    }

    private sealed class BrokenStore : IEpisodeStore
    {
        public string Location => "/nowhere";
        public long Append(EpisodeRecord episode) => throw new EpisodeStoreException("disk on fire");
        public EpisodeRecord? Get(long id) => throw new EpisodeStoreException("disk on fire");
        public IReadOnlyList<EpisodeRecord> Recent(int limit) => throw new EpisodeStoreException("disk on fire");
        public long Count() => throw new EpisodeStoreException("disk on fire");
        public void Dispose() { }
    }
}
