using System.Diagnostics;
using System.Text;
using CortexBot.Core;
using CortexBot.Core.Messages;
using CortexBot.Hippocampus;
using CortexBot.Hippocampus.Recall;

namespace CortexBot.Host.Benchmarks;

/// <summary>One memory size. Latencies in microseconds; recall@10 of the approximate index against exact search.</summary>
public sealed record MemoryRecallRow(
    int Episodes,
    double InsertsPerSecond,
    double LoadIndexSeconds,
    double ExactP50Us,
    double ExactP99Us,
    double AnnBuildSeconds,
    double AnnBuildPerSecond,
    double AnnP50Us,
    double AnnP99Us,
    double RecallAt10,
    double FilteredExactP50Us,
    double FilteredAnnP50Us,
    double FilteredAnnP99Us,
    double FilteredRecallAt10)
{
    public double SpeedupP50 => AnnP50Us > 0 ? ExactP50Us / AnnP50Us : 0;
}

public sealed record MemoryRecallReport(
    string Model,
    int Dimension,
    int Queries,
    int BuildThreads,
    int Connectivity,
    int ExpansionAdd,
    int ExpansionSearch,
    string UsearchVersion,
    IReadOnlyList<MemoryRecallRow> Rows)
{
    public string ToTable()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"memory recall, {Model}, {Queries} queries per size; HNSW (USearch {UsearchVersion}) M={Connectivity} " +
                      $"ef_add={ExpansionAdd} ef={ExpansionSearch}, built on {BuildThreads} thread(s)");
        sb.AppendLine($"{"episodes",9} {"insert/s",9} {"load s",7} {"exact p50/p99 us",17} {"build s",8} {"adds/s",7} " +
                      $"{"ann p50/p99 us",15} {"recall@10",9} {"x p50",6} | {"failures only: exact p50",24} {"ann p50/p99",12} {"recall@10",9}");
        foreach (var r in Rows)
            sb.AppendLine($"{r.Episodes,9} {r.InsertsPerSecond,9:F0} {r.LoadIndexSeconds,7:F1} {$"{r.ExactP50Us:F0}/{r.ExactP99Us:F0}",17} " +
                          $"{r.AnnBuildSeconds,8:F1} {r.AnnBuildPerSecond,7:F0} {$"{r.AnnP50Us:F0}/{r.AnnP99Us:F0}",15} {r.RecallAt10,9:F3} " +
                          $"{r.SpeedupP50,6:F0} | {r.FilteredExactP50Us,24:F0} {$"{r.FilteredAnnP50Us:F0}/{r.FilteredAnnP99Us:F0}",12} {r.FilteredRecallAt10,9:F3}");
        return sb.ToString();
    }
}

/// <summary>
/// Recall at memory sizes side by side, in one run: synthetic episodes imported into a real SQLite store in a temporary
/// folder, the exact index reloaded from it as at start, then exact search (the baseline) against the HNSW index built
/// from it the way the hippocampus builds it (<see cref="EpisodeRecallIndex"/>), unfiltered and filtered to failures.
/// </summary>
public static class MemoryRecallBenchmark
{
    private const int Warmup = 5;
    private static readonly RecallFilter Failures = new(Success: false);

    public static MemoryRecallReport Run(IReadOnlyList<int> sizes, int dimension, int queries, int buildThreads, HnswOptions hnsw,
        string folder, Action<string>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        ArgumentNullException.ThrowIfNull(hnsw);
        if (sizes.Count == 0)
            throw new ConfigurationException("--sizes needs at least one size");
        foreach (var n in sizes)
            if (n is < 100 or > 20_000_000)
                throw new ConfigurationException($"every size in --sizes must be between 100 and 20000000, not {n}");
        if (dimension is < 16 or > 4096)
            throw new ConfigurationException($"--dim must be between 16 and 4096, not {dimension}");
        if (queries is < 1 or > 100_000)
            throw new ConfigurationException($"--queries must be between 1 and 100000, not {queries}");
        if (buildThreads is < 1 or > 64)
            throw new ConfigurationException($"--threads must be between 1 and 64, not {buildThreads}");
        try
        {
            hnsw.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new ConfigurationException(ex.Message);
        }

        var embedder = new HashingEpisodeEmbedder(dimension);
        var rows = new List<MemoryRecallRow>();
        foreach (var n in sizes)
        {
            rows.Add(RunSize(n, embedder, queries, buildThreads, hnsw, folder, progress));
            GC.Collect();
        }
        return new MemoryRecallReport(embedder.Model, dimension, queries, buildThreads, hnsw.Connectivity, hnsw.ExpansionAdd,
            hnsw.ExpansionSearch, HnswEpisodeIndex.NativeVersion, rows);
    }

