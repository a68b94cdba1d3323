using CortexBot.Core.Ports;

namespace CortexBot.Hippocampus.Recall;

/// <summary>
/// Keeps the saved recall graph beside a store file in step with a prune, so the next open loads it rather than
/// rebuilding it (hours of background work for a million episodes). Take it with <see cref="Before"/> while the rows
/// the graph was built from are still there, prune, then <see cref="After"/>.
/// </summary>
internal sealed class RecallGraphPrune
{
    private readonly RecallGraphFile _graph;
    private readonly (float[] Vectors, EpisodeMeta[] Meta, int Count) _rows;
    private readonly int _dimension;

    private RecallGraphPrune(RecallGraphFile graph, (float[] Vectors, EpisodeMeta[] Meta, int Count) rows, int dimension) =>
        (_graph, _rows, _dimension) = (graph, rows, dimension);

    /// <summary>
    /// The rows a saved graph beside <paramref name="storePath"/> was built from, read before they change: only against
    /// them can it be trusted. Null when no graph is saved there (nothing to keep, nothing loaded).
    /// </summary>
    public static RecallGraphPrune? Before(string storePath, IEpisodeEmbedder embedder, Func<EpisodeVectorIndex> loadIndex)
    {
        var graph = RecallGraphFile.Beside(storePath, embedder.Model, readOnly: false);
        return File.Exists(graph.SidecarPath) ? new RecallGraphPrune(graph, loadIndex().Rows(), embedder.Dimension) : null;
    }

    /// <summary>
    /// Removes the pruned episodes from the saved graph and says what became of it. The prune itself has committed: a
    /// graph that cannot be kept only costs a rebuild, so failures here are reported, never thrown.
    /// </summary>
    public string After(IReadOnlySet<long> pruned)
    {
        try
        {
            return _graph.RemovePruned(_rows.Vectors, _rows.Meta, _rows.Count, _dimension, pruned, out int removed, out int covers, out var why)
                ? $"removed {removed} pruned episode(s) from the saved recall graph {_graph.Path}; it covers {covers} and is loaded at the next open"
                : $"the saved recall graph {_graph.Path} was not kept ({why}); it is rebuilt at the next open";
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException or InvalidDataException or DllNotFoundException)
        {
            return $"the saved recall graph {_graph.Path} could not be updated ({ex.Message}); it is rebuilt at the next open";
        }
    }
}
