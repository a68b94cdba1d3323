using System.Diagnostics;
using CortexBot.Core.Messages;

namespace CortexBot.Hippocampus.Recall;

/// <summary>
/// When recall switches to the approximate index and how that index is built.
/// </summary>
/// <param name="ApproximateThreshold">Episodes from which an HNSW index is built (below it exact search is fast enough).</param>
/// <param name="BuildThreads">Threads adding to the graph in the background; leave a core to the control loop.</param>
/// <param name="MaxOverFetch">Most candidates a filtered approximate search asks for before falling back to exact search.</param>
public sealed record RecallIndexOptions(int ApproximateThreshold = 20_000, HnswOptions? Hnsw = null, int BuildThreads = 1, int MaxOverFetch = 4096)
{
    public static RecallIndexOptions Default { get; } = new();

    public void Validate()
    {
        if (ApproximateThreshold < 1)
            throw new ArgumentException($"The approximate recall threshold must be at least 1 episode, not {ApproximateThreshold}.");
        if (BuildThreads is < 1 or > 64)
            throw new ArgumentException($"Recall index build threads must be between 1 and 64, not {BuildThreads}.");
        if (MaxOverFetch < 10)
            throw new ArgumentException($"The filtered recall over-fetch limit must be at least 10, not {MaxOverFetch}.");
        Hnsw?.Validate();
    }
}

/// <summary>
/// Recall over an <see cref="EpisodeVectorIndex"/> (exact, the reference, and the owner of every episode's vector and
/// filter fields) plus, once it holds <see cref="RecallIndexOptions.ApproximateThreshold"/> episodes, an
/// <see cref="HnswEpisodeIndex"/> built on background threads from the exact index's rows. Until that build is done
/// exact search answers, so recall never waits for it; episodes added meanwhile are queued and added when it is.
/// Filtered searches over-fetch approximate candidates and filter them; when the filter is so selective that
/// <see cref="RecallIndexOptions.MaxOverFetch"/> candidates do not yield k, exact search answers.
/// Owned by one thread (an actor), like the exact index; only the build runs elsewhere.
/// </summary>
public sealed class EpisodeRecallIndex : IEpisodeRecallIndex, IDisposable
{
    private readonly EpisodeVectorIndex _exact;
    private readonly RecallIndexOptions _options;
    private readonly Lock _gate = new();
    private readonly List<(long Id, float[] Vector)> _pending = [];
    private readonly RecallGraphFile? _graph;
    private readonly TaskCompletionSource _built = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile HnswEpisodeIndex? _ann;
    private volatile bool _stopping;
    private Thread? _builder;
    private int _savedRows;
    private long[] _ids = new long[64];
    private float[] _scores = new float[64];

    /// <param name="graph">Where the graph is saved between runs; null builds it afresh every time.</param>
    public EpisodeRecallIndex(EpisodeVectorIndex exact, RecallIndexOptions? options = null, RecallGraphFile? graph = null)
    {
        ArgumentNullException.ThrowIfNull(exact);
        _exact = exact;
        _graph = graph;
        _options = options ?? RecallIndexOptions.Default;
        _options.Validate();
        if (_exact.Count >= _options.ApproximateThreshold)
            StartBuild();
    }

    public int Dimension => _exact.Dimension;

    public int Count => _exact.Count;

    public EpisodeVectorIndex Exact => _exact;

    /// <summary>True once the approximate index answers unselective searches.</summary>
    public bool IsApproximate => _ann is not null;

    /// <summary>Whether a background build has started (it may be done).</summary>
    public bool BuildStarted => _builder is not null;

    /// <summary>Completes when the background build is done (faults with its error); never completes if none starts.</summary>
    public Task BuildCompletion => _built.Task;

    /// <summary>Wall-clock seconds of the last finished build.</summary>
    public double BuildSeconds { get; private set; }

    /// <summary>True when the graph came from <see cref="RecallGraphFile"/> rather than being built from every row.</summary>
    public bool LoadedFromFile { get; private set; }

    /// <summary>Rows added to a loaded graph because they were stored after it was saved.</summary>
    public int AddedAfterLoad { get; private set; }

