using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text.Json;

namespace CortexBot.Hippocampus.Recall;

/// <summary>
/// Where the approximate recall graph is kept between runs: <see cref="Path"/> (USearch's format) and
/// <c>Path + ".json"</c>, a sidecar naming what the graph was built from. A graph is only used when the sidecar
/// matches this embedder, dimension and HNSW parameters, the file's checksum matches (a corrupt graph could crash the
/// native library, so it is never handed one), and the first rows of the exact index are the ones it covered.
/// </summary>
/// <param name="Path">The graph file, normally beside the durable store (<c>&lt;store&gt;.hnsw</c>).</param>
/// <param name="EmbedderModel">The embedder the vectors came from; another model's graph is useless.</param>
/// <param name="ReadOnly">Load a saved graph but never write one (read-only opens of the store).</param>
public sealed record RecallGraphFile(string Path, string EmbedderModel, bool ReadOnly = false)
{
    public const int FormatVersion = 1;

    public string SidecarPath => Path + ".json";

    /// <summary>The graph file beside a store at <paramref name="storePath"/>.</summary>
    public static RecallGraphFile Beside(string storePath, string embedderModel, bool readOnly) =>
        new(storePath + ".hnsw", embedderModel, readOnly);

    internal sealed record Sidecar(int Format, string EmbedderModel, int Dimension, int Connectivity, int ExpansionAdd,
        int Episodes, long MaxEpisodeId, string RowsSha256, string GraphSha256, string UsearchVersion, DateTimeOffset SavedAt);

