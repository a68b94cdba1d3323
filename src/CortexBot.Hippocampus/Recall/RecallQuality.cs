namespace CortexBot.Hippocampus.Recall;

/// <summary>How well approximate recall agrees with exact recall.</summary>
public static class RecallQuality
{
    /// <summary>
    /// Recall@k of <paramref name="approximate"/> against <paramref name="exact"/> (the exact top k): the share of the
    /// exact top k that the approximate answer matched. An approximate hit counts if it is in the exact top k or scores
    /// as high as the exact k-th (within <paramref name="tolerance"/>): episodes with identical vectors tie, and which
    /// of them fills the last places is arbitrary, not a miss.
    /// </summary>
    public static double At(int k, IReadOnlyList<ScoredEpisode> exact, IReadOnlyList<ScoredEpisode> approximate, float tolerance = 1e-4f)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        int want = Math.Min(k, exact.Count);
        if (want == 0)
            return 1;
        var top = new HashSet<long>(exact.Take(want).Select(e => e.Id));
        float kth = exact[want - 1].Score;
        int hits = approximate.Take(want).DistinctBy(a => a.Id).Count(a => top.Contains(a.Id) || a.Score >= kth - tolerance);
        return (double)hits / want;
    }
}
