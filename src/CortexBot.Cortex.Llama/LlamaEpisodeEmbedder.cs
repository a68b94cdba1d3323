using System.Numerics.Tensors;
using System.Security.Cryptography;
using System.Text;
using CortexBot.Core;
using CortexBot.Core.Messages;
using CortexBot.Gguf;
using CortexBot.Core.Ports;
using LLama;
using LLama.Common;
using LLama.Exceptions;
using LLama.Native;
using Microsoft.Extensions.Logging;

namespace CortexBot.Cortex.Llama;

/// <summary>
/// Episode and query vectors from a GGUF model through LLamaSharp's embedding API: the mean of the model's final
/// hidden states over the tokens of a short text, L2-normalised. The text of an episode is its instruction, plan,
/// outcome and failure reason (<see cref="EpisodeText"/>); a query is embedded as given.
/// </summary>
/// <remarks>
/// <see cref="Model"/> names the file, a prefix of its SHA-256 and the dimension, so a vector stored by one model is
/// never compared with another's: the stores keep the model with every vector and recompute the others'
/// (the hippocampus's <c>IEpisodeMemory.LoadIndex</c>). Deterministic: CPU inference of one sequence with no
/// sampling, the same text in the same context layout every call, so the same bits in every process.
/// One native context, used by one call at a time.
/// </remarks>
public sealed class LlamaEpisodeEmbedder : IEpisodeEmbedder, IDisposable
{
    /// <summary>Tokens per text; longer texts are cut (episode texts are a few dozen tokens).</summary>
    public const uint DefaultContextSize = 512;

    private readonly Lock _gate = new();
    private readonly LLamaWeights _weights;
    private readonly LLamaEmbedder _embedder;
    private readonly int _maxBytes;
    private bool _disposed;

    /// <summary>Checks and loads <paramref name="modelPath"/>; throws <see cref="ConfigurationException"/> naming the problem.</summary>
    /// <param name="threads">CPU threads; 0 = half the cores. The vectors do not depend on it.</param>
    public LlamaEpisodeEmbedder(string modelPath, int threads = 0, uint contextSize = DefaultContextSize, ILogger? logger = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        if (contextSize < 16)
            throw new ConfigurationException($"the embedding model's context must be at least 16 tokens, not {contextSize}");
        var path = Path.GetFullPath(modelPath);
        if (!File.Exists(path) && !Directory.Exists(path))
            throw new ConfigurationException($"embedding model file not found: {path}");
        try { GgufFile.CheckLoadable(path); }
        catch (GgufFormatException e) { throw new ConfigurationException($"embedding model {path}: {e.Message}"); }
        ModelPath = path;
        LlamaNativeLog.Register(logger);

        int n = threads > 0 ? threads : Math.Max(1, Environment.ProcessorCount / 2);
        var parameters = new ModelParams(path)
        {
            ContextSize = contextSize,
            BatchSize = contextSize,
            UBatchSize = contextSize,
            Threads = n,
            BatchThreads = n,
            GpuLayerCount = 0,
            Embeddings = true,
            PoolingType = LLamaPoolingType.Mean,
        };
        LlamaNativeLog.ClearRecent();
        try
        {
            _weights = LLamaWeights.LoadFromFile(parameters);
        }
        catch (Exception e) when (e is LoadWeightsFailedException or RuntimeError or InvalidOperationException or TypeInitializationException or DllNotFoundException)
        {
            throw new ConfigurationException($"llama.cpp could not load embedding model {path}: {LlamaNativeLog.RecentProblems() ?? e.GetBaseException().Message}");
        }
        try
        {
            _embedder = new LLamaEmbedder(_weights, parameters);
        }
        catch (Exception e)
        {
            _weights.Dispose();
            throw new ConfigurationException($"llama.cpp could not make an embedding context for {path}: {LlamaNativeLog.RecentProblems() ?? e.GetBaseException().Message}");
        }
        Dimension = _embedder.EmbeddingSize;
        // Every token holds at least one byte, plus a few special tokens: a text cut to this many UTF-8 bytes always fits.
        _maxBytes = (int)contextSize - 8;
        Model = $"llama-gguf:{Path.GetFileName(path)}@{Sha256Prefix(path)}/{Dimension}";
    }

    public string ModelPath { get; }

    public string Model { get; }

    public int Dimension { get; }

    public void EmbedEpisode(EpisodeRecord episode, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(episode);
        Embed(EpisodeText(episode), destination);
    }

    public void EmbedQuery(string text, Span<float> destination) => Embed(text ?? "", destination);

    /// <summary>What of an episode is embedded: the instruction, then the plan, the outcome and why it failed.</summary>
    public static string EpisodeText(EpisodeRecord episode)
    {
        var b = new StringBuilder(episode.Instruction ?? "");
        if (!episode.Plan.IsDefaultOrEmpty)
            b.Append(". plan: ").AppendJoin("; ", episode.Plan);
        b.Append(episode.Success ? ". outcome: success" : ". outcome: failure");
        if (!string.IsNullOrWhiteSpace(episode.FailureReason))
            b.Append(": ").Append(episode.FailureReason);
        return b.ToString();
    }

    private void Embed(string text, Span<float> destination)
    {
        if (destination.Length != Dimension)
            throw new ArgumentException($"Destination has {destination.Length} floats; the embedder writes {Dimension}.", nameof(destination));
        // An empty text has no tokens to pool over; one space gives a defined vector.
        text = Truncate(text.Length == 0 ? " " : text, _maxBytes);
        IReadOnlyList<float[]> vectors;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            vectors = _embedder.GetEmbeddings(text).GetAwaiter().GetResult();
        }
        if (vectors.Count != 1 || vectors[0].Length != Dimension)
            throw new InvalidOperationException(
                $"{Model} returned {vectors.Count} vector(s) of {(vectors.Count > 0 ? vectors[0].Length : 0)} floats for one text; expected one of {Dimension}.");
        var v = vectors[0].AsSpan();
        float norm = TensorPrimitives.Norm(v);
        if (!float.IsFinite(norm) || norm == 0)
            throw new InvalidOperationException($"{Model} gave a vector of norm {norm} for \"{text}\"; it cannot be compared.");
        TensorPrimitives.Divide(v, norm, destination);
    }

    /// <summary>Cuts <paramref name="text"/> to at most <paramref name="maxBytes"/> UTF-8 bytes, never inside a character.</summary>
    private static string Truncate(string text, int maxBytes)
    {
        if (Encoding.UTF8.GetByteCount(text) <= maxBytes)
            return text;
        int bytes = 0, i = 0;
        while (i < text.Length)
        {
            int len = char.IsSurrogatePair(text, i) ? 2 : 1;
            int n = Encoding.UTF8.GetByteCount(text.AsSpan(i, len));
            if (bytes + n > maxBytes)
                break;
            bytes += n;
            i += len;
        }
        return text[..i];
    }

    private static string Sha256Prefix(string path)
    {
        using var f = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexStringLower(SHA256.HashData(f))[..12];
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            _embedder.Dispose();
            _weights.Dispose();
        }
    }
}
