using System.Runtime.InteropServices;
using Cloud.Unum.USearch;

namespace CortexBot.Hippocampus.Recall;

/// <summary>
/// HNSW graph parameters. <see cref="Connectivity"/> (M) and <see cref="ExpansionAdd"/> (ef_construction) trade build
/// time for recall; <see cref="ExpansionSearch"/> (ef) trades query time for recall and is at least the k asked for.
/// Defaults from <c>cortexbot bench memory</c> at 1M episodes on 2 cores: M=16, ef_add=64 built in 7.5 min but topped
/// out at recall@10 0.94 (ef 512); M=32, ef_add=128 took 12 min and reached 0.985 at ef 256 for about 1 ms a query.
/// </summary>
public sealed record HnswOptions(int Connectivity = 32, int ExpansionAdd = 128, int ExpansionSearch = 256)
{
    public static HnswOptions Default { get; } = new();

    public void Validate()
    {
        if (Connectivity is < 2 or > 256)
            throw new ArgumentException($"HNSW connectivity must be between 2 and 256, not {Connectivity}.");
        if (ExpansionAdd is < 1 or > 4096)
            throw new ArgumentException($"HNSW expansion_add must be between 1 and 4096, not {ExpansionAdd}.");
        if (ExpansionSearch is < 1 or > 4096)
            throw new ArgumentException($"HNSW expansion_search must be between 1 and 4096, not {ExpansionSearch}.");
    }
}

/// <summary>
/// Approximate similarity search over episode vectors: a USearch HNSW graph, inner-product metric over the embedder's
/// L2-normalised float32 vectors, so its score is the same dot product <see cref="EpisodeVectorIndex"/> computes.
/// Adds may come from several threads at once (the graph is built in parallel); capacity is reserved ahead, and
/// growing it, the only operation that moves the graph, excludes adds and searches.
/// </summary>
public sealed unsafe class HnswEpisodeIndex : IDisposable
{
    private readonly ReaderWriterLockSlim _resize = new(LockRecursionPolicy.NoRecursion);
    private nint _handle;
    private long _slots;      // adds started (including replaced keys, which keep their old slot until compaction)
    private long _capacity;
    private int _expansionSearch;

