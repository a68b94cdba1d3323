using System.Collections.Immutable;
using System.Diagnostics;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using CortexBot.Core.Stats;

namespace CortexBot.Hippocampus.Recall;

/// <summary>What <see cref="MemoryBenchmark.Run"/> measured. Latencies in microseconds.</summary>
public sealed record MemoryBenchmarkReport(
    int Episodes,
    int Dimension,
    string Model,
    double SingleAppendsPerSecond,
    double BatchInsertsPerSecond,
    double LoadIndexSeconds,
    int Queries,
    double ExactP50Us,
    double ExactP99Us,
    double ScalarBaselineP50Us,
    double ScalarBaselineP99Us,
    double SimdSpeedupP50,
    double RecallAt10VsScalar);

/// <summary>
/// Synthetic memory benchmark on a real SQLite store: durable single appends (one transaction each, synchronous=FULL),
/// batched imports, index load, and exact recall (SIMD <see cref="EpisodeVectorIndex"/>) against a scalar-loop baseline
/// over the same vectors measured in the same run. The approximate (HNSW) index is not built yet, so recall@10 compares
/// the SIMD search with the scalar one (it must be 1).
/// </summary>
public static class MemoryBenchmark
{
    private static readonly string[] Colours = ["red", "blue", "green", "yellow", "black", "white", "orange", "purple"];
    private static readonly string[] Things = ["cube", "block", "ball", "cup", "can", "box"];
    private static readonly string[] Targets = ["bin", "tray", "shelf", "basket"];
    private static readonly string[] Verbs = ["put", "place", "move", "drop", "stack"];
    private static readonly string[] Reasons = ["slipped out of the gripper", "missed the target", "collision with the table", "timeout"];

    public static EpisodeRecord Synthetic(Random rnd, DateTimeOffset t0, int i)
    {
        var obj = $"{Colours[rnd.Next(Colours.Length)]}_{Things[rnd.Next(Things.Length)]}";
        var target = Targets[rnd.Next(Targets.Length)];
        bool ok = rnd.Next(4) > 0;
        string? why = ok ? null : Reasons[rnd.Next(Reasons.Length)];
        // The station number keeps a million episodes mostly distinct, as real ones are (places, attempts, wording).
        return new EpisodeRecord(Guid.NewGuid(),
            $"{Verbs[rnd.Next(Verbs.Length)]} the {obj.Replace('_', ' ')} in the {target} at station {rnd.Next(1000)}", i,
            t0.AddSeconds(i * 10), 5 + rnd.NextDouble() * 5, ok, why, "rule", [$"{SkillNames.Pick}({obj})", $"{SkillNames.Place}({obj}, {target})"],
            [
                new StepRecord(0, $"{SkillNames.Pick}({obj})", SkillOutcome.Succeeded, null, 0, 2.5),
                new StepRecord(1, $"{SkillNames.Place}({obj}, {target})", ok ? SkillOutcome.Succeeded : SkillOutcome.Failed, why, 2.5, 3),
            ],
            ImmutableArray<string>.Empty, 0.5, "bench");
    }

    public static MemoryBenchmarkReport Run(string folder, int episodes, int queries = 200, int singleAppends = 200, int seed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(episodes, singleAppends + 10);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(queries);
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, $"bench-{Guid.NewGuid():N}.db");
        var rnd = new Random(seed);
        var t0 = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        try
        {
            double single, batch, load;
            EpisodeVectorIndex index;
            IEpisodeEmbedder embedder;
            using (var store = new SqliteEpisodeStore(path))
            {
                embedder = store.Embedder;
                var sw = Stopwatch.StartNew();
                for (int i = 0; i < singleAppends; i++)
                    store.Append(Synthetic(rnd, t0, i));
                single = singleAppends / sw.Elapsed.TotalSeconds;

                sw.Restart();
                const int batchSize = 2000;
                for (int done = singleAppends; done < episodes; done += batchSize)
                {
                    int n = Math.Min(batchSize, episodes - done);
                    store.Import([.. Enumerable.Range(done, n).Select(i => Synthetic(rnd, t0, i))]);
                }
                batch = (episodes - singleAppends) / sw.Elapsed.TotalSeconds;
            }
            using (var reader = new SqliteEpisodeStore(path, readOnly: true))
            {
                var sw = Stopwatch.StartNew();
                index = reader.LoadIndex();
                load = sw.Elapsed.TotalSeconds;
            }

            // The same vectors as one flat array for the scalar baseline.
            var q = new float[embedder.Dimension];
            var flat = Flatten(index, embedder.Dimension, out var ids);
            var simd = new double[queries];
            var scalar = new double[queries];
            double hits = 0;
            for (int i = 0; i < queries + 5; i++) // 5 warm-up queries
            {
                embedder.EmbedQuery(Synthetic(rnd, t0, i).Instruction, q);
                long a = Stopwatch.GetTimestamp();
                var fast = index.Search(q, 10);
                long b = Stopwatch.GetTimestamp();
                var slow = ScalarTop10(flat, ids, q, embedder.Dimension);
                long c = Stopwatch.GetTimestamp();
                if (i < 5)
                    continue;
                simd[i - 5] = Stopwatch.GetElapsedTime(a, b).TotalMicroseconds;
                scalar[i - 5] = Stopwatch.GetElapsedTime(b, c).TotalMicroseconds;
                hits += fast.Select(h => h.Id).Intersect(slow).Count() / 10.0;
            }
            double p50 = Percentiles.NearestRankOf(simd, 0.50), p99 = Percentiles.NearestRankOf(simd, 0.99);
            double s50 = Percentiles.NearestRankOf(scalar, 0.50), s99 = Percentiles.NearestRankOf(scalar, 0.99);
            return new MemoryBenchmarkReport(episodes, embedder.Dimension, embedder.Model, single, batch, load, queries,
                p50, p99, s50, s99, s50 / p50, hits / queries);
        }
        finally
        {
            foreach (var f in new[] { path, path + "-wal", path + "-shm" })
                File.Delete(f);
        }
    }

    private static float[] Flatten(EpisodeVectorIndex index, int dim, out long[] ids)
    {
        var (vectors, rowIds) = index.Export();
        ids = rowIds;
        return vectors;
    }

    private static List<long> ScalarTop10(float[] flat, long[] ids, float[] q, int dim)
    {
        var best = new List<(float Score, long Id)>(11);
        for (int row = 0; row < ids.Length; row++)
        {
            float s = 0;
            int off = row * dim;
            for (int j = 0; j < dim; j++)
                s += flat[off + j] * q[j];
            if (best.Count == 10 && (s < best[^1].Score || (s == best[^1].Score && ids[row] < best[^1].Id)))
                continue;
            int at = best.Count;
            while (at > 0 && (s > best[at - 1].Score || (s == best[at - 1].Score && ids[row] > best[at - 1].Id)))
                at--;
            best.Insert(at, (s, ids[row]));
            if (best.Count > 10)
                best.RemoveAt(10);
        }
        return [.. best.Select(b => b.Id)];
    }
}
