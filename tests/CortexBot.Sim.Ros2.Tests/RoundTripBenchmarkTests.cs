using CortexBot.Brainstem.Ros2;
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

    // ddsperf 0.10.2 ping output: one-way figures (half round trips), one line a second
    private const string DdsperfOutput = """
        [1] participant host:1: new
        [1] 1.000  x:2 size 300 mean 60.000us min 30.000us 50% 50.000us 90% 70.000us 99% 900.000us max 950.000us cnt 950
        [1] 2.000  x:2 size 300 mean 46.000us min 31.000us 50% 45.000us 90% 52.000us 99% 80.000us max 99.000us cnt 1000
        [1] 3.000  x:2 size 300 mean 44.000us min 30.000us 50% 43.000us 90% 51.000us 99% 95.000us max 120.000us cnt 998
        [1] 4.000  x:2 size 300 mean 47.000us min 32.000us 50% 44.000us 90% 53.000us 99% 70.000us max 88.000us cnt 1000
        """;

    [Fact]
    public void Ddsperf_figures_become_round_trips_without_its_first_second()
    {
        var s = Ros2RoundTripBenchmark.ParseDdsperf(DdsperfOutput, 1000);
        // ddsperf records (now - ping's timestamp) / 2: the round trip is twice what it prints
        Assert.Equal(88, s.P50Us, 6);   // median of 90, 86, 88
        Assert.Equal(190, s.P99Us, 6);  // largest of 160, 190, 140 (the first second's 1800 is left out)
        Assert.Equal(s.P50Us, s.WindowP50Us);
        Assert.Equal(s.P99Us, s.WindowP99Us);
        Assert.Equal(3000, s.Sent);
        Assert.Equal(2998, s.Received);
        Assert.Throws<InvalidOperationException>(() => Ros2RoundTripBenchmark.ParseDdsperf("ddsperf: no peers", 1000));
    }

    [Fact]
    public void Windowed_figures_sum_up_each_second_as_ddsperf_does()
    {
        const long s = 1_000_000_000;
        // second 0: 1..100 us, second 1: 101..200 us, second 2: 10 samples of 5 us (sent out of order: windows go by send time)
        var sent = new List<long>();
        var rtt = new List<double>();
        for (int i = 1; i <= 100; i++) { sent.Add(5 * s + i * 1000); rtt.Add(i); }
        for (int i = 0; i < 10; i++) { sent.Add(7 * s + 10); rtt.Add(5); }
        for (int i = 101; i <= 200; i++) { sent.Add(6 * s + i * 1000); rtt.Add(i); }
        var (p50, p99) = Ros2RoundTripBenchmark.Windowed(sent, rtt, 5 * s);
        // ddsperf's ranks: p50 raw[n - (n + 1) / 2], p99 raw[n - (n + 99) / 100]: 51 and 100 for 1..100, 151 and 200, 5 and 5
        Assert.Equal(51, p50);   // median of 5, 51, 151
        Assert.Equal(200, p99);  // the largest p99
        Assert.True(double.IsNaN(Ros2RoundTripBenchmark.Windowed([], [], 0).P50Us));
    }

    [Fact]
    public void The_native_echo_returns_each_ping_unchanged_and_stops_when_cancelled()
    {
        int d = TestBus.NewDomain();
        using var cts = new CancellationTokenSource();
        var echo = new Thread(() => Ros2RoundTripBenchmark.Echo(d, cts.Token, EchoPeer.Native)) { IsBackground = true };
        echo.Start();
        try
        {
            // the pinger's side: the link takes the pongs on the pong topic, a test robot writes the pings
            var o = new Ros2Options { DomainId = d, LoopbackOnly = true, Distro = RosDistro.Jazzy, JointStatesTopic = Ros2RoundTripBenchmark.PongTopic };
            using var link = new Ros2RobotLink(Ros2Defaults.Arm, o);
            string[] names = [.. Ros2Defaults.Arm, .. o.GripperJoints];
            using var dds = new DdsParticipant(d, DdsParticipant.LoopbackConfig());
            int w = dds.Writer(RosType.JointState, Ros2RoundTripBenchmark.PingTopic, RosQos.Default);
            var state = new CortexBot.Core.Ports.RobotStateBuffer(Ros2Defaults.Arm.Length);
            TestBus.WaitUntil(() =>
            {
                FakeRobot.PublishRaw(w, names, [1, 2, 3, 4, 5, 6, 0.01, 0.01], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0, 0]);
                Thread.Sleep(20);
                return link.Counters.JointStatesAccepted > 0;
            }, "the native echo's first pong");
            long before = link.Counters.JointStatesAccepted;
            FakeRobot.PublishRaw(w, names, [-1, -2, -3, -4, -5, -6, 0.02, 0.02], [0.6, 0.5, 0.4, 0.3, 0.2, 0.1, 0, 0]);
            TestBus.WaitUntil(() => link.Counters.JointStatesAccepted > before && link.Read(state) && state.Position[0] == -1, "the echo of the second ping");
            Assert.Equal([-1, -2, -3, -4, -5, -6], state.Position);
            Assert.Equal([0.6, 0.5, 0.4, 0.3, 0.2, 0.1], state.Velocity);
        }
        finally
        {
            cts.Cancel();
            Assert.True(echo.Join(TimeSpan.FromSeconds(5)), "the native echo did not stop when cancelled");
        }
    }

    [Fact]
    public void The_link_round_trip_benchmark_observes_the_native_echo_every_period()
    {
        int d = TestBus.NewDomain();
        using var cts = new CancellationTokenSource();
        var echo = new Thread(() => Ros2RoundTripBenchmark.Echo(d, cts.Token, EchoPeer.Native)) { IsBackground = true };
        echo.Start();
        try
        {
            var stats = Ros2RoundTripBenchmark.PingThroughLink(d, rateHz: 100, seconds: 1, EchoPeer.Native);
            Assert.Equal(100, stats.Sent);
            // counts, not times: loopback may drop the odd best-effort echo on a loaded machine, never most of them
            Assert.InRange(stats.Received, 80, 100);
            Assert.Contains("echo in C", stats.Path);
            Assert.True(stats.P50Us > 0 && stats.P99Us >= stats.P50Us, $"p50 {stats.P50Us} p99 {stats.P99Us}");
            Assert.True(stats.WindowP50Us > 0 && stats.WindowP99Us >= stats.WindowP50Us, $"windowed p50 {stats.WindowP50Us} p99 {stats.WindowP99Us}");
        }
        finally
        {
            cts.Cancel();
            Assert.True(echo.Join(TimeSpan.FromSeconds(5)), "the native echo did not stop when cancelled");
        }
    }
}
