using CortexBot.Brainstem.Ros2.Tests;
using CortexBot.Sim.MuJoCo;

namespace CortexBot.Sim.Ros2.Tests;

/// <summary>
/// `bench ros2 --action`'s measurement against a simulator node in this process: it really sends a goal each period and
/// every goal is answered (counts, not times: the figures belong to the benchmark). It once sent none at all, silently,
/// after the link went to one goal per motion.
/// </summary>
public sealed class RoundTripBenchmarkTests
{
    [Fact]
    public void The_goal_benchmark_sends_a_goal_each_period_and_every_one_is_answered()
    {
        int d = TestBus.NewDomain();
        using var world = MuJoCoWorld.OpenDefault();
        using var node = new Ros2SimNode(world, TestBus.Options(d), 500, seed: 1);
        using var cts = new CancellationTokenSource();
        var t = new Thread(() => node.Run(cts.Token)) { IsBackground = true };
        t.Start();
        try
        {
            var stats = Ros2RoundTripBenchmark.GoalsThroughLink(d, rateHz: 50, seconds: 1, nodeRateHz: 500);
            Assert.InRange(stats.Sent, 40, 60); // one a period over the measured second (the warm-up second is left out)
            Assert.Equal(stats.Sent, stats.Received);
            Assert.True(stats.P50Us > 0 && stats.P99Us >= stats.P50Us, $"p50 {stats.P50Us} p99 {stats.P99Us}");
        }
        finally
        {
            cts.Cancel();
            t.Join();
        }
    }
}
