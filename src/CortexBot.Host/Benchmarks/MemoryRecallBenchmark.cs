using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using CortexBot.Core;
using CortexBot.Core.Messages;
using CortexBot.Hippocampus;
using CortexBot.Hippocampus.Recall;
using CortexBot.Core.Stats;

namespace CortexBot.Host.Benchmarks;

/// <summary>
/// The approximate index searched with one expansion (ef). Latencies in microseconds: wall clock, and the searching
/// thread's own CPU time (what the search costs, without the time the thread waited for a core on a busy machine).
/// Recall@10 against exact search; "filtered" asks for failures only (about a quarter of the episodes).
/// </summary>
public sealed record AnnSearchRow(
    int ExpansionSearch,
    double P50Us,
    double P99Us,
    double CpuP50Us,
    double CpuP99Us,
    double RecallAt10,
    double FilteredP50Us,
    double FilteredP99Us,
    double FilteredRecallAt10);

/// <summary>One memory size: SQLite import, exact search (the baseline) and the approximate index at each expansion.</summary>
public sealed record MemoryRecallRow(
    int Episodes,
    double InsertsPerSecond,
    double LoadIndexSeconds,
    double ExactP50Us,
    double ExactP99Us,
    double ExactCpuP99Us,
    double FilteredExactP50Us,
    double AnnBuildSeconds,
    double AnnBuildPerSecond,
    double AnnSaveLoadSeconds,
    IReadOnlyList<AnnSearchRow> Ann)
{
    /// <summary>Episodes a <c>memory prune --keep</c> of the oldest tenth deleted.</summary>
    public int PrunedEpisodes { get; init; }

    /// <summary>That prune, including removing its episodes from the saved graph and saving it again.</summary>
    public double PruneSeconds { get; init; }

    /// <summary>The next open's load of the pruned graph (what it pays instead of <see cref="AnnBuildSeconds"/>).</summary>
    public double AfterPruneLoadSeconds { get; init; }

    /// <summary>Recall@10 of the pruned graph against exact search over the remaining episodes, at the first expansion.</summary>
    public double AfterPruneRecallAt10 { get; init; }

    /// <summary>Durable appends per second, one transaction each (what the robot pays per finished episode).</summary>
    public double SingleAppendsPerSecond { get; init; }

    /// <summary>The exact search's baseline: a plain scalar loop over the same vectors (p50/p99 us).</summary>
    public double ScalarBaselineP50Us { get; init; }

    public double ScalarBaselineP99Us { get; init; }

    /// <summary>Scalar baseline p50 over SIMD exact search p50.</summary>
    public double SimdSpeedupP50 { get; init; }

    /// <summary>Recall@10 of the SIMD exact search against the scalar loop (must be 1).</summary>
    public double RecallAt10VsScalar { get; init; }
}

