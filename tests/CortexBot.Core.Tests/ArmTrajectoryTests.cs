using CortexBot.Core.Ports;

namespace CortexBot.Core.Tests;

public class ArmTrajectoryTests
{
    [Fact]
    public void A_minimum_jerk_segment_is_sampled_every_interval_plus_its_end_with_consistent_derivatives()
    {
        double[] from = [0.1, -0.5, 1.0], to = [0.7, -0.2, 0.4];
        var t = ArmTrajectory.MinimumJerk(from, to, 0.93, 0.02, "move");
        Assert.Equal(47, t.Count); // 46 intervals of 20 ms, then the end at 0.93 s
        Assert.Equal(0.02, t.TimeFromStart[0], 12);
        Assert.Equal(0.92, t.TimeFromStart[45], 12);
        Assert.Equal(0.93, t.Duration);
        Assert.Equal(to, Enumerable.Range(0, 3).Select(j => t.At(t.Count - 1, j)));
        for (int k = 1; k < t.Count - 1; k++)
        {
            double dt = t.TimeFromStart[k + 1] - t.TimeFromStart[k - 1];
            for (int j = 0; j < 3; j++)
            {
                // central differences of the samples agree with the sampled velocity and acceleration, within their
                // truncation error (dt^2/6 times the next derivative: 3 mrad/s and 20 mrad/s^2 here)
                double v = (t.At(k + 1, j) - t.At(k - 1, j)) / dt;
                Assert.True(Math.Abs(v - t.Velocity[k * 3 + j]) < 0.005, $"velocity at point {k}, joint {j}: {t.Velocity[k * 3 + j]} vs {v}");
                if (k + 1 < t.Count - 1)
                {
                    double a = (t.Velocity[(k + 1) * 3 + j] - t.Velocity[(k - 1) * 3 + j]) / dt;
                    Assert.True(Math.Abs(a - t.Acceleration[k * 3 + j]) < 0.03, $"acceleration at point {k}, joint {j}: {t.Acceleration[k * 3 + j]} vs {a}");
                }
            }
        }
        for (int j = 0; j < 3; j++)
        {
            Assert.Equal(0, t.Velocity[(t.Count - 1) * 3 + j], 12);
            Assert.Equal(0, t.Acceleration[(t.Count - 1) * 3 + j], 12);
        }
    }

    [Fact]
    public void A_long_segment_is_spread_over_at_most_the_points_one_message_carries()
    {
        var t = ArmTrajectory.MinimumJerk([0.0], [1.0], 10, 0.02, "long");
        Assert.Equal(ArmTrajectory.MaxPoints, t.Count);
        Assert.Equal(10, t.Duration);
        for (int k = 1; k < t.Count; k++) Assert.True(t.TimeFromStart[k] > t.TimeFromStart[k - 1]);
    }

    [Fact]
    public void Bad_segments_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => ArmTrajectory.MinimumJerk([0.0], [1.0], 0, 0.02, "x"));
        Assert.Throws<ArgumentOutOfRangeException>(() => ArmTrajectory.MinimumJerk([0.0], [1.0], 1, 0, "x"));
        Assert.Throws<ArgumentException>(() => ArmTrajectory.MinimumJerk([0.0], [1.0, 2.0], 1, 0.02, "x"));
    }
}
