using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using CortexBot.Hippocampus.Recall;

namespace CortexBot.Hippocampus.Tests;

public sealed class RecallTests
{
    private static float[] Query(IEpisodeEmbedder e, string text)
    {
        var v = new float[e.Dimension];
        e.EmbedQuery(text, v);
        return v;
    }

    private static float[] Episode(IEpisodeEmbedder e, EpisodeRecord r)
    {
        var v = new float[e.Dimension];
        e.EmbedEpisode(r, v);
        return v;
    }

    private static float Dot(float[] a, float[] b) => a.Zip(b, (x, y) => x * y).Sum();

    [Fact]
    public void Embeddings_are_deterministic_unit_vectors_of_the_declared_dimension()
    {
        var e = new HashingEpisodeEmbedder();
        var a = Episode(e, Samples.Episode("put the red cube in the bin"));
        var b = Episode(new HashingEpisodeEmbedder(), Samples.Episode("put the red cube in the bin"));

        Assert.Equal(256, a.Length);
        Assert.Equal(a, b); // no per-process hashing, no randomness
        Assert.Equal(1.0, Math.Sqrt(Dot(a, a)), 5);
        Assert.Equal(1.0, Math.Sqrt(Dot(Query(e, "Hello"), Query(e, "Hello"))), 5);
        Assert.All(Query(e, "the a of"), x => Assert.Equal(0f, x)); // only stop words: the zero vector, not NaN
        Assert.Equal("hash-ngram-v1/256", e.Model);
        Assert.Equal("hash-ngram-v1/64", new HashingEpisodeEmbedder(64).Model);
        Assert.Throws<ArgumentException>(() => e.EmbedQuery("x", new float[10]));

        // A golden value pins the hash function: changing it silently would strand every stored vector.
        var golden = Query(e, "red cube");
        Assert.Equal(golden, Query(e, "RED   cube!"));
        Assert.NotEqual(golden, Query(e, "red cubes"));
    }

    [Fact]
    public void Similar_instructions_score_higher_than_unrelated_ones()
    {
        var e = HashingEpisodeEmbedder.Default;
        var q = Query(e, "put the red cube in the bin");
        float same = Dot(q, Episode(e, Samples.Episode("Put the red cube into the bin")));
        float otherCube = Dot(q, Episode(e, Samples.Episode("put the green cube in the bin")));
        float typo = Dot(q, Episode(e, Samples.Episode("put the redd cubes in the bin")));
        float unrelated = Dot(q, Episode(e, Samples.Episode("wave hello to the camera")));

        Assert.True(same > otherCube, $"{same} > {otherCube}");
        Assert.True(otherCube > unrelated, $"{otherCube} > {unrelated}");
        Assert.True(typo > unrelated, $"character trigrams carry near-misses: {typo} > {unrelated}");
    }

    [Fact]
    public void Object_names_in_the_text_match_plan_arguments()
    {
        var e = HashingEpisodeEmbedder.Default;
        var q = Query(e, "the red cube");
        var withRedCube = Samples.Episode("do the usual") with { Plan = ["pick(red_cube)"] };
        var withBlueBlock = Samples.Episode("do the usual") with { Plan = ["pick(blue_block)"] };

        Assert.True(Dot(q, Episode(e, withRedCube)) > Dot(q, Episode(e, withBlueBlock)));
    }

