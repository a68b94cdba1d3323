using System.Net;
using System.Net.Sockets;
using CortexBot.Core;
using CortexBot.Core.Messages;
using CortexBot.Recording.Telemetry;

namespace CortexBot.Recording.Tests;

public sealed class TelemetryTests
{
    private static readonly string[] Joints = ["shoulder_pan", "shoulder_lift"];

    [Fact]
    public async Task A_client_gets_the_latest_of_each_topic_then_every_new_line()
    {
        using var server = new TelemetryServer(new IPEndPoint(IPAddress.Loopback, 0));
        var channels = new EpisodeChannels(server, 1_800_000_000_000_000_000);
        channels.Plan(0.1, "put the red cube in the bin", "running", [new PlanStepStatus(0, "pick", "running", 0.1)]);
        channels.JointStates(0.2, Joints, [0.1, 0.2], [], 0.08);
        channels.JointStates(0.3, Joints, [0.15, 0.2], [], 0.08); // replaces the previous as the latest

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var got = new List<TelemetryLine>();
        var reading = Task.Run(async () =>
        {
            await foreach (var line in TelemetryClient.ReadAsync(server.Endpoint, cts.Token))
            {
                got.Add(line);
                if (got.Count == 4) break;
            }
        });
        while (server.Clients == 0) await Task.Delay(10, cts.Token);
        channels.Anomaly(new AnomalyEvent("tracking_error", 0.4, "shoulder_lift 31 mrad off"));
        channels.JointStates(0.5, Joints, [0.2, 0.2], [], 0.08);
        await reading.WaitAsync(cts.Token);

        Assert.Equal(["/plan", "/joint_states"], got.Take(2).Select(l => l.Topic).Order().Reverse());
        var firstJoints = got.Take(2).Single(l => l.Topic == "/joint_states");
        Assert.Equal(0.15, firstJoints.Message.GetProperty("joints")[0].GetProperty("position").GetDouble());
        Assert.Equal("/anomalies", got[2].Topic);
        Assert.Equal("foxglove.Log", got[2].Schema);
        Assert.Equal(0.2, got[3].Message.GetProperty("joints")[0].GetProperty("position").GetDouble());
        Assert.Equal(1_800_000_000_500_000_000UL, got[3].TimeNs);
    }

    [Fact]
    public async Task A_client_that_never_reads_loses_its_oldest_lines_and_never_blocks_the_writer()
    {
        using var server = new TelemetryServer(new IPEndPoint(IPAddress.Loopback, 0));
        using var idle = new TcpClient();
        await idle.ConnectAsync(server.Endpoint);
        idle.ReceiveBufferSize = 1024;
        while (server.Clients == 0) await Task.Delay(10);
        var channels = new EpisodeChannels(server, 0);
        var big = Enumerable.Range(0, 64).Select(i => $"joint_{i}").ToArray();
        var q = new double[64];
        var watch = System.Diagnostics.Stopwatch.StartNew();
        for (int i = 0; i < 20_000; i++) channels.JointStates(i * 0.002, big, q, [], 0.08);
        Assert.True(server.Dropped > 0, "a stuck client must lose lines, not hold the writer");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(60));
    }

    [Theory]
    [InlineData("127.0.0.1:7450", "127.0.0.1", 7450)]
    [InlineData("localhost:0", "127.0.0.1", 0)]
    public void Endpoints_parse(string text, string ip, int port)
    {
        var e = TelemetryServer.ParseEndpoint(text, "--telemetry");
        Assert.Equal((IPAddress.Parse(ip), port), (e.Address, e.Port));
    }

    [Theory]
    [InlineData("7450")]
    [InlineData("127.0.0.1:70000")]
    [InlineData("127.0.0.1:x")]
    public void Bad_endpoints_name_the_flag(string text) =>
        Assert.Contains("--telemetry", Assert.Throws<ConfigurationException>(() => TelemetryServer.ParseEndpoint(text, "--telemetry")).Message);
}
