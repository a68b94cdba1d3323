using Akka.Actor;
using CortexBot.Cerebellum.Control;
using CortexBot.Cluster.Remoting;
using CortexBot.Host.Benchmarks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CortexBot.Host.Tests;

/// <summary>
/// The split measurements of issue 12 with tiny counts: their shape and that their values are real (ticks counted, commands
/// timed, episodes run), never timing bounds. The robot node here is a real robot node host on loopback in this process
/// (the CLI's tests run the same benchmarks with its `robot serve` child).
/// </summary>
[Collection("end-to-end")]
public sealed class SplitBenchmarkTests
{
    /// <summary>A robot node host on 127.0.0.1, a port it picks, with the robot options the benchmark asks for.</summary>
    private sealed class InProcessRobotNode : IRobotNodeProcess
    {
        private readonly IHost _host;

        private InProcessRobotNode(IHost host, NodeEndpoint endpoint)
        {
            _host = host;
            Endpoint = endpoint;
        }

        public NodeEndpoint Endpoint { get; }
        public int Pid => Environment.ProcessId;

        public static async Task<IRobotNodeProcess> StartAsync(IReadOnlyList<string> args, CancellationToken ct)
        {
            var options = new CortexBotOptions { MemoryPath = TestOptions.TempDb(), RealtimePriority = false };
            for (int i = 0; i < args.Count; i++)
                options = args[i] switch
                {
                    "--fast" => options with { Pacing = Pacing.Fast },
                    "--realtime" => options with { Pacing = Pacing.Realtime },
                    "--rate" => options with { RateHz = double.Parse(args[++i], System.Globalization.CultureInfo.InvariantCulture) },
                    _ => throw new ArgumentException($"the benchmark asked for {args[i]}, which this test node does not take"),
                };
            var host = CortexBotRunner.BuildRobotNode(options, NodeTransport.Create(NodeEndpoint.Loopback()));
            await host.StartAsync(ct);
            var address = ((ExtendedActorSystem)host.Services.GetRequiredService<ActorSystem>()).Provider.DefaultAddress;
            return new InProcessRobotNode(host, NodeEndpoint.Loopback(address.Port!.Value));
        }

        public async ValueTask DisposeAsync()
        {
            using var bound = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try { await _host.StopAsync(bound.Token); } catch (OperationCanceledException) { }
            _host.Dispose();
        }
    }

    [Fact]
    public void Bench_control_measures_the_control_loop_in_a_robot_node_and_the_command_latency()
    {
        var report = ControlBenchmark.Run(200, TimeSpan.FromSeconds(0.5), InProcessRobotNode.StartAsync, latencyCommands: 3);
        var loaded = Assert.Single(report.Rows, r => r.Phase == ControlBenchmark.RobotNodeLoadedPhase);
        Assert.True(loaded.Ticks > 20, $"{loaded.Ticks} ticks");
        Assert.True(loaded.P99Us >= loaded.P50Us && loaded.MaxUs >= loaded.P99Us);
        Assert.NotNull(loaded.RobotNodeGc);
        Assert.All(report.Rows.Where(r => r.Phase.Contains("(robot node)")), r => Assert.NotNull(r.RobotNodeGc));
        Assert.All(report.Rows.Where(r => !r.Phase.Contains("(robot node)")), r => Assert.Null(r.RobotNodeGc));
        Assert.Equal(2, report.CommandLatency.Count);
        Assert.All(report.CommandLatency, l =>
        {
            Assert.Equal(3, l.Commands);
            // every command sent was either timed at its first tick or counted as not applied in time
            Assert.Equal(3, l.Timed + l.NotAppliedInTime);
            Assert.True(l.Timed > 0 && l.P50Us > 0 && l.P99Us >= l.P50Us && l.MaxUs >= l.P99Us, $"{l}");
        });
        var table = report.ToTable();
        Assert.Contains(ControlBenchmark.RobotNodeLoadedPhase, table);
        Assert.Contains("brain-to-robot command latency", table);
    }

    [Fact]
    public async Task Bench_nodes_runs_the_same_fast_episodes_in_both_placements()
    {
        var report = await NodesBenchmark.RunAsync(NodesBenchmark.DefaultTask, episodes: 2, firstSeed: 3, block: 1, InProcessRobotNode.StartAsync,
            Path.GetTempPath());
        Assert.Equal(2, report.InProcess.Episodes);
        Assert.Equal(2, report.RobotNode.Episodes);
        Assert.Equal(report.InProcess.Successes, report.RobotNode.Successes); // same seeds, same physics
        Assert.True(report.InProcess.EpisodesPerSecond > 0 && report.RobotNode.EpisodesPerSecond > 0);
        Assert.Equal(Math.Round(report.RobotNode.EpisodesPerSecond / report.InProcess.EpisodesPerSecond, 3), report.ThroughputRatio);
        Assert.Null(report.InProcess.RobotNodeGc);
        Assert.NotNull(report.RobotNode.RobotNodeGc);
        // every step the episodes sent was stamped and timed by the control loop, in both placements
        Assert.True(report.InProcess.CommandsTimed > 0 && report.RobotNode.CommandsTimed > 0);
        Assert.Contains("throughput ratio", report.ToTable());
    }

    [Fact]
    public void Bad_counts_are_named()
    {
        Assert.Contains("--commands", Assert.Throws<Core.ConfigurationException>(() => ControlBenchmark.Run(200, TimeSpan.FromSeconds(1), null, 0)).Message);
        Assert.Contains("--episodes", Assert.ThrowsAsync<Core.ConfigurationException>(() =>
            NodesBenchmark.RunAsync("go home", 0, 1, 1, InProcessRobotNode.StartAsync, Path.GetTempPath())).Result.Message);
    }
}
