using System.Numerics.Tensors;
using CortexBot.Core.Ports;
using CortexBot.Core;
using CortexBot.Core.Messages;
using CortexBot.Gguf;
using CortexBot.Hippocampus;
using CortexBot.Hippocampus.Recall;

namespace CortexBot.Cortex.Llama.Tests;

/// <summary>
/// Episode embeddings from the tiny random GGUF. A random model has no notion of meaning, so only what holds for any
/// model is asserted: shape, norm, determinism, identical text scoring highest, and that stores never mix its vectors
/// with another model's.
/// </summary>
public sealed class LlamaEpisodeEmbedderTests : IDisposable
{
    private static readonly Lazy<LlamaEpisodeEmbedder> Shared = new(() => new LlamaEpisodeEmbedder(TestModels.Model(), threads: 1));

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "cortexbot-llama-embedder-tests", Guid.NewGuid().ToString("N"));

    public LlamaEpisodeEmbedderTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); }
        catch (IOException) { }
    }

    private static readonly string[] Texts =
    [
        "put the red cube in the bin", "put the blue cube in the bin", "stack the green cube on the red cube", "", "x",
        "wave hello", new string('a', 3000), "pick up the rot Würfel ✓",
    ];

    private static EpisodeRecord Episode(string obj, bool success, int i, string? why = null) => new(
        TaskId: Guid.NewGuid(), Instruction: $"put the {obj.Replace('_', ' ')} in the bin", Seed: i,
        StartedAt: new DateTimeOffset(2026, 5, 1, 12, 0, 0, TimeSpan.Zero).AddMinutes(i), DurationS: 3, Success: success,
        FailureReason: why, Planner: "rule", Plan: [$"pick({obj})", $"place({obj}, bin)"],
        Steps: [new StepRecord(0, $"pick({obj})", SkillOutcome.Succeeded, null, 0, 1), new StepRecord(1, $"place({obj}, bin)",
            success ? SkillOutcome.Succeeded : SkillOutcome.Failed, why, 1, 2)],
        Anomalies: [], PlanLatencyMs: 1, ControllerVersion: "test");

    private static float[] Query(IEpisodeEmbedder e, string text)
    {
        var v = new float[e.Dimension];
        e.EmbedQuery(text, v);
        return v;
    }

    [Fact]
    public void Vectors_have_the_models_dimension_unit_length_and_a_name_of_file_hash_and_dimension()
    {
        var e = Shared.Value;
        int embeddingLength = Convert.ToInt32(GgufFile.Read(TestModels.Model()).Metadata["llama.embedding_length"]);

        Assert.Equal(embeddingLength, e.Dimension);
        Assert.Matches($@"^llama-gguf:tiny-1\.gguf@[0-9a-f]{{12}}/{embeddingLength}$", e.Model);
        foreach (var text in Texts)
        {
            var v = Query(e, text);
            Assert.All(v, x => Assert.True(float.IsFinite(x)));
            Assert.InRange(TensorPrimitives.Norm(v), 0.9999f, 1.0001f);
        }
        var ep = new float[e.Dimension];
        e.EmbedEpisode(Episode("red_cube", false, 1, "slipped"), ep);
        Assert.InRange(TensorPrimitives.Norm(ep), 0.9999f, 1.0001f);
    }

    [Fact]
    public void The_same_text_gives_the_same_bits_in_another_instance_with_other_threads_and_after_other_texts()
    {
        var first = Shared.Value;
        using var second = new LlamaEpisodeEmbedder(TestModels.Model(), threads: 2);

        Assert.Equal(first.Model, second.Model);
        var a = Texts.Select(t => Query(first, t)).ToList();
        var b = Texts.Reverse().Select(t => Query(second, t)).Reverse().ToList();
        for (int i = 0; i < Texts.Length; i++)
            Assert.Equal(a[i], b[i]); // exact: stored vectors are compared across processes
        Assert.Equal(a[0], Query(first, Texts[0]));
        Assert.NotEqual(a[0], a[1]);
    }

    [Fact]
    public void Another_model_file_is_another_vector_space()
    {
        using var other = new LlamaEpisodeEmbedder(TestModels.Model(seed: 2), threads: 1);
        Assert.NotEqual(Shared.Value.Model, other.Model);
        Assert.NotEqual(Query(Shared.Value, "put the red cube in the bin"), Query(other, "put the red cube in the bin"));
    }

    [Fact]
    public void An_episodes_own_text_recalls_it_first_from_a_store()
    {
        var e = Shared.Value;
        var episodes = new[]
        {
            Episode("red_cube", false, 0, "slipped"), Episode("red_cube", true, 1), Episode("blue_cube", true, 2),
            Episode("green_cube", false, 3, "missed the bin"), Episode("yellow_cube", true, 4),
        };
        using var store = new SqliteEpisodeStore(Path.Combine(_dir, "memory.db"), embedder: e);
        var ids = episodes.Select(store.Append).ToList();
        var index = store.LoadIndex();

        for (int i = 0; i < episodes.Length; i++)
        {
            var hits = index.Search(Query(e, LlamaEpisodeEmbedder.EpisodeText(episodes[i])), 1);
            Assert.Equal(ids[i], hits[0].Id);
            Assert.InRange(hits[0].Score, 0.9999f, 1.0001f);
        }
    }

    [Fact]
    public void Switching_the_embedding_model_reembeds_every_episode_and_never_mixes_vector_spaces()
    {
        var path = Path.Combine(_dir, "memory.db");
        var episodes = Enumerable.Range(0, 6).Select(i => Episode($"cube_{i}", i % 3 > 0, i)).ToList(); // distinct texts: one best match each
        var hashing = HashingEpisodeEmbedder.Default;
        var llama = Shared.Value;
        using (var store = new SqliteEpisodeStore(path))
            foreach (var ep in episodes)
                store.Append(ep);

        // A reader with the model: vectors computed in memory only, every one in the model's space.
        using (var reader = new SqliteEpisodeStore(path, readOnly: true, embedder: llama))
        {
            Assert.Equal(0, reader.Stats().Embeddings);
            AssertIndexIsOneSpace(reader, llama);
            Assert.Equal(0, reader.Stats().Embeddings);
        }
        // A writer with the model (a robot started with --embedding-model): re-embeds and keeps them.
        using (var robot = new SqliteEpisodeStore(path, embedder: llama))
        {
            AssertIndexIsOneSpace(robot, llama);
            Assert.Equal(6, robot.Stats().Embeddings);
            robot.Append(Episode("green_cube", true, 6));
            Assert.Equal(7, robot.Stats().Embeddings);
        }
        // And back: the hashing embedder's vectors are recomputed again; the model's never reach its index.
        using (var back = new SqliteEpisodeStore(path))
        {
            Assert.Equal(0, back.Stats().Embeddings);
            AssertIndexIsOneSpace(back, hashing);
            Assert.Equal(7, back.Stats().Embeddings);
        }
    }

    /// <summary>Every episode is in the index, and its row is exactly the vector this embedder gives it.</summary>
    private static void AssertIndexIsOneSpace(SqliteEpisodeStore store, IEpisodeEmbedder embedder)
    {
        var index = store.LoadIndex();
        Assert.Equal(embedder.Dimension, index.Dimension);
        Assert.Equal(store.Count(), index.Count);
        var v = new float[embedder.Dimension];
        foreach (var e in store.All())
        {
            embedder.EmbedEpisode(e, v);
            var best = index.Search(v, 1)[0];
            Assert.Equal(e.Id, best.Id);
            Assert.InRange(best.Score, 0.9999f, 1.0001f);
        }
    }

    [Fact]
    public void Missing_directory_truncated_and_foreign_files_are_clear_errors()
    {
        Assert.Contains("embedding model file not found: /nonexistent/embed.gguf",
            Assert.Throws<ConfigurationException>(() => new LlamaEpisodeEmbedder("/nonexistent/embed.gguf")).Message);
        Assert.Contains("is a directory", Assert.Throws<ConfigurationException>(() => new LlamaEpisodeEmbedder(_dir)).Message);

        var bytes = File.ReadAllBytes(TestModels.Model());
        var truncated = Path.Combine(_dir, "truncated.gguf");
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<ConfigurationException>(() => new LlamaEpisodeEmbedder(truncated));
        Assert.Contains("embedding model", e.Message);
        Assert.Contains("is truncated", e.Message);

        var text = Path.Combine(_dir, "notes.gguf");
        File.WriteAllText(text, "this is a text file, not a model at all");
        Assert.Contains("is not a GGUF file", Assert.Throws<ConfigurationException>(() => new LlamaEpisodeEmbedder(text)).Message);
    }
}