    /// <summary>Why a saved graph was ignored or could not be saved (recall is unaffected), or null.</summary>
    public string? GraphFileWarning { get; private set; }

    /// <summary>Why the background build failed (exact search keeps answering), or null.</summary>
    public Exception? BuildError { get; private set; }

    private int _buildAdded, _buildTotal;

    /// <summary>Rows the background build has added to the graph so far, of the rows it has to add (for progress displays).</summary>
    public (int Added, int Total) BuildProgress => (Volatile.Read(ref _buildAdded), Volatile.Read(ref _buildTotal));

    public bool Contains(long id) => _exact.Contains(id);

    /// <summary>The approximate index once built (for tuning its search expansion), else null.</summary>
    public HnswEpisodeIndex? Approximate => _ann;

    public void Add(EpisodeMeta meta, ReadOnlySpan<float> vector)
    {
        _exact.Add(meta, vector);
        if (_ann is { } ann)
        {
            ann.Add(meta.Id, vector);
            return;
        }
        if (_builder is null)
        {
            if (_exact.Count >= _options.ApproximateThreshold)
                StartBuild();
            return;
        }
        lock (_gate)
        {
            if (_ann is null)
            {
                if (BuildError is not null)
                    return;
                // A replaced row may have been read half-written by the builder; re-adding it after the build repairs that.
                _pending.Add((meta.Id, vector.ToArray()));
                return;
            }
        }
        _ann?.Add(meta.Id, vector);
    }

    public List<ScoredEpisode> Search(ReadOnlySpan<float> query, int k, RecallFilter? filter = null)
    {
        var ann = _ann;
        if (ann is null || k <= 0)
            return _exact.Search(query, k, filter);
        bool filtering = filter is not null && !filter.IsEmpty;
        int fetch = filtering ? Math.Min(_options.MaxOverFetch, Math.Max(4 * k, 64)) : k;
        while (true)
        {
            if (_ids.Length < fetch)
            {
                _ids = new long[fetch];
                _scores = new float[fetch];
            }
            int found = ann.Search(query, _ids.AsSpan(0, fetch), _scores.AsSpan(0, fetch));
            var best = new List<ScoredEpisode>(Math.Min(k, found) + 1);
            for (int i = 0; i < found; i++)
            {
                if (filtering && (!_exact.TryGetMeta(_ids[i], out var meta) || !meta.Passes(filter)))
                    continue;
                best.Add(new ScoredEpisode(_ids[i], _scores[i]));
            }
            // The graph returns a candidate list, not the exact index's tie order: sort like it does.
            best.Sort((a, b) => EpisodeVectorIndex.Better(a, b) ? -1 : EpisodeVectorIndex.Better(b, a) ? 1 : 0);
            if (best.Count >= k || found < fetch)
                return best.Count > k ? best.GetRange(0, k) : best;
            if (fetch >= _options.MaxOverFetch)
                return _exact.Search(query, k, filter);
            fetch = Math.Min(_options.MaxOverFetch, fetch * 4);
        }
    }

    /// <summary>
    /// Saves the graph when it holds episodes the saved one lacks (clean shutdown); returns false with the reason when
    /// saving failed. Owner thread only: the graph then holds exactly the exact index's rows.
    /// </summary>
    public bool SaveIfGrown(out string? error)
    {
        error = null;
        if (_graph is null || _graph.ReadOnly || _ann is not { } ann || _exact.Count <= _savedRows)
            return true;
        var (vectors, meta, count) = _exact.Rows();
        try
        {
            _graph.Save(ann, vectors, meta, count);
            _savedRows = count;
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            error = $"Could not save the recall graph to {_graph.Path}: {ex.Message}";
            return false;
        }
    }

    /// <summary>Stops a running build (waiting for its threads), saves a grown graph, and frees the approximate index.</summary>
    public void Dispose()
    {
        _stopping = true;
        _builder?.Join();
        SaveIfGrown(out _);
        _ann?.Dispose();
        _ann = null;
    }

