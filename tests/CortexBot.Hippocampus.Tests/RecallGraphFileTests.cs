using CortexBot.Core.Ports;
using CortexBot.Hippocampus.Recall;

namespace CortexBot.Hippocampus.Tests;

public sealed class RecallGraphFileTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(3);
    private static readonly RecallIndexOptions Options = new(ApproximateThreshold: 1000, BuildThreads: 2);
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    private RecallGraphFile Graph(bool readOnly = false, IEpisodeEmbedder? embedder = null) =>
        RecallGraphFile.Beside(_dir.File("memory.db"), (embedder ?? HashingEpisodeEmbedder.Default).Model, readOnly);

    /// <summary>The same synthetic episodes every time (ids 1..n), so a reopened index sees the store it saved from.</summary>
    private static EpisodeVectorIndex Exact(int n, IEpisodeEmbedder? embedder = null)
    {
        embedder ??= HashingEpisodeEmbedder.Default;
        var rnd = new Random(7);
        var index = new EpisodeVectorIndex(embedder.Dimension, n);
        var v = new float[embedder.Dimension];
        for (int i = 1; i <= n; i++)
        {
            var e = MemoryBenchmark.Synthetic(rnd, T0, i) with { Id = i };
            embedder.EmbedEpisode(e, v);
            index.Add(EpisodeMeta.Of(e, i), v);
        }
        return index;
    }

    private static EpisodeRecallIndex Open(EpisodeVectorIndex exact, RecallGraphFile graph)
    {
        var index = new EpisodeRecallIndex(exact, Options, graph);
        Assert.True(index.BuildCompletion.Wait(BuildTimeout), "the background build did not finish");
        Assert.True(index.IsApproximate);
        return index;
    }

    private static List<long[]> Answers(EpisodeRecallIndex index, IEnumerable<long> probes) =>
        [.. probes.Select(id => index.Search(index.Exact.VectorOf(id).ToArray(), 10).Select(h => h.Id).ToArray())];

    private static readonly long[] Probes = [1, 17, 500, 1234, 2999];

    /// <summary>
    /// How well an approximate graph answers, over 50 episodes looked up by their own vectors: mean recall@10 against
    /// exact search, and the share whose best match scores as their own vector does (itself, or an identical synthetic
    /// episode). HNSW is approximate, and a graph built on several threads is not the same graph twice, so a rebuild is
    /// judged by these rates, never by repeating an earlier build's answers or by any single lookup.
    /// </summary>
    private static (double Recall, double SelfHits) Quality(EpisodeRecallIndex index)
    {
        double recall = 0;
        int n = 0, self = 0;
        for (long id = 1; id <= index.Exact.Count; id += 60, n++)
        {
            var q = index.Exact.VectorOf(id).ToArray();
            var truth = index.Exact.Search(q, 10).Select(h => h.Id).ToHashSet();
            var found = index.Search(q, 10);
            recall += found.Count(h => truth.Contains(h.Id)) / 10.0;
            if (found.Count > 0 && found[0].Score > 0.9999f) self++;
        }
        return (recall / n, (double)self / n);
    }

    private static void AssertAnswersWell(EpisodeRecallIndex index)
    {
        var (recall, self) = Quality(index);
        Assert.True(recall >= 0.9 && self >= 0.9, $"recall@10 {recall:F3}, {self:P0} of the episodes find themselves first");
    }

    [Fact]
    public void A_built_graph_is_saved_and_a_reopen_loads_it_with_the_same_answers()
    {
        var graph = Graph();
        List<long[]> before;
        using (var built = Open(Exact(3000), graph))
        {
            Assert.False(built.LoadedFromFile);
            Assert.Null(built.GraphFileWarning);
            Assert.True(File.Exists(graph.Path) && File.Exists(graph.SidecarPath));
            before = Answers(built, Probes);
        }
        using var loaded = Open(Exact(3000), graph);
        Assert.True(loaded.LoadedFromFile, loaded.GraphFileWarning);
        Assert.Null(loaded.GraphFileWarning);
        Assert.Equal(0, loaded.AddedAfterLoad);
        Assert.Equal(3000, loaded.Approximate!.Count);
        Assert.Equal(before, Answers(loaded, Probes));
        AssertAnswersWell(loaded);
    }

    [Fact]
    public void Episodes_stored_after_the_save_are_added_and_found_after_a_reopen()
    {
        var graph = Graph();
        using (Open(Exact(3000), graph)) { }
        using (var loaded = Open(Exact(3200), graph))
        {
            Assert.True(loaded.LoadedFromFile, loaded.GraphFileWarning);
            Assert.Equal(200, loaded.AddedAfterLoad);
            Assert.Equal(3200, loaded.Approximate!.Count);
            // added to the loaded graph: found among the nearest (a single approximate lookup may rank a twin first)
            foreach (var id in new long[] { 3001, 3100, 3200 })
                Assert.Contains(id, loaded.Search(loaded.Exact.VectorOf(id).ToArray(), 10).Select(h => h.Id));
        }
        // Disposing the grown graph saved it: the next open covers all 3200.
        using var again = Open(Exact(3200), graph);
        Assert.True(again.LoadedFromFile, again.GraphFileWarning);
        Assert.Equal(0, again.AddedAfterLoad);
    }

    [Theory]
    [InlineData("truncated")]
    [InlineData("corrupt")]
    [InlineData("sidecar of another dimension")]
    [InlineData("store changed")]
    public void A_graph_that_does_not_match_is_ignored_and_rebuilt(string damage)
    {
        var graph = Graph();
        using (Open(Exact(3000), graph)) { }
        var exact = Exact(3000);
        switch (damage)
        {
            case "truncated":
                using (var f = new FileStream(graph.Path, FileMode.Open))
                    f.SetLength(f.Length / 2);
                break;
            case "corrupt":
                var bytes = File.ReadAllBytes(graph.Path);
                for (int i = bytes.Length / 3; i < bytes.Length / 3 + 4096; i++)
                    bytes[i] ^= 0x5A;
                File.WriteAllBytes(graph.Path, bytes);
                break;
            case "sidecar of another dimension":
                // A graph of 64-float vectors saved under the same model name, so only the dimension tells them apart.
                File.Delete(graph.Path);
                File.Delete(graph.SidecarPath);
                using (Open(Exact(3000, new HashingEpisodeEmbedder(64)), graph)) { }
                break;
            case "store changed":
                exact.Add(exact.TryGetMeta(5, out var meta) ? meta : throw new InvalidOperationException(), exact.VectorOf(6).ToArray());
                break;
        }
        using var reopened = Open(exact, graph);
        Assert.False(reopened.LoadedFromFile);
        Assert.NotNull(reopened.GraphFileWarning);
        Assert.Contains(damage switch
        {
            "truncated" or "corrupt" => "checksum",
            "store changed" => "changed",
            _ => "64-float vectors",
        }, reopened.GraphFileWarning);
        AssertAnswersWell(reopened);
        // The rebuild was saved again and is now accepted.
        reopened.Dispose();
        using var next = Open(exact, graph);
        Assert.True(next.LoadedFromFile, next.GraphFileWarning);
    }

    [Fact]
    public void A_read_only_open_never_writes_the_graph()
    {
        using (var ro = Open(Exact(3000), Graph(readOnly: true)))
            Assert.False(ro.LoadedFromFile);
        Assert.False(File.Exists(Graph().Path));
        Assert.False(File.Exists(Graph().SidecarPath));

        using (Open(Exact(3000), Graph())) { }
        var saved = File.ReadAllBytes(Graph().Path);
        var sidecar = File.ReadAllText(Graph().SidecarPath);
        using (var ro = Open(Exact(3100), Graph(readOnly: true)))
        {
            Assert.True(ro.LoadedFromFile, ro.GraphFileWarning);
            Assert.Equal(100, ro.AddedAfterLoad);
            Assert.True(ro.SaveIfGrown(out var error), error);
        }
        Assert.Equal(saved, File.ReadAllBytes(Graph().Path));
        Assert.Equal(sidecar, File.ReadAllText(Graph().SidecarPath));
        Assert.Empty(Directory.GetFiles(_dir.Path, "*.tmp"));
    }
    [Fact]
    public void A_prune_removes_its_episodes_from_the_saved_graph_and_the_next_open_loads_it()
    {
        var rnd = new Random(11);
        using var store = new SqliteEpisodeStore(_dir.File("memory.db"));
        // Start times out of id order, so a prune by date removes episodes from all over the graph.
        store.Import([.. Enumerable.Range(1, 3000).Select(i => MemoryBenchmark.Synthetic(rnd, T0, i) with { StartedAt = T0.AddSeconds(rnd.Next(100_000)) })]);
        var graph = Graph();
        Dictionary<long, float[]> vectors;
        using (var built = Open(store.LoadIndex(), graph))
        {
            Assert.False(built.LoadedFromFile);
            vectors = Enumerable.Range(1, 3000).ToDictionary(i => (long)i, i => built.Exact.VectorOf(i).ToArray());
        }
        var cut = T0.AddSeconds(30_000);
        var pruned = store.All().Where(e => e.StartedAt < cut).Select(e => e.Id).ToHashSet();
        Assert.InRange(pruned.Count, 600, 1200);
        Assert.Contains(pruned, id => id < 100);
        Assert.Contains(pruned, id => id > 2900);

        Assert.Equal(pruned.Count, store.Prune(PruneRule.StartedBefore(cut)));

        Assert.Contains($"removed {pruned.Count} pruned episode(s)", store.PruneGraphNote);
        int remaining = 3000 - pruned.Count;
        using (var loaded = Open(store.LoadIndex(), graph))
        {
            Assert.True(loaded.LoadedFromFile, loaded.GraphFileWarning);
            Assert.Null(loaded.GraphFileWarning);
            Assert.Equal(0, loaded.AddedAfterLoad);
            Assert.Equal(remaining, loaded.Approximate!.Count);
            // A pruned episode's own vector, the query most likely to surface it, finds only episodes that remain.
            var ids = new long[200];
            var scores = new float[200];
            foreach (var id in pruned)
            {
                int n = loaded.Approximate.Search(vectors[id], ids, scores);
                Assert.Equal(200, n);
                Assert.DoesNotContain(ids.Take(n), pruned.Contains);
                Assert.DoesNotContain(loaded.Search(vectors[id], 10), h => pruned.Contains(h.Id));
            }
            // And it still answers like exact search over what remains.
            double sum = 0;
            var sample = vectors.Keys.Where(id => !pruned.Contains(id)).Where((_, i) => i % 40 == 0).ToList();
            foreach (var id in sample)
            {
                var truth = loaded.Exact.Search(vectors[id], 10).Select(h => h.Id).ToHashSet();
                sum += loaded.Search(vectors[id], 10).Count(h => truth.Contains(h.Id)) / 10.0;
            }
            Assert.True(sum / sample.Count >= 0.9, $"recall@10 after the prune is {sum / sample.Count:F3}");
        }

        // Episodes stored after the prune take the removed episodes' places in the graph and are found.
        var fresh = Enumerable.Range(1, 20).Select(i => store.Append(MemoryBenchmark.Synthetic(rnd, T0, 5000 + i))).ToList();
        using var again = Open(store.LoadIndex(), graph);
        Assert.True(again.LoadedFromFile, again.GraphFileWarning);
        Assert.Equal(20, again.AddedAfterLoad);
        Assert.Equal(remaining + 20, again.Approximate!.Count);
        foreach (var id in fresh)
        {
            var best = again.Search(again.Exact.VectorOf(id).ToArray(), 1);
            Assert.True(best[0].Score > 0.9999f, $"episode {id}'s best match scored {best[0].Score}");
        }
    }
}
