using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

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
    public void A_throwing_store_is_answered_not_escalated()
    {
        var hippocampus = Sys.ActorOf(HippocampusActor.Props(new BrokenStore()));
        Watch(hippocampus);
        var episode = Samples.Episode();

        hippocampus.Tell(new StoreEpisode(episode), TestActor);
        var failed = ExpectMsg<EpisodeStoreFailed>();
        Assert.Equal(episode.TaskId, failed.TaskId);
        Assert.Equal("disk on fire", failed.Reason);

        hippocampus.Tell(new RecallRecent("anything", 3), TestActor);
        Assert.Empty(ExpectMsg<Recalled>().Episodes);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100)); // no Terminated: it did not stop
    }

    [Fact]
    public void RecallRecent_prefers_shared_words_then_recency()
    {
        long Put(string instruction, bool success = true) =>
            _store.Append(Samples.Episode(instruction, success: success, failureReason: success ? null : "dropped it"));
        long redOld = Put("put the red cube in the bin", success: false);
        long stack = Put("stack the blue block on the green block");
        long green = Put("put the green cube in the bin");
        long wave = Put("wave hello");
        long redNew = Put("Put the RED cube into the bin!");
        var hippocampus = Sys.ActorOf(HippocampusActor.Props(_store));

        hippocampus.Tell(new RecallRecent("put the red cube in the box", 4), TestActor);

        var recalled = ExpectMsg<Recalled>().Episodes;
        Assert.Equal([redNew, redOld, green, wave], recalled.Select(e => e.Id)); // no overlap left: newest next
        Assert.DoesNotContain(stack, recalled.Select(e => e.Id));
        var old = recalled[1];
        Assert.Equal("put the red cube in the bin", old.Instruction);
        Assert.False(old.Success);
        Assert.Equal("dropped it", old.FailureReason);
        Assert.Equal("skill_0(red_cube, bin); skill_1(red_cube, bin)", old.Plan);

        hippocampus.Tell(new RecallRecent("something unrelated", 2), TestActor);
        Assert.Equal([redNew, wave], ExpectMsg<Recalled>().Episodes.Select(e => e.Id)); // plain recency

        hippocampus.Tell(new RecallRecent("put the red cube", 0), TestActor);
        Assert.Empty(ExpectMsg<Recalled>().Episodes);
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