    private void StartBuild()
    {
        var (vectors, meta, count) = _exact.Rows();
        int dim = _exact.Dimension;
        int threads = _options.BuildThreads;
        var hnsw = _options.Hnsw ?? HnswOptions.Default;
        _builder = new Thread(() => Build(vectors, meta, count, dim, threads, hnsw))
        {
            IsBackground = true,
            Name = "recall-index-build",
            // The build is bulk work; the control loop and recall itself come first.
            Priority = ThreadPriority.BelowNormal,
        };
        _builder.Start();
    }

    private void SaveBuilt(HnswEpisodeIndex ann, float[] vectors, EpisodeMeta[] meta, int count)
    {
        if (_graph is null || _graph.ReadOnly)
            return;
        try
        {
            _graph.Save(ann, vectors, meta, count);
            _savedRows = count;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            GraphFileWarning = $"Could not save the recall graph to {_graph.Path}: {ex.Message}";
        }
    }

    private void Invalidate()
    {
        try
        {
            File.Delete(_graph!.SidecarPath);
        }
        catch (IOException)
        {
            // The rows checksum in the sidecar rejects the file at the next start anyway.
        }
        _savedRows = 0;
    }

    private static long LastId(EpisodeMeta[] meta, int count)
    {
        long max = 0;
        for (int i = 0; i < count; i++)
            max = Math.Max(max, meta[i].Id);
        return max;
    }

    private void Build(float[] vectors, EpisodeMeta[] meta, int count, int dim, int threads, HnswOptions hnsw)
    {
        HnswEpisodeIndex? ann = null;
        try
        {
            var sw = Stopwatch.StartNew();
            // One extra adder context for the owner's adds after publication, and head-room so those rarely regrow it.
            int capacity = count + Math.Max(1024, count / 8);
            int covered = 0;
            if (_graph is not null)
            {
                ann = _graph.TryLoad(vectors, meta, count, dim, hnsw, capacity, threads + 1, out covered, out var why);
                if (why is not null)
                    GraphFileWarning = $"Ignored the saved recall graph {_graph.Path} and rebuilt it: {why}.";
            }
            LoadedFromFile = ann is not null;
            ann ??= new HnswEpisodeIndex(dim, hnsw, capacity, concurrentAdders: threads + 1);
            Exception? failure = null;
            void AddRows(int first)
            {
                try
                {
                    for (int row = covered + first; row < count && !_stopping; row += threads)
                    {
                        ann.Add(meta[row].Id, vectors.AsSpan(row * dim, dim));
                        Interlocked.Increment(ref _buildAdded);
                    }
                }
                catch (Exception ex)
                {
                    Interlocked.CompareExchange(ref failure, ex, null);
                    _stopping = true;
                }
            }
            Volatile.Write(ref _buildTotal, count - covered);
            var helpers = Enumerable.Range(1, threads - 1)
                .Select(t => new Thread(() => AddRows(t)) { IsBackground = true, Name = $"recall-index-build-{t}", Priority = ThreadPriority.BelowNormal })
                .ToList();
            helpers.ForEach(h => h.Start());
            AddRows(0);
            helpers.ForEach(h => h.Join());
            if (failure is not null)
                throw failure;
            if (_stopping)
            {
                ann.Dispose();
                _built.TrySetCanceled();
                return;
            }
            if (LoadedFromFile)
            {
                AddedAfterLoad = count - covered;
                _savedRows = covered;
            }
            else
                SaveBuilt(ann, vectors, meta, count);
            lock (_gate)
            {
                // A row replaced while the graph was built was saved with its old vector: that file must not be trusted.
                if (_savedRows > 0 && !LoadedFromFile && _pending.Any(p => p.Id <= LastId(meta, count)))
                    Invalidate();
                foreach (var (id, vector) in _pending)
                    ann.Add(id, vector);
                _pending.Clear();
                BuildSeconds = sw.Elapsed.TotalSeconds;
                _ann = ann;
            }
            _built.TrySetResult();
        }
        catch (Exception ex)
        {
            ann?.Dispose();
            lock (_gate)
            {
                BuildError = ex;
                _pending.Clear();
            }
            _built.TrySetException(ex);
        }
    }
}