    private static MemoryRecallRow RunSize(int n, HashingEpisodeEmbedder embedder, int queries, int buildThreads, HnswOptions hnsw,
        string folder, Action<string>? progress)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"recall-bench-{Guid.NewGuid():N}.db");
        var rnd = new Random(n);
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        try
        {
            double inserts;
            using (var store = new SqliteEpisodeStore(path, embedder: embedder))
            {
                var sw = Stopwatch.StartNew();
                const int batch = 5000;
                for (int done = 0; done < n; done += batch)
                {
                    store.Import([.. Enumerable.Range(done, Math.Min(batch, n - done)).Select(i => MemoryBenchmark.Synthetic(rnd, t0, i))]);
                    if (done % 100_000 == 0 && done > 0)
                        progress?.Invoke($"{n}: {done} episodes stored");
                }
                inserts = n / sw.Elapsed.TotalSeconds;
            }
            progress?.Invoke($"{n}: stored at {inserts:F0}/s; loading the index");

            EpisodeVectorIndex exact;
            double load;
            using (var reader = new SqliteEpisodeStore(path, readOnly: true, embedder: embedder))
            {
                var sw = Stopwatch.StartNew();
                exact = reader.LoadIndex();
                load = sw.Elapsed.TotalSeconds;
            }

            var texts = Enumerable.Range(0, queries + Warmup).Select(i => MemoryBenchmark.Synthetic(rnd, t0, i).Instruction).ToArray();
            var vectors = texts.Select(t =>
            {
                var q = new float[embedder.Dimension];
                embedder.EmbedQuery(t, q);
                return q;
            }).ToArray();

            var (exactLat, exactTop) = Time(vectors, q => exact.Search(q, 10));
            var (exactFilteredLat, exactFilteredTop) = Time(vectors, q => exact.Search(q, 10, Failures));
            progress?.Invoke($"{n}: exact p50 {Percentile(exactLat, 0.5):F0} us; building the HNSW index");

            using var recall = new EpisodeRecallIndex(exact, new RecallIndexOptions(ApproximateThreshold: 1, Hnsw: hnsw, BuildThreads: buildThreads));
            recall.BuildCompletion.GetAwaiter().GetResult();
            double build = recall.BuildSeconds;
            progress?.Invoke($"{n}: built in {build:F1} s; searching");

            var (annLat, annTop) = Time(vectors, q => recall.Search(q, 10));
            var (annFilteredLat, annFilteredTop) = Time(vectors, q => recall.Search(q, 10, Failures));
            double hits = 0, filteredHits = 0;
            for (int i = 0; i < queries; i++)
            {
                hits += RecallQuality.At(10, exactTop[i], annTop[i]);
                filteredHits += RecallQuality.At(10, exactFilteredTop[i], annFilteredTop[i]);
            }
            return new MemoryRecallRow(n, inserts, load, Percentile(exactLat, 0.5), Percentile(exactLat, 0.99), build, n / build,
                Percentile(annLat, 0.5), Percentile(annLat, 0.99), hits / queries,
                Percentile(exactFilteredLat, 0.5), Percentile(annFilteredLat, 0.5), Percentile(annFilteredLat, 0.99), filteredHits / queries);
        }
        finally
        {
            foreach (var f in new[] { path, path + "-wal", path + "-shm" })
                File.Delete(f);
        }
    }

    /// <summary>Latencies (after warm-up queries) and answers of one search over every query.</summary>
    private static (double[] Us, List<ScoredEpisode>[] Top) Time(float[][] queries, Func<float[], List<ScoredEpisode>> search)
    {
        var us = new double[queries.Length - Warmup];
        var top = new List<ScoredEpisode>[queries.Length - Warmup];
        for (int i = 0; i < queries.Length; i++)
        {
            long a = Stopwatch.GetTimestamp();
            var found = search(queries[i]);
            var elapsed = Stopwatch.GetElapsedTime(a).TotalMicroseconds;
            if (i < Warmup)
                continue;
            us[i - Warmup] = elapsed;
            top[i - Warmup] = found;
        }
        return (us, top);
    }

    private static double Percentile(double[] values, double p)
    {
        var sorted = values.Order().ToArray();
        int i = (int)Math.Ceiling(p * sorted.Length) - 1;
        return sorted[Math.Clamp(i, 0, sorted.Length - 1)];
    }
}