    /// <param name="concurrentAdders">How many threads may add at once (USearch keeps one context per thread).</param>
    public HnswEpisodeIndex(int dimension, HnswOptions? options = null, int capacity = 1024, int concurrentAdders = 1, int concurrentSearchers = 2)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(dimension);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(concurrentAdders);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(concurrentSearchers);
        Options = options ?? HnswOptions.Default;
        Options.Validate();
        Dimension = dimension;
        _expansionSearch = Options.ExpansionSearch;
        var native = new IndexOptions(MetricKind.Ip, IntPtr.Zero, ScalarKind.Float32, (ulong)dimension,
            (ulong)Options.Connectivity, (ulong)Options.ExpansionAdd, (ulong)Options.ExpansionSearch, false);
        nint error = 0;
        _handle = UsearchNative.Init(&native, &error);
        UsearchNative.Check(error, "create an HNSW index");
        try
        {
            UsearchNative.ThreadsAdd(_handle, (nuint)concurrentAdders, &error);
            UsearchNative.Check(error, "set the add threads");
            UsearchNative.ThreadsSearch(_handle, (nuint)concurrentSearchers, &error);
            UsearchNative.Check(error, "set the search threads");
            Reserve(Math.Max(16, capacity));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The USearch native library's version; throws <see cref="DllNotFoundException"/> if it cannot be loaded.</summary>
    public static string NativeVersion => Marshal.PtrToStringUTF8((nint)UsearchNative.Version()) ?? "";

    public HnswOptions Options { get; }

    public int Dimension { get; }

    public long Count
    {
        get
        {
            _resize.EnterReadLock();
            try
            {
                ThrowIfDisposed();
                nint error = 0;
                var n = UsearchNative.Size(_handle, &error);
                UsearchNative.Check(error, "count its vectors");
                return (long)n;
            }
            finally
            {
                _resize.ExitReadLock();
            }
        }
    }

    /// <summary>Candidates kept while searching (ef); a search asking for more results uses that many instead.</summary>
    public int ExpansionSearch
    {
        get => _expansionSearch;
        set
        {
            if (value is < 1 or > 4096)
                throw new ArgumentException($"HNSW expansion_search must be between 1 and 4096, not {value}.");
            _resize.EnterWriteLock();
            try
            {
                ThrowIfDisposed();
                nint error = 0;
                UsearchNative.ExpansionSearch(_handle, (nuint)value, &error);
                UsearchNative.Check(error, "change expansion_search");
                _expansionSearch = value;
            }
            finally
            {
                _resize.ExitWriteLock();
            }
        }
    }

    /// <summary>Makes room for <paramref name="capacity"/> vectors in all (never shrinks).</summary>
    public void Reserve(long capacity)
    {
        _resize.EnterWriteLock();
        try
        {
            ThrowIfDisposed();
            if (capacity <= _capacity)
                return;
            nint error = 0;
            UsearchNative.Reserve(_handle, (nuint)capacity, &error);
            UsearchNative.Check(error, $"reserve room for {capacity} vectors");
            _capacity = capacity;
        }
        finally
        {
            _resize.ExitWriteLock();
        }
    }

    /// <summary>Adds episode <paramref name="id"/>'s vector, replacing the one stored under that id. Thread-safe.</summary>
    public void Add(long id, ReadOnlySpan<float> vector)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        if (vector.Length != Dimension)
            throw new ArgumentException($"Vector has {vector.Length} floats; the index holds {Dimension}.", nameof(vector));
        long slot = Interlocked.Increment(ref _slots);
        if (slot > Volatile.Read(ref _capacity))
            Reserve(Math.Max(slot, Volatile.Read(ref _capacity) * 2));
        _resize.EnterReadLock();
        try
        {
            ThrowIfDisposed();
            nint error = 0;
            if (UsearchNative.Contains(_handle, (ulong)id, &error))
            {
                UsearchNative.Remove(_handle, (ulong)id, &error);
                UsearchNative.Check(error, $"replace episode {id}");
            }
            UsearchNative.Check(error, $"look up episode {id}");
            fixed (float* v = vector)
                UsearchNative.Add(_handle, (ulong)id, v, ScalarKind.Float32, &error);
            UsearchNative.Check(error, $"add episode {id}");
        }
        finally
        {
            _resize.ExitReadLock();
        }
    }

