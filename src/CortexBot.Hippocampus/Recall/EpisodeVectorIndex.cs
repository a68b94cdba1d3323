using System.Numerics.Tensors;
using CortexBot.Core.Messages;

namespace CortexBot.Hippocampus.Recall;

/// <summary>What recall filters need to know about an episode without reading it from the store.</summary>
public sealed record EpisodeMeta(long Id, string Instruction, bool Success, long StartedUnixMs, string[] Objects)
{
    public static EpisodeMeta Of(EpisodeRecord e, long id) =>
        new(id, e.Instruction ?? "", e.Success, e.StartedAt.ToUnixTimeMilliseconds(), PlanText.Objects(e.Plan));

    public bool Passes(RecallFilter? f)
    {
        if (f is null)
            return true;
        if (f.Success is { } s && s != Success)
            return false;
        if (f.Since is { } since && StartedUnixMs < since.ToUnixTimeMilliseconds())
            return false;
        if (f.Until is { } until && StartedUnixMs >= until.ToUnixTimeMilliseconds())
            return false;
        if (!string.IsNullOrEmpty(f.Task) && !Instruction.Contains(f.Task, StringComparison.OrdinalIgnoreCase))
            return false;
        if (!string.IsNullOrEmpty(f.Object) && !Objects.Contains(f.Object.Trim().ToLowerInvariant()))
            return false;
        return true;
    }
}

public readonly record struct ScoredEpisode(long Id, float Score);

/// <summary>Similarity search over episode vectors, with the recall filters; implemented exactly and approximately.</summary>
public interface IEpisodeRecallIndex
{
    int Dimension { get; }

    int Count { get; }

    bool Contains(long id);

    /// <summary>Adds (or replaces) the vector of episode <paramref name="meta"/>.Id.</summary>
    void Add(EpisodeMeta meta, ReadOnlySpan<float> vector);

    /// <summary>The <paramref name="k"/> best-scoring episodes passing <paramref name="filter"/>, best first; ties go to the newer (higher) id.</summary>
    List<ScoredEpisode> Search(ReadOnlySpan<float> query, int k, RecallFilter? filter = null);
}

/// <summary>
/// Exact similarity search: every vector in one contiguous float array (row-major, one row per episode), scored with
/// SIMD dot products (<see cref="TensorPrimitives"/>), filters applied before scoring. Append-only while running;
/// rebuilt from the durable store at start. Not thread-safe: owned by one actor (or one command).
/// </summary>
public sealed class EpisodeVectorIndex : IEpisodeRecallIndex
{
    private float[] _vectors;
    private EpisodeMeta[] _meta;
    private readonly Dictionary<long, int> _rowOf = [];

    /// <summary>An empty index with room for a store's <paramref name="episodes"/> and a few more (it grows past that as needed).</summary>
    public static EpisodeVectorIndex ForStore(int dimension, long episodes) =>
        new(dimension, (int)Math.Min(int.MaxValue / Math.Max(1, dimension), Math.Max(1024, episodes + 64)));

    public EpisodeVectorIndex(int dimension, int capacity = 1024)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        Dimension = dimension;
        capacity = Math.Max(16, capacity);
        _vectors = new float[checked(capacity * dimension)];
        _meta = new EpisodeMeta[capacity];
    }

    public int Dimension { get; }

    public int Count { get; private set; }

    public bool Contains(long id) => _rowOf.ContainsKey(id);

    /// <summary>Adds (or replaces) the vector of episode <paramref name="meta"/>.Id.</summary>
    public void Add(EpisodeMeta meta, ReadOnlySpan<float> vector)
    {
        ArgumentNullException.ThrowIfNull(meta);
        if (vector.Length != Dimension)
            throw new ArgumentException($"Vector has {vector.Length} floats; the index holds {Dimension}.", nameof(vector));
        if (!_rowOf.TryGetValue(meta.Id, out int row))
        {
            if (Count == _meta.Length)
                Grow();
            row = Count++;
            _rowOf[meta.Id] = row;
        }
        _meta[row] = meta;
        vector.CopyTo(_vectors.AsSpan(row * Dimension, Dimension));
    }

    /// <summary>The <paramref name="k"/> best-scoring episodes passing <paramref name="filter"/>; ties go to the newer (higher) id.</summary>
    public List<ScoredEpisode> Search(ReadOnlySpan<float> query, int k, RecallFilter? filter = null)
    {
        if (query.Length != Dimension)
            throw new ArgumentException($"Query has {query.Length} floats; the index holds {Dimension}.", nameof(query));
        var best = new List<ScoredEpisode>(Math.Max(0, Math.Min(k, Count)) + 1);
        if (k <= 0)
            return best;
        bool filtering = filter is not null && !filter.IsEmpty;
        var all = _vectors.AsSpan(0, Count * Dimension);
        for (int row = 0; row < Count; row++)
        {
            var meta = _meta[row];
            if (filtering && !meta.Passes(filter))
                continue;
            float score = TensorPrimitives.Dot(all.Slice(row * Dimension, Dimension), query);
            var candidate = new ScoredEpisode(meta.Id, score);
            if (best.Count == k && !Better(candidate, best[^1]))
                continue;
            int at = best.Count;
            while (at > 0 && Better(candidate, best[at - 1]))
                at--;
            best.Insert(at, candidate);
            if (best.Count > k)
                best.RemoveAt(best.Count - 1);
        }
        return best;
    }

    public bool TryGetMeta(long id, out EpisodeMeta meta)
    {
        if (_rowOf.TryGetValue(id, out int row))
        {
            meta = _meta[row];
            return true;
        }
        meta = null!;
        return false;
    }

    /// <summary>The stored vector of episode <paramref name="id"/>, empty if it has none.</summary>
    public ReadOnlySpan<float> VectorOf(long id) =>
        _rowOf.TryGetValue(id, out int row) ? _vectors.AsSpan(row * Dimension, Dimension) : [];

    /// <summary>
    /// The current arrays, not a copy, for a reader on another thread: rows below <c>Count</c> stay valid there because
    /// growing copies into new arrays; only replacing an id's vector writes into a row in place.
    /// </summary>
    internal (float[] Vectors, EpisodeMeta[] Meta, int Count) Rows() => (_vectors, _meta, Count);

    internal static bool Better(ScoredEpisode a, ScoredEpisode b) => a.Score > b.Score || (a.Score == b.Score && a.Id > b.Id);

    /// <summary>A copy of the rows (row-major) and their episode ids, in row order (benchmarks, diagnostics).</summary>
    public (float[] Vectors, long[] Ids) Export() =>
        (_vectors.AsSpan(0, Count * Dimension).ToArray(), [.. _meta.Take(Count).Select(m => m.Id)]);

    private void Grow()
    {
        int capacity = checked(_meta.Length * 2);
        Array.Resize(ref _meta, capacity);
        var bigger = new float[checked(capacity * Dimension)];
        _vectors.AsSpan(0, Count * Dimension).CopyTo(bigger);
        _vectors = bigger;
    }
}
