using CortexBot.Core.Stats;

namespace CortexBot.Core.Tests;

public sealed class PercentilesTests
{
    private static readonly double[] OneToThousand = Enumerable.Range(1, 1000).Select(i => (double)i).ToArray();

    [Fact]
    public void Nearest_rank_is_the_value_at_rank_ceil_p_times_n()
    {
        Assert.Equal(500, Percentiles.NearestRank(OneToThousand, 0.50));
        Assert.Equal(990, Percentiles.NearestRank(OneToThousand, 0.99));
        Assert.Equal(999, Percentiles.NearestRank(OneToThousand, 0.999));
        Assert.Equal(1000, Percentiles.NearestRank(OneToThousand, 1.0));
        Assert.Equal(1, Percentiles.NearestRank(OneToThousand, 0.0));
    }

    [Fact]
    public void Small_samples_give_measured_values_never_interpolated()
    {
        double[] four = [10, 20, 30, 40];
        Assert.Equal(20, Percentiles.NearestRank(four, 0.5)); // lower middle value, not 25
        Assert.Equal(40, Percentiles.NearestRank(four, 0.99)); // fewer than 100 values: p99 is the maximum
        Assert.Equal(30, Percentiles.NearestRank([10.0, 20, 30, 40, 50], 0.5));
    }

    [Fact]
    public void Unsorted_values_are_sorted_first()
    {
        Assert.Equal(990, Percentiles.NearestRankOf(OneToThousand.Reverse(), 0.99));
        Assert.Equal(3, Percentiles.NearestRankOf([5.0, 1, 3, 2, 4], 0.5));
    }

    [Fact]
    public void No_values_or_a_p_outside_0_to_1_is_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Percentiles.NearestRank([], 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => Percentiles.NearestRank(OneToThousand, 99));
        Assert.Throws<ArgumentOutOfRangeException>(() => Percentiles.NearestRank(OneToThousand, double.NaN));
        Assert.Equal(-1, Percentiles.NearestRankOr([], 0.5, -1));
    }

    [Fact]
    public void Index_agrees_with_the_value_for_large_counts()
    {
        Assert.Equal(989_999, Percentiles.NearestRankIndex(0.99, 1_000_000));
        Assert.Equal(0, Percentiles.NearestRankIndex(0.5, 1));
    }
}
