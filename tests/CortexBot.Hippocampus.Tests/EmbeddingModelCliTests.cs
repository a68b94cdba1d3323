using System.Text.Json;
using CortexBot.Cortex.Llama;
using CortexBot.Gguf;
using Xunit.Abstractions;

namespace CortexBot.Hippocampus.Tests;

/// <summary>`run` and `memory search` with <c>--embedding-model</c>: a tiny random GGUF written for the test.</summary>
public sealed class EmbeddingModelCliTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly MemoryCliTests _cli = new(output);

    public void Dispose()
    {
        _cli.Dispose();
        _dir.Dispose();
    }

    private static JsonElement Json(string stdout)
    {
        using var doc = JsonDocument.Parse(stdout);
        return doc.RootElement.Clone();
    }

    [Fact]
    public void A_run_stores_the_models_vectors_and_search_with_the_same_model_finds_its_episodes()
    {
        var model = TinyLlamaModel.Write(_dir.File("embed.gguf"), 3);
        var db = _dir.File("memory.db");

        var (code, runOut, runErr) = _cli.Run("run", "--task", "put the red cube in the bin", "--episodes", "2", "--seed", "3", "--fast", "--json",
            "--memory", db, "--embedding-model", model);
        Assert.True(code is 0 or 1, runErr);
        var ids = Json(runOut).GetProperty("episodes").EnumerateArray().Select(e => e.GetProperty("episode_id").GetInt64()).ToHashSet();
        Assert.Equal(2, ids.Count);

        using (var embedder = new LlamaEpisodeEmbedder(model, threads: 1))
        using (var store = new SqliteEpisodeStore(db, readOnly: true, embedder: embedder))
        using (var hashing = new SqliteEpisodeStore(db, readOnly: true))
        {
            Assert.Equal(2, store.Stats().Embeddings); // stored in the model's space, by the run itself
            Assert.Equal(0, hashing.Stats().Embeddings);
        }

        var found = Json(_cli.Run("memory", "search", "put the red cube in the bin", "-k", "5", "--memory", db, "--json",
            "--embedding-model", model).Stdout);
        Assert.Equal(ids, found.EnumerateArray().Select(e => e.GetProperty("id").GetInt64()).ToHashSet());
        var (tableCode, table, _) = _cli.Run("memory", "search", "red cube", "--memory", db, "--embedding-model", model);
        Assert.Equal(0, tableCode);
        Assert.Contains("llama-gguf:embed.gguf@", table); // the title names the vector space searched

        // Without the model the hashing embedder answers; the model's vectors are recomputed, never compared with its own.
        var hashed = Json(_cli.Run("memory", "search", "put the red cube in the bin", "-k", "5", "--memory", db, "--json").Stdout);
        Assert.Equal(ids, hashed.EnumerateArray().Select(e => e.GetProperty("id").GetInt64()).ToHashSet());
    }

    [Fact]
    public void Missing_or_corrupt_embedding_models_are_clear_errors()
    {
        var db = _dir.File("memory.db");
        var (code, stdout, err) = _cli.Run("run", "--task", "put the red cube in the bin", "--fast", "--memory", db, "--embedding-model", _dir.File("nope.gguf"));
        Assert.Equal(2, code);
        Assert.Equal("", stdout);
        Assert.Contains("embedding model file not found", err);
        Assert.False(File.Exists(db)); // refused before the memory was opened

        var corrupt = _dir.File("corrupt.gguf");
        File.WriteAllText(corrupt, "GGUF but not really");
        new SqliteEpisodeStore(db).Dispose();
        var (searchCode, _, searchErr) = _cli.Run("memory", "search", "red cube", "--memory", db, "--embedding-model", corrupt);
        Assert.Equal(2, searchCode);
        Assert.Contains("embedding model", searchErr);
        Assert.Contains(corrupt, searchErr);
    }
}
