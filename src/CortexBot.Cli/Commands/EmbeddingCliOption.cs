using System.CommandLine;
using CortexBot.Cortex.Llama;
using Microsoft.Extensions.Logging;

namespace CortexBot.Cli.Commands;

/// <summary><c>--embedding-model FILE.gguf</c>, shared by `run` and `memory search`: both must embed in the same space.</summary>
internal static class EmbeddingCliOption
{
    public static Option<string?> Create() => new("--embedding-model")
    {
        Description = "GGUF model whose embeddings recall uses (default: the built-in hashing embedder); " +
                      "episodes stored with another embedder are re-embedded, never compared across models",
    };

    /// <summary>Loads the model now (a bad file is a clear error before anything starts), or null for the default embedder.</summary>
    public static LlamaEpisodeEmbedder? Load(string? path, ILoggerFactory? loggers = null) =>
        path is null ? null : new LlamaEpisodeEmbedder(Path.GetFullPath(path), logger: loggers?.CreateLogger<LlamaEpisodeEmbedder>());
}
