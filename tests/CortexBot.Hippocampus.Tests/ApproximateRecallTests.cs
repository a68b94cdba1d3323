using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using CortexBot.Hippocampus.Recall;

namespace CortexBot.Hippocampus.Tests;

public sealed class ApproximateRecallTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(3);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Synthetic episodes embedded by the default embedder, ids 1..n, in an exact index.</summary>
    private static (EpisodeVectorIndex Index, List<EpisodeRecord> Episodes) Exact(int n, int seed = 7, IEpisodeEmbedder? embedder = null)
    {
        embedder ??= HashingEpisodeEmbedder.Default;
        var rnd = new Random(seed);
        var index = new EpisodeVectorIndex(embedder.Dimension, n);
        var episodes = new List<EpisodeRecord>(n);
        var v = new float[embedder.Dimension];
        for (int i = 1; i <= n; i++)
        {
            var e = MemoryBenchmark.Synthetic(rnd, T0, i) with { Id = i };
            embedder.EmbedEpisode(e, v);
            index.Add(EpisodeMeta.Of(e, i), v);
            episodes.Add(e);
        }
        return (index, episodes);
    }

    private static float[] Query(string text)
    {
        var q = new float[HashingEpisodeEmbedder.Default.Dimension];
        HashingEpisodeEmbedder.Default.EmbedQuery(text, q);
        return q;
    }

    private static void WaitBuilt(EpisodeRecallIndex index)
    {
        Assert.True(index.BuildCompletion.Wait(BuildTimeout), "the background build did not finish");
        Assert.True(index.IsApproximate);
    }

    [Fact]
    public void The_USearch_native_library_loads_and_finds_a_vector_by_itself()
    {
        Assert.StartsWith("2.", HnswEpisodeIndex.NativeVersion);
        using var hnsw = new HnswEpisodeIndex(4, capacity: 2);
        hnsw.Add(1, [1, 0, 0, 0]);
        hnsw.Add(2, [0, 1, 0, 0]);
        hnsw.Add(3, [0, 0.6f, 0.8f, 0]); // beyond the reserved capacity: the index grows
        hnsw.Add(2, [0, 0, 0, 1]);       // replaces id 2
        Assert.Equal(3, hnsw.Count);

        var ids = new long[3];
        var scores = new float[3];
        int n = hnsw.Search([0, 0, 0, 1], ids, scores);
        Assert.Equal(3, n);
        Assert.Equal(2, ids[0]);
        Assert.Equal(1f, scores[0], 5); // the score is the dot product, as in exact search
        Assert.Throws<ArgumentException>(() => hnsw.Add(4, [1, 2]));
        Assert.Throws<ArgumentException>(() => new HnswEpisodeIndex(4, new HnswOptions(Connectivity: 1)));
    }

    [Fact]
    public void A_removed_vector_is_never_returned_before_or_after_a_save_and_load_and_adds_go_on()
    {
        using var hnsw = new HnswEpisodeIndex(4, capacity: 4);
        for (int i = 1; i <= 4; i++)
            hnsw.Add(i, [i == 1 ? 1 : 0.1f, i == 2 ? 1 : 0.1f, i == 3 ? 1 : 0.1f, i == 4 ? 1 : 0.1f]);
        Assert.True(hnsw.Remove(2));
        Assert.False(hnsw.Remove(2));
        Assert.False(hnsw.Remove(99));
        Assert.Equal(3, hnsw.Count);
        var ids = new long[4];
        var scores = new float[4];
        int n = hnsw.Search([0, 1, 0, 0], ids, scores);
        Assert.Equal(3, n);
        Assert.DoesNotContain(2L, ids.Take(n));

        var path = _dir.File("graph.hnsw");
        hnsw.Save(path);
        using var loaded = HnswEpisodeIndex.Load(path, 4, null, capacity: 4);
        Assert.Equal(3, loaded.Count);
        n = loaded.Search([0, 1, 0, 0], ids, scores);
        Assert.Equal(3, n);
        Assert.DoesNotContain(2L, ids.Take(n));
        // The removed node's slot is reused and the graph grows past the capacity it was loaded with.
        for (int i = 10; i < 40; i++)
            loaded.Add(i, [i % 4 == 0 ? 1 : 0.2f, 0.3f, i % 3 == 0 ? 1 : 0.1f, i / 40f]);
        Assert.Equal(33, loaded.Count);
        var many = new long[40];
        n = loaded.Search([0, 1, 0, 0], many, new float[40]);
        Assert.Equal(33, n);
        Assert.DoesNotContain(2L, many.Take(n));
    }

    [Fact]
    public void Approximate_recall_agrees_with_exact_search()
    {
        var (exact, _) = Exact(3000);
        using var index = new EpisodeRecallIndex(exact, new RecallIndexOptions(ApproximateThreshold: 1000, BuildThreads: 2));
        WaitBuilt(index);

        var rnd = new Random(99);
        double recall = 0;
        const int queries = 100;
        for (int i = 0; i < queries; i++)
        {
            var q = Query(MemoryBenchmark.Synthetic(rnd, T0, i).Instruction);
            var truth = exact.Search(q, 10);
            var approx = index.Search(q, 10);
            Assert.Equal(10, approx.Count);
            Assert.True(approx.Zip(approx.Skip(1)).All(p => p.First.Score >= p.Second.Score), "best first");
            recall += RecallQuality.At(10, truth, approx);
        }
        Assert.True(recall / queries >= 0.95, $"recall@10 {recall / queries:F3}");
    }

    [Fact]
    public void Recall_answers_exactly_while_the_build_runs_and_episodes_added_meanwhile_reach_the_graph()
    {
        var (exact, _) = Exact(20_000, seed: 3);
        using var index = new EpisodeRecallIndex(exact, new RecallIndexOptions(ApproximateThreshold: 10_000, BuildThreads: 1));
        Assert.True(index.BuildStarted);

        // A graph of 20k vectors takes seconds to build; these searches return in milliseconds from the exact index.
        var q = Query("put the red cube in the bin at station 5");
        var first = index.Search(q, 5);
        Assert.False(index.BuildCompletion.IsCompleted, "recall waited for the build");
        Assert.Equal(exact.Search(q, 5), first);

        var late = MemoryBenchmark.Synthetic(new Random(1), T0, 0) with { Id = 50_000, Instruction = "juggle the purple teapot over the sink" };
        var v = new float[exact.Dimension];
        HashingEpisodeEmbedder.Default.EmbedEpisode(late, v);
        index.Add(EpisodeMeta.Of(late, late.Id), v);
        Assert.Equal(50_000, index.Search(Query("juggle the purple teapot"), 1)[0].Id); // exact, still building

        WaitBuilt(index);
        // Approximate now: looked up by its own vector, which the graph must hold (a text query unlike every stored
        // episode is where an approximate search may wander off).
        // (Among the nearest ten: one approximate lookup may, rarely, stop short of even an exact match.)
        var hit = index.Search(v, 10).Single(h => h.Id == 50_000);
        Assert.Equal(1f, MathF.Round(hit.Score, 4));
        Assert.True(index.BuildSeconds > 0);

        var after = late with { Id = 50_001, Instruction = "polish the brass doorknob" };
        HashingEpisodeEmbedder.Default.EmbedEpisode(after, v);
        index.Add(EpisodeMeta.Of(after, after.Id), v);
        Assert.Contains(50_001, index.Search(v, 10).Select(h => h.Id));
        Assert.Equal(20_002, index.Count);
    }

    [Fact]
    public void Filters_are_honoured_and_a_selective_filter_falls_back_to_exact_search()
    {
        var (exact, episodes) = Exact(4000, seed: 11);
        using var index = new EpisodeRecallIndex(exact, new RecallIndexOptions(ApproximateThreshold: 1000, BuildThreads: 2, MaxOverFetch: 256));
        WaitBuilt(index);

        var filters = new[]
        {
            new RecallFilter { Success = false },
            new RecallFilter { Object = "red_cube" },
            new RecallFilter { Task = "basket", Since = T0.AddSeconds(10 * 1000), Until = T0.AddSeconds(10 * 3000) },
        };
        var rnd = new Random(5);
        foreach (var filter in filters)
        {
            double recall = 0;
            for (int i = 0; i < 30; i++)
            {
                var q = Query(MemoryBenchmark.Synthetic(rnd, T0, i).Instruction);
                var approx = index.Search(q, 10, filter);
                Assert.Equal(10, approx.Count);
                Assert.All(approx, a => Assert.True(exact.TryGetMeta(a.Id, out var m) && m.Passes(filter), $"episode {a.Id} fails {filter}"));
                recall += RecallQuality.At(10, exact.Search(q, 10, filter), approx);
            }
            Assert.True(recall / 30 >= 0.95, $"recall@10 {recall / 30:F3} under {filter}");
        }

        // Three episodes in a time window no over-fetch of 256 candidates reaches: exact search finds all three.
        var narrow = new RecallFilter { Since = T0.AddSeconds(10 * 2000), Until = T0.AddSeconds(10 * 2003) };
        var found = index.Search(Query("put the red cube in the bin"), 10, narrow);
        Assert.Equal(episodes.Where(e => e.Id is >= 2000 and < 2003).Select(e => e.Id).Order(), found.Select(f => f.Id).Order());
    }

    [Fact]
    public void The_graph_is_rebuilt_from_the_durable_store_after_reopening()
    {
        var path = _dir.File("memory.db");
        var rnd = new Random(2);
        using (var store = new SqliteEpisodeStore(path))
            store.Import([.. Enumerable.Range(0, 1500).Select(i => MemoryBenchmark.Synthetic(rnd, T0, i))]);

        using var reopened = new SqliteEpisodeStore(path);
        var exact = reopened.LoadIndex();
        using var index = new EpisodeRecallIndex(exact, new RecallIndexOptions(ApproximateThreshold: 1000));
        WaitBuilt(index);
        Assert.Equal(1500, index.Count);

        var stored = reopened.Get(777)!;
        var v = new float[exact.Dimension];
        reopened.Embedder.EmbedEpisode(stored, v);
        // its own vector (or an identical episode's), found among the nearest ten in the rebuilt graph
        var hits = index.Search(v, 10);
        Assert.Contains(hits, h => MathF.Round(h.Score, 4) == 1f && (h.Id == 777 || exact.VectorOf(h.Id).SequenceEqual(exact.VectorOf(777))));
    }
}