    [Fact]
    public void Exact_search_matches_a_brute_force_ranking_and_grows_past_its_capacity()
    {
        const int dim = 32, n = 700;
        var rnd = new Random(11);
        var index = new EpisodeVectorIndex(dim, capacity: 16);
        var vectors = new List<float[]>();
        for (int i = 0; i < n; i++)
        {
            var v = Enumerable.Range(0, dim).Select(_ => (float)(rnd.NextDouble() * 2 - 1)).ToArray();
            vectors.Add(v);
            index.Add(new EpisodeMeta(i + 1, $"task {i % 7}", i % 2 == 0, 1000L * i, i % 3 == 0 ? ["red_cube"] : ["blue_cube"]), v);
        }
        Assert.Equal(n, index.Count);

        for (int trial = 0; trial < 5; trial++)
        {
            var q = Enumerable.Range(0, dim).Select(_ => (float)(rnd.NextDouble() * 2 - 1)).ToArray();
            var expected = vectors.Select((v, i) => (Id: (long)i + 1, Score: Dot(v, q)))
                .OrderByDescending(x => x.Score).Take(10).Select(x => x.Id).ToList();
            var got = index.Search(q, 10).Select(h => h.Id).ToList();
            Assert.Equal(expected, got);

            var filter = new RecallFilter(Object: "red_cube", Success: true, Since: DateTimeOffset.FromUnixTimeMilliseconds(100_000));
            var expectedFiltered = vectors.Select((v, i) => (Id: (long)i + 1, I: i, Score: Dot(v, q)))
                .Where(x => x.I % 3 == 0 && x.I % 2 == 0 && 1000L * x.I >= 100_000)
                .OrderByDescending(x => x.Score).Take(10).Select(x => x.Id).ToList();
            Assert.Equal(expectedFiltered, index.Search(q, 10, filter).Select(h => h.Id).ToList());
        }

        Assert.Empty(index.Search(new float[dim], 0));
        Assert.Equal(n, index.Search(new float[dim], n + 5).Count);
        Assert.Throws<ArgumentException>(() => index.Search(new float[dim + 1], 3));
    }

    [Fact]
    public void Adding_an_id_again_replaces_its_vector()
    {
        var index = new EpisodeVectorIndex(2);
        index.Add(new EpisodeMeta(1, "a", true, 0, []), [1, 0]);
        index.Add(new EpisodeMeta(2, "b", true, 0, []), [0, 1]);
        index.Add(new EpisodeMeta(1, "a", true, 0, []), [0, -1]);

        Assert.Equal(2, index.Count);
        Assert.Equal([2L, 1L], index.Search([0, 1], 2).Select(h => h.Id));
    }

    [Theory]
    [InlineData("place(red_cube, bin)", "place", "red_cube,bin")]
    [InlineData(" Pick( Red_Cube ) ", "pick", "red_cube")]
    [InlineData("retreat()", "retreat", "")]
    [InlineData("home", "home", "")]
    [InlineData("", "", "")]
    public void Plan_steps_parse_into_skill_and_objects(string step, string skill, string args)
    {
        var (s, a) = PlanText.Parse(step);
        Assert.Equal(skill, s);
        Assert.Equal(args, string.Join(',', a));
    }
}

public sealed class MemoryBenchmarkTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Exact_search_over_a_real_store_agrees_with_the_scalar_baseline()
    {
        // the baseline `cortexbot bench memory` measures exact (SIMD) recall against
        var path = Path.Combine(_dir.Path, "bench.db");
        var rnd = new Random(1);
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        EpisodeVectorIndex index;
        IEpisodeEmbedder embedder;
        using (var store = new SqliteEpisodeStore(path))
        {
            embedder = store.Embedder;
            store.Import([.. Enumerable.Range(0, 1500).Select(i => MemoryBenchmark.Synthetic(rnd, t0, i))]);
            index = store.LoadIndex();
        }
        var (flat, ids) = index.Export();
        Assert.Equal(1500, ids.Length);
        var q = new float[embedder.Dimension];
        for (int i = 0; i < 20; i++)
        {
            embedder.EmbedQuery(MemoryBenchmark.Synthetic(rnd, t0, i).Instruction, q);
            var scalar = MemoryBenchmark.ScalarTop10(flat, ids, q, embedder.Dimension);
            Assert.Equal(10, scalar.Count);
            Assert.Equal(1.0, RecallQuality.At(10, scalar, index.Search(q, 10)));
            Assert.True(scalar.Zip(scalar.Skip(1)).All(p => p.First.Score >= p.Second.Score)); // best first
        }
    }
}
