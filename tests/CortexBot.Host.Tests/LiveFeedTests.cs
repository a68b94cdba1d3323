using System.Net;
using Akka.Actor;
using Akka.Hosting;
using CortexBot.Core.Messages;
using CortexBot.Recording;
using CortexBot.Recording.Telemetry;
using CortexBot.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace CortexBot.Host.Tests;

/// <summary>A real episode in the embedded simulator, streamed live and recorded to MCAP, checked by Foxglove's reader.</summary>
[Collection("end-to-end")]
public sealed class LiveFeedTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cortexbot-live-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_real_episode_streams_live_and_records_an_MCAP_file_Foxglove_reads()
    {
        var options = TestOptions.Realtime() with
        {
            RealtimePriority = false,
            Live = new LiveFeedOptions { RecordDirectory = _dir, Telemetry = new IPEndPoint(IPAddress.Loopback, 0) },
        };
        using var host = CortexBotRunner.Build(options);
        await host.StartAsync();
        var topics = new Dictionary<string, int>();
        var planStatuses = new List<string>();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        try
        {
            var feed = host.Services.GetRequiredService<LiveEpisodeFeed>();
            var watching = Task.Run(async () =>
            {
                await foreach (var line in TelemetryClient.ReadAsync(feed.TelemetryEndpoint!, cts.Token))
                {
                    lock (topics) topics[line.Topic] = topics.GetValueOrDefault(line.Topic) + 1;
                    if (line.Topic == EpisodeChannels.PlanTopic) lock (planStatuses) planStatuses.Add(line.Message.GetProperty("status").GetString()!);
                    if (line.Topic == EpisodeChannels.EpisodeTopic && line.Message.GetProperty("outcome").GetString() != "running") return;
                }
            }, cts.Token);
            var ns = await host.Services.GetRequiredService<ActorRegistry>().GetAsync<NervousSystem>();
            var outcome = Assert.IsType<EpisodeOutcome>(await ns.Ask<object>(new RunEpisode("put the red cube in the bin", 3), TimeSpan.FromMinutes(2)));
            Assert.True(outcome.Episode.Success, outcome.Episode.FailureReason);
            await watching.WaitAsync(cts.Token);
        }
        finally { await host.StopAsync(); }

        // Live: the plan went from planned through running to succeeded, with joint states at the feed's rate (~7 s at 25 Hz).
        Assert.Equal("planned", planStatuses[0]);
        Assert.Contains("running", planStatuses);
        Assert.Equal("succeeded", planStatuses[^1]);
        Assert.True(topics[EpisodeChannels.JointStatesTopic] > 50, $"{topics[EpisodeChannels.JointStatesTopic]} joint states");
        foreach (var t in new[] { EpisodeChannels.CommandsTopic, EpisodeChannels.ObjectsTopic, EpisodeChannels.ClampsTopic, EpisodeChannels.ControlTopic })
            Assert.True(topics.GetValueOrDefault(t) > 0, $"no {t} in the live stream");

        // Recorded: one MCAP file, every channel with messages, monotonic, valid against the schemas, seekable by its indexes.
        var file = Assert.Single(Directory.GetFiles(_dir, "*.mcap"));
        var ix = McapReader.Check(file).GetProperty("indexed");
        foreach (var t in new[] { EpisodeChannels.JointStatesTopic, EpisodeChannels.CommandsTopic, EpisodeChannels.PlanTopic, EpisodeChannels.ObjectsTopic,
                     EpisodeChannels.ClampsTopic, EpisodeChannels.ControlTopic, EpisodeChannels.EpisodeTopic })
        {
            Assert.True(ix.GetProperty("messages").TryGetProperty(t, out var n) && n.GetInt32() > 0, $"no {t} in the recording");
            Assert.True(ix.GetProperty("monotonic").GetProperty(t).GetBoolean(), $"{t} goes back in time");
        }
        Assert.Empty(ix.GetProperty("invalid").EnumerateObject());
        Assert.True(ix.GetProperty("chunkIndexes").GetInt32() >= 1);
        // Camera frames (the simulator's camera at 2 Hz) decode to the camera's size.
        Assert.True(ix.GetProperty("messages").GetProperty(EpisodeChannels.CameraTopic).GetInt32() >= 5);
        var frame = ix.GetProperty("first").GetProperty(EpisodeChannels.CameraTopic);
        Assert.Equal((320, 240, "rgb8"), (frame.GetProperty("width").GetInt32(), frame.GetProperty("height").GetInt32(), frame.GetProperty("encoding").GetString()));
        Assert.Equal(320 * 240 * 3, Convert.FromBase64String(frame.GetProperty("data").GetString()!).Length);
    }
}
