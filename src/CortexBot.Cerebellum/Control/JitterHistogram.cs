using CortexBot.Core.Stats;

namespace CortexBot.Cerebellum.Control;

/// <summary>Fixed-size microsecond histogram: recording allocates nothing; percentiles are exact to 1 us up to 100 ms.</summary>
public sealed class JitterHistogram
{
    private const int Buckets = 100_001;
    private readonly long[] _counts = new long[Buckets];
    private long _total;
    private long _maxUs;

    public long Count => Volatile.Read(ref _total);
    public long MaxUs => Volatile.Read(ref _maxUs);

    public void Record(long microseconds)
    {
        if (microseconds < 0) microseconds = 0;
        _counts[microseconds >= Buckets ? Buckets - 1 : microseconds]++;
        _total++;
        if (microseconds > _maxUs) _maxUs = microseconds;
    }

    /// <summary>The <see cref="Percentiles"/> nearest-rank percentile, <paramref name="p"/> in percent (0 when nothing was recorded).</summary>
    public long Percentile(double p)
    {
        long total = Count;
        if (total == 0) return 0;
        long rank = Percentiles.NearestRankIndex(p / 100.0, total) + 1;
        long seen = 0;
        for (int i = 0; i < Buckets; i++)
        {
            seen += _counts[i];
            if (seen >= rank) return i;
        }
        return MaxUs;
    }

    public void Clear()
    {
        Array.Clear(_counts);
        _total = 0;
        _maxUs = 0;
    }
}