    /// <summary>
    /// Removes episode <paramref name="id"/>; false when the graph does not hold it. Its node stays in the graph as a
    /// tombstone that searches pass through but never return, and the next add reuses its slot. Thread-safe.
    /// </summary>
    public bool Remove(long id)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        _resize.EnterReadLock();
        try
        {
            ThrowIfDisposed();
            nint error = 0;
            bool held = UsearchNative.Contains(_handle, (ulong)id, &error);
            UsearchNative.Check(error, $"look up episode {id}");
            if (!held)
                return false;
            UsearchNative.Remove(_handle, (ulong)id, &error);
            UsearchNative.Check(error, $"remove episode {id}");
            return true;
        }
        finally
        {
            _resize.ExitReadLock();
        }
    }

    /// <summary>
    /// The (approximately) best-scoring episodes, best first, written to <paramref name="ids"/> and
    /// <paramref name="scores"/> (dot products); returns how many were found (at most the spans' length).
    /// </summary>
    public int Search(ReadOnlySpan<float> query, Span<long> ids, Span<float> scores)
    {
        if (query.Length != Dimension)
            throw new ArgumentException($"Query has {query.Length} floats; the index holds {Dimension}.", nameof(query));
        int k = Math.Min(ids.Length, scores.Length);
        if (k == 0)
            return 0;
        _resize.EnterReadLock();
        try
        {
            ThrowIfDisposed();
            nint error = 0;
            nuint found;
            // usearch_key_t is a 64-bit unsigned key; episode ids are positive, so the bits are the same.
            fixed (float* q = query)
            fixed (long* keys = ids)
            fixed (float* distances = scores)
                found = UsearchNative.Search(_handle, q, ScalarKind.Float32, (nuint)k, (ulong*)keys, distances, &error);
            UsearchNative.Check(error, "search");
            int n = (int)found;
            // The inner-product metric reports distance = 1 - dot.
            for (int i = 0; i < n; i++)
                scores[i] = 1f - scores[i];
            return n;
        }
        finally
        {
            _resize.ExitReadLock();
        }
    }

    /// <summary>Writes the graph and its vectors to <paramref name="path"/> (USearch's own format). Excludes adds and searches.</summary>
    public void Save(string path)
    {
        _resize.EnterWriteLock();
        try
        {
            ThrowIfDisposed();
            nint error = 0;
            UsearchNative.Save(_handle, path, &error);
            UsearchNative.Check(error, $"save the graph to {path}");
        }
        finally
        {
            _resize.ExitWriteLock();
        }
    }

    /// <summary>
    /// Reads a graph <see cref="Save"/> wrote; throws when USearch rejects the file or it holds another dimension or
    /// connectivity than this index was made with. Room is reserved for <paramref name="capacity"/> vectors after it.
    /// </summary>
    public static HnswEpisodeIndex Load(string path, int dimension, HnswOptions? options, long capacity, int concurrentAdders = 1, int concurrentSearchers = 2)
    {
        var index = new HnswEpisodeIndex(dimension, options, 16, concurrentAdders, concurrentSearchers);
        try
        {
            index.LoadFrom(path, capacity, concurrentAdders, concurrentSearchers);
            return index;
        }
        catch
        {
            index.Dispose();
            throw;
        }
    }

    private void LoadFrom(string path, long capacity, int concurrentAdders, int concurrentSearchers)
    {
        _resize.EnterWriteLock();
        try
        {
            nint error = 0;
            UsearchNative.Load(_handle, path, &error);
            UsearchNative.Check(error, $"load the graph from {path}");
            // The file's header, not this index's options, now decides the layout: a mismatch means another index.
            var dims = (long)UsearchNative.Dimensions(_handle, &error);
            UsearchNative.Check(error, "read the loaded dimension");
            if (dims != Dimension)
                throw new InvalidDataException($"The graph in {path} holds {dims}-float vectors, not {Dimension}.");
            var m = (long)UsearchNative.Connectivity(_handle, &error);
            UsearchNative.Check(error, "read the loaded connectivity");
            if (m != Options.Connectivity)
                throw new InvalidDataException($"The graph in {path} has connectivity {m}, not {Options.Connectivity}.");
            // Loading replaces the index's state, so the runtime settings are applied again.
            UsearchNative.ExpansionAdd(_handle, (nuint)Options.ExpansionAdd, &error);
            UsearchNative.Check(error, "set expansion_add");
            UsearchNative.ExpansionSearch(_handle, (nuint)_expansionSearch, &error);
            UsearchNative.Check(error, "set expansion_search");
            UsearchNative.ThreadsAdd(_handle, (nuint)concurrentAdders, &error);
            UsearchNative.Check(error, "set the add threads");
            UsearchNative.ThreadsSearch(_handle, (nuint)concurrentSearchers, &error);
            UsearchNative.Check(error, "set the search threads");
            var size = (long)UsearchNative.Size(_handle, &error);
            UsearchNative.Check(error, "count the loaded vectors");
            // Removed episodes still occupy nodes (size counts only live ones); the loaded capacity covers every node,
            // so counting it as used keeps the reservation ahead of adds.
            var loaded = (long)UsearchNative.Capacity(_handle, &error);
            UsearchNative.Check(error, "read the loaded capacity");
            _slots = Math.Max(size, loaded);
            _capacity = 0;
        }
        finally
        {
            _resize.ExitWriteLock();
        }
        Reserve(Math.Max(Math.Max(16, capacity), _slots + 16));
    }

    public void Dispose()
    {
        _resize.EnterWriteLock();
        try
        {
            if (_handle != 0)
            {
                nint error = 0;
                UsearchNative.Free(_handle, &error);
                _handle = 0;
            }
        }
        finally
        {
            _resize.ExitWriteLock();
        }
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_handle == 0, this);
}