public sealed record MemoryRecallReport(
    string Model,
    int Dimension,
    int Queries,
    int BuildThreads,
    int Connectivity,
    int ExpansionAdd,
    string UsearchVersion,
    IReadOnlyList<MemoryRecallRow> Rows)
{
    public string ToTable()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"memory recall, {Model}, {Queries} queries per size; HNSW (USearch {UsearchVersion}) M={Connectivity} " +
                      $"ef_add={ExpansionAdd}, built on {BuildThreads} thread(s); latencies in us (wall p50/p99, on-CPU p99)");
        foreach (var r in Rows)
        {
            sb.AppendLine($"{r.Episodes} episodes: durable appends (1 tx each) {r.SingleAppendsPerSecond:F0}/s, SQLite import {r.InsertsPerSecond:F0}/s, index load {r.LoadIndexSeconds:F1} s, " +
                          $"HNSW build+save {r.AnnBuildSeconds:F1} s ({r.AnnBuildPerSecond:F0}/s), load of the saved graph {r.AnnSaveLoadSeconds:F2} s");
            sb.AppendLine($"  prune of {r.PrunedEpisodes} oldest: {r.PruneSeconds:F2} s with the graph update, next open loads it in {r.AfterPruneLoadSeconds:F2} s " +
                          $"instead of rebuilding ({r.AnnBuildSeconds / Math.Max(1e-9, r.AfterPruneLoadSeconds):F0}x less), recall@10 after {r.AfterPruneRecallAt10:F3}");
            sb.AppendLine($"  {"search",-12} {"p50",8} {"p99",8} {"cpu p99",8} {"recall@10",9} | {"failures only: p50",18} {"p99",8} {"recall@10",9}");
            sb.AppendLine($"  {"exact",-12} {r.ExactP50Us,8:F0} {r.ExactP99Us,8:F0} {r.ExactCpuP99Us,8:F0} {1.0,9:F3} | {r.FilteredExactP50Us,18:F0} {"",8} {1.0,9:F3}");
            sb.AppendLine($"  {"scalar loop",-12} {r.ScalarBaselineP50Us,8:F0} {r.ScalarBaselineP99Us,8:F0} {"",8} {r.RecallAt10VsScalar,9:F3} | exact (SIMD) is {r.SimdSpeedupP50:F1}x faster at p50");
            foreach (var a in r.Ann)
                sb.AppendLine($"  {$"hnsw ef={a.ExpansionSearch}",-12} {a.P50Us,8:F0} {a.P99Us,8:F0} {a.CpuP99Us,8:F0} {a.RecallAt10,9:F3} | " +
                              $"{a.FilteredP50Us,18:F0} {a.FilteredP99Us,8:F0} {a.FilteredRecallAt10,9:F3}");
        }
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

    /// <param name="buildProgress">Called about 10 times a second while a graph builds: (size, rows added, rows to add).</param>
    public static MemoryRecallReport Run(IReadOnlyList<int> sizes, int dimension, int queries, int buildThreads, HnswOptions hnsw,
        IReadOnlyList<int> expansions, string folder, Action<string>? progress = null, Action<int, int, int>? buildProgress = null)
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
        if (expansions.Count == 0)
            throw new ConfigurationException("--expansion-search needs at least one value");
        try
        {
            hnsw.Validate();
            foreach (var ef in expansions)
                (hnsw with { ExpansionSearch = ef }).Validate();
        }
        catch (ArgumentException ex)
        {
            throw new ConfigurationException(ex.Message);
        }

        var embedder = new HashingEpisodeEmbedder(dimension);
        var rows = new List<MemoryRecallRow>();
        foreach (var n in sizes)
        {
            rows.Add(RunSize(n, embedder, queries, buildThreads, hnsw, expansions, folder, progress, buildProgress));
            progress?.Invoke(System.Text.Json.JsonSerializer.Serialize(rows[^1]));
            GC.Collect();
        }
        return new MemoryRecallReport(embedder.Model, dimension, queries, buildThreads, hnsw.Connectivity, hnsw.ExpansionAdd,
            HnswEpisodeIndex.NativeVersion, rows);
    }

    private static MemoryRecallRow RunSize(int n, HashingEpisodeEmbedder embedder, int queries, int buildThreads, HnswOptions hnsw,
        IReadOnlyList<int> expansions, string folder, Action<string>? progress, Action<int, int, int>? buildProgress)
    {
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"recall-bench-{Guid.NewGuid():N}.db");
        var rnd = new Random(n);
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        try
        {
            double inserts, single;
            // Durable single appends first (one transaction each, as the robot appends), then batched imports for the rest.
            int singles = Math.Min(200, n / 10);
            using (var store = new SqliteEpisodeStore(path, embedder: embedder))
            {
                var sw = Stopwatch.StartNew();
                for (int i = 0; i < singles; i++)
                    store.Append(MemoryBenchmark.Synthetic(rnd, t0, i));
                single = singles / sw.Elapsed.TotalSeconds;
                sw.Restart();
                const int batch = 5000;
                for (int done = singles; done < n; done += batch)
                {
                    store.Import([.. Enumerable.Range(done, Math.Min(batch, n - done)).Select(i => MemoryBenchmark.Synthetic(rnd, t0, i))]);
                    if ((done - singles) % 100_000 == 0 && done > singles)
                        progress?.Invoke($"{n}: {done} episodes stored");
                }
                inserts = (n - singles) / sw.Elapsed.TotalSeconds;
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

            var exactRun = Time(vectors, q => exact.Search(q, 10));
            var exactFiltered = Time(vectors, q => exact.Search(q, 10, Failures));
            // The baseline of exact search: a scalar loop over the same vectors, same queries.
            var (flat, ids) = exact.Export();
            var scalarRun = Time(vectors, q => MemoryBenchmark.ScalarTop10(flat, ids, q, embedder.Dimension));
            double scalarHits = 0;
            for (int i = 0; i < queries; i++)
                scalarHits += RecallQuality.At(10, scalarRun.Top[i], exactRun.Top[i]);
            progress?.Invoke($"{n}: exact p50 {Percentiles.NearestRankOf(exactRun.Us, 0.5):F0} us; building the HNSW index");

            var options = new RecallIndexOptions(ApproximateThreshold: 1, Hnsw: hnsw, BuildThreads: buildThreads);
            var graph = RecallGraphFile.Beside(path, embedder.Model, readOnly: false);
            using var recall = new EpisodeRecallIndex(exact, options, graph);
            while (!recall.BuildCompletion.Wait(TimeSpan.FromMilliseconds(100)))
                if (buildProgress is not null && recall.BuildProgress is { Total: > 0 } p) buildProgress(n, p.Added, p.Total);
            recall.BuildCompletion.GetAwaiter().GetResult();
            double build = recall.BuildSeconds;
            if (recall.GraphFileWarning is { } saveProblem)
                throw new InvalidOperationException(saveProblem);
            progress?.Invoke($"{n}: built and saved in {build:F1} s; loading the saved graph");
            double reload;
            // What a restart pays instead of the build: checksums, the native load, and nothing left to add.
            using (var reopened = new EpisodeRecallIndex(exact, options, graph with { ReadOnly = true }))
            {
                reopened.BuildCompletion.GetAwaiter().GetResult();
                if (!reopened.LoadedFromFile)
                    throw new InvalidOperationException($"The saved graph was not loaded: {reopened.GraphFileWarning}");
                reload = reopened.BuildSeconds;
            }
            progress?.Invoke($"{n}: loaded in {reload:F2} s; searching");

            var ann = new List<AnnSearchRow>();
            foreach (var ef in expansions)
            {
                recall.Approximate!.ExpansionSearch = ef;
                var run = Time(vectors, q => recall.Search(q, 10));
                var filtered = Time(vectors, q => recall.Search(q, 10, Failures));
                double hits = 0, filteredHits = 0;
                for (int i = 0; i < queries; i++)
                {
                    hits += RecallQuality.At(10, exactRun.Top[i], run.Top[i]);
                    filteredHits += RecallQuality.At(10, exactFiltered.Top[i], filtered.Top[i]);
                }
                ann.Add(new AnnSearchRow(ef, Percentiles.NearestRankOf(run.Us, 0.5), Percentiles.NearestRankOf(run.Us, 0.99), Percentiles.NearestRankOf(run.CpuUs, 0.5),
                    Percentiles.NearestRankOf(run.CpuUs, 0.99), hits / queries, Percentiles.NearestRankOf(filtered.Us, 0.5), Percentiles.NearestRankOf(filtered.Us, 0.99),
                    filteredHits / queries));
            }
            recall.Dispose();

            // A prune of the oldest tenth: the saved graph is kept (its episodes removed) rather than rebuilt at the next open.
            progress?.Invoke($"{n}: pruning the oldest tenth");
            int pruned;
            double pruneSeconds;
            using (var store = new SqliteEpisodeStore(path, embedder: embedder))
            {
                var sw = Stopwatch.StartNew();
                pruned = (int)store.Prune(PruneRule.KeepLatest(n - n / 10));
                pruneSeconds = sw.Elapsed.TotalSeconds;
                if (store.PruneGraphNote is not { } note || !note.StartsWith("removed", StringComparison.Ordinal))
                    throw new InvalidOperationException($"The prune did not keep the graph: {store.PruneGraphNote}");
            }
            EpisodeVectorIndex remaining;
            using (var reader = new SqliteEpisodeStore(path, readOnly: true, embedder: embedder))
                remaining = reader.LoadIndex();
            double afterLoad, afterRecall = 0;
            using (var reopened = new EpisodeRecallIndex(remaining, options, graph with { ReadOnly = true }))
            {
                reopened.BuildCompletion.GetAwaiter().GetResult();
                if (!reopened.LoadedFromFile)
                    throw new InvalidOperationException($"The pruned graph was not loaded: {reopened.GraphFileWarning}");
                afterLoad = reopened.BuildSeconds;
                reopened.Approximate!.ExpansionSearch = expansions[0];
                for (int i = Warmup; i < vectors.Length; i++)
                    afterRecall += RecallQuality.At(10, remaining.Search(vectors[i], 10), reopened.Search(vectors[i], 10));
                afterRecall /= queries;
            }
            progress?.Invoke($"{n}: pruned {pruned} in {pruneSeconds:F2} s, reloaded in {afterLoad:F2} s");
            return new MemoryRecallRow(n, inserts, load, Percentiles.NearestRankOf(exactRun.Us, 0.5), Percentiles.NearestRankOf(exactRun.Us, 0.99),
                Percentiles.NearestRankOf(exactRun.CpuUs, 0.99), Percentiles.NearestRankOf(exactFiltered.Us, 0.5), build, n / build, reload, ann)
            {
                PrunedEpisodes = pruned, PruneSeconds = pruneSeconds, AfterPruneLoadSeconds = afterLoad, AfterPruneRecallAt10 = afterRecall,
                SingleAppendsPerSecond = single, ScalarBaselineP50Us = Percentiles.NearestRankOf(scalarRun.Us, 0.5), ScalarBaselineP99Us = Percentiles.NearestRankOf(scalarRun.Us, 0.99),
                SimdSpeedupP50 = Percentiles.NearestRankOf(scalarRun.Us, 0.5) / Percentiles.NearestRankOf(exactRun.Us, 0.5), RecallAt10VsScalar = scalarHits / queries,
            };
        }
        finally
        {
            foreach (var f in new[] { path, path + "-wal", path + "-shm", path + ".hnsw", path + ".hnsw.json" })
                File.Delete(f);
        }
    }

    /// <summary>Wall-clock and on-CPU latencies (after warm-up queries) and answers of one search over every query.</summary>
    private static (double[] Us, double[] CpuUs, List<ScoredEpisode>[] Top) Time(float[][] queries, Func<float[], List<ScoredEpisode>> search)
    {
        var us = new double[queries.Length - Warmup];
        var cpu = new double[queries.Length - Warmup];
        var top = new List<ScoredEpisode>[queries.Length - Warmup];
        for (int i = 0; i < queries.Length; i++)
        {
            long c = ThreadCpuNanoseconds();
            long a = Stopwatch.GetTimestamp();
            var found = search(queries[i]);
            var elapsed = Stopwatch.GetElapsedTime(a).TotalMicroseconds;
            long cpuNs = ThreadCpuNanoseconds() - c;
            if (i < Warmup)
                continue;
            us[i - Warmup] = elapsed;
            cpu[i - Warmup] = cpuNs / 1000.0;
            top[i - Warmup] = found;
        }
        return (us, cpu, top);
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    private const int ClockThreadCpuTime = 3; // CLOCK_THREAD_CPUTIME_ID on Linux

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out Timespec time);

    private static long ThreadCpuNanoseconds() =>
        OperatingSystem.IsLinux() && ClockGetTime(ClockThreadCpuTime, out var t) == 0 ? t.Seconds * 1_000_000_000 + t.Nanoseconds : 0;
}
