namespace CortexBot.Core.Stats;

/// <summary>
/// The one percentile definition of every CortexBot report: nearest rank. The p-quantile (p in [0, 1]) of n values sorted
/// ascending is the value at 1-based rank ceil(p * n), clamped to [1, n]: the smallest value with at least a fraction p of
/// the values at or below it. No interpolation, so it is always a measured value; p50 of an even count is the lower middle
/// value, p99 of 1,000 values is the 990th, p99 of fewer than 100 values is the maximum.
/// </summary>
public static class Percentiles
{
    /// <summary>0-based index of the nearest-rank p-quantile among <paramref name="count"/> sorted values.</summary>
    public static long NearestRankIndex(double p, long count)
    {
        if (count <= 0) throw new ArgumentOutOfRangeException(nameof(count), count, "a percentile of no values is undefined");
        if (!(p >= 0 && p <= 1)) throw new ArgumentOutOfRangeException(nameof(p), p, "p is a fraction in [0, 1]");
        return Math.Clamp((long)Math.Ceiling(p * count), 1, count) - 1;
    }

    /// <summary>The nearest-rank p-quantile of values already sorted ascending (allocates nothing).</summary>
    public static double NearestRank(IReadOnlyList<double> sorted, double p) => sorted[(int)NearestRankIndex(p, sorted.Count)];

    /// <summary>As <see cref="NearestRank"/>, or <paramref name="whenEmpty"/> when there are no values.</summary>
    public static double NearestRankOr(IReadOnlyList<double> sorted, double p, double whenEmpty) =>
        sorted.Count == 0 ? whenEmpty : NearestRank(sorted, p);

    /// <summary>The nearest-rank p-quantile of values in any order (sorts a copy).</summary>
    public static double NearestRankOf(IEnumerable<double> values, double p) => NearestRank(values.Order().ToArray(), p);
}