    /// <summary>
    /// Writes <paramref name="graph"/>, which holds exactly the first <paramref name="rows"/> rows of the exact index,
    /// to a temporary file and renames it into place, then the sidecar likewise; a crash in between leaves a sidecar
    /// whose checksum does not match, so the pair is ignored rather than trusted.
    /// </summary>
    internal void Save(HnswEpisodeIndex graph, float[] vectors, EpisodeMeta[] meta, int rows)
    {
        if (ReadOnly)
            throw new InvalidOperationException($"The recall graph {Path} belongs to a read-only store and is not written.");
        var dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path));
        if (dir is not null)
            Directory.CreateDirectory(dir);
        var tmp = Path + ".tmp";
        var sideTmp = SidecarPath + ".tmp";
        try
        {
            graph.Save(tmp);
            var sidecar = new Sidecar(FormatVersion, EmbedderModel, graph.Dimension, graph.Options.Connectivity, graph.Options.ExpansionAdd,
                rows, MaxId(meta, rows), RowsHash(vectors, meta, rows, graph.Dimension), FileHash(tmp), HnswEpisodeIndex.NativeVersion, DateTimeOffset.UtcNow);
            File.WriteAllText(sideTmp, JsonSerializer.Serialize(sidecar));
            File.Move(tmp, Path, overwrite: true);
            File.Move(sideTmp, SidecarPath, overwrite: true);
        }
        finally
        {
            File.Delete(tmp);
            File.Delete(sideTmp);
        }
    }

    /// <summary>
    /// The saved graph if it matches, with how many leading rows of the exact index it covers; otherwise null and
    /// <paramref name="why"/> says what did not match (no file at all is not a problem, and <paramref name="why"/> is null).
    /// </summary>
    internal HnswEpisodeIndex? TryLoad(float[] vectors, EpisodeMeta[] meta, int count, int dimension, HnswOptions options,
        long capacity, int concurrentAdders, out int covered, out string? why)
    {
        covered = 0;
        why = null;
        if (!File.Exists(Path) && !File.Exists(SidecarPath))
            return null;
        Sidecar? s;
        try
        {
            s = JsonSerializer.Deserialize<Sidecar>(File.ReadAllText(SidecarPath));
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            why = $"its sidecar {SidecarPath} could not be read ({ex.Message})";
            return null;
        }
        why = s switch
        {
            null => $"its sidecar {SidecarPath} is empty",
            { Format: not FormatVersion } => $"it has format {s.Format}, not {FormatVersion}",
            _ when s.EmbedderModel != EmbedderModel => $"it was built for embedder {s.EmbedderModel}, not {EmbedderModel}",
            _ when s.Dimension != dimension => $"it holds {s.Dimension}-float vectors, not {dimension}",
            _ when s.Connectivity != options.Connectivity || s.ExpansionAdd != options.ExpansionAdd =>
                $"it was built with M={s.Connectivity}, ef_add={s.ExpansionAdd}, not M={options.Connectivity}, ef_add={options.ExpansionAdd}",
            _ when s.Episodes < 1 || s.Episodes > count => $"it covers {s.Episodes} episodes but the store holds {count}",
            _ when MaxId(meta, s.Episodes) != s.MaxEpisodeId => $"its last episode is {s.MaxEpisodeId} but the store's episode {s.Episodes} is {MaxId(meta, s.Episodes)}",
            _ => null,
        };
        if (why is not null)
            return null;
        try
        {
            if (!File.Exists(Path))
                why = $"the graph file {Path} is missing";
            else if (FileHash(Path) != s!.GraphSha256)
                why = $"the graph file {Path} does not match its checksum (truncated or corrupt)";
            else if (RowsHash(vectors, meta, s.Episodes, dimension) != s.RowsSha256)
                why = $"the store's first {s.Episodes} episodes changed since it was saved";
        }
        catch (IOException ex)
        {
            why = $"the graph file {Path} could not be read ({ex.Message})";
        }
        if (why is not null)
            return null;
        HnswEpisodeIndex? graph = null;
        try
        {
            graph = HnswEpisodeIndex.Load(Path, dimension, options, capacity, concurrentAdders);
            if (graph.Count != s!.Episodes)
                throw new InvalidDataException($"it holds {graph.Count} vectors, not the {s.Episodes} its sidecar names");
            covered = s.Episodes;
            return graph;
        }
        catch (Exception ex) when (ex is InvalidOperationException or InvalidDataException)
        {
            graph?.Dispose();
            why = ex.Message;
            return null;
        }
    }

    /// <summary>
    /// Keeps a saved graph valid across a prune instead of leaving it to a full rebuild at the next open: the graph is
    /// loaded if it matches the store as it was before the prune (<paramref name="vectors"/>, <paramref name="meta"/>,
    /// <paramref name="count"/>), the pruned episodes among those it covers are removed from it, and it is saved again
    /// over the remaining rows. The rows it covers were a prefix of the id-ordered rows, so what remains of them is a
    /// prefix of the remaining rows. Returns false with the reason when the graph could not be kept (no saved graph,
    /// one that did not match anyway, or nothing left); the files are then left for the next open to judge and rebuild.
    /// </summary>
    internal bool RemovePruned(float[] vectors, EpisodeMeta[] meta, int count, int dimension, IReadOnlySet<long> pruned,
        out int removed, out int covers, out string? why)
    {
        removed = covers = 0;
        if (ReadOnly)
            throw new InvalidOperationException($"The recall graph {Path} belongs to a read-only store and is not written.");
        Sidecar? s;
        try
        {
            s = File.Exists(SidecarPath) ? JsonSerializer.Deserialize<Sidecar>(File.ReadAllText(SidecarPath)) : null;
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            why = $"its sidecar {SidecarPath} could not be read ({ex.Message})";
            return false;
        }
        if (s is null)
        {
            why = "there is no saved graph";
            return false;
        }
        // The graph keeps the parameters it was built with; a prune has no reason to judge them.
        var options = new HnswOptions(s.Connectivity, s.ExpansionAdd);
        using var graph = TryLoad(vectors, meta, count, dimension, options, s.Episodes + 16, 1, out int covered, out why);
        if (graph is null)
        {
            why ??= "there is no saved graph";
            return false;
        }
        // Only the covered rows matter: rows after them are added at the next open, as for any graph.
        var keptVectors = new float[covered * dimension];
        var keptMeta = new EpisodeMeta[covered];
        int kept = 0;
        for (int row = 0; row < covered; row++)
        {
            long id = meta[row].Id;
            if (pruned.Contains(id))
            {
                if (graph.Remove(id))
                    removed++;
                continue;
            }
            vectors.AsSpan(row * dimension, dimension).CopyTo(keptVectors.AsSpan(kept * dimension, dimension));
            keptMeta[kept++] = meta[row];
        }
        covers = kept;
        if (kept == 0)
        {
            why = "every episode it covered was pruned";
            return false;
        }
        if (graph.Count != kept)
        {
            why = $"after removing {removed} episodes it holds {graph.Count} vectors, not the {kept} that remain";
            return false;
        }
        Save(graph, keptVectors, keptMeta, kept);
        why = null;
        return true;
    }

    private static long MaxId(EpisodeMeta[] meta, int rows)
    {
        long max = 0;
        for (int i = 0; i < rows; i++)
            max = Math.Max(max, meta[i].Id);
        return max;
    }

    /// <summary>Ids and vectors of the first rows: a graph is only reused over the very episodes it was built from.</summary>
    private static string RowsHash(float[] vectors, EpisodeMeta[] meta, int rows, int dimension)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var ids = new long[Math.Min(rows, 4096)];
        for (int first = 0; first < rows; first += ids.Length)
        {
            int n = Math.Min(ids.Length, rows - first);
            for (int i = 0; i < n; i++)
                ids[i] = meta[first + i].Id;
            hash.AppendData(MemoryMarshal.AsBytes(ids.AsSpan(0, n)));
        }
        hash.AppendData(MemoryMarshal.AsBytes(vectors.AsSpan(0, rows * dimension)));
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    private static string FileHash(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20);
        return Convert.ToHexString(SHA256.HashData(stream));
    }
}
