using System.Text.Json;
using CortexBot.Cerebellum.Training.Demos;
using CortexBot.Video;

namespace CortexBot.Cerebellum.Training.Tests;

/// <summary>`demos record --video`: one H.264 video per episode in LeRobot's layout, a video frame per data frame.</summary>
public sealed class DemoVideoTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"cortexbot-demos-video-{Guid.NewGuid():N}");

    public void Dispose() { if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true); }

    [Fact]
    public async Task Each_episode_gets_a_video_with_a_frame_per_data_frame_and_the_meta_LeRobot_reads()
    {
        var result = await DemoRecorder.RecordAsync(new DemoRecordOptions { Episodes = 1, Seed = 4, Video = true, VideoWidth = 96, VideoHeight = 72 }, _dir);
        var (info, episodes) = DemoDataset.ReadMeta(_dir); // our own loader still reads a dataset with videos
        var episode = Assert.Single(episodes);

        var video = Ffprobe(DemoDataset.VideoPath(_dir, 0));
        Assert.Equal(("h264", 96, 72, episode.Length), (video.Codec, video.Width, video.Height, video.Frames));
        Assert.Equal(info.Fps, video.Fps, 6);

        using var meta = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "meta", "info.json")));
        var root = meta.RootElement;
        Assert.Equal(DemoDataset.VideoPathTemplate, root.GetProperty("video_path").GetString());
        Assert.Equal(1, root.GetProperty("total_videos").GetInt32());
        var feature = root.GetProperty("features").GetProperty(DemoDataset.VideoKey);
        Assert.Equal("video", feature.GetProperty("dtype").GetString());
        Assert.Equal([72, 96, 3], feature.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(info.Fps, feature.GetProperty("info").GetProperty("video.fps").GetInt32());

        // episodes_stats.jsonl: every feature of the episode, the image per channel in LeRobot's [3][1][1] shape.
        var line = Assert.Single(File.ReadAllLines(Path.Combine(_dir, "meta", "episodes_stats.jsonl")));
        using var stats = JsonDocument.Parse(line);
        var s = stats.RootElement.GetProperty("stats");
        foreach (var f in new[] { "observation.state", "action", "timestamp", "frame_index", "episode_index", "index", "task_index", DemoDataset.VideoKey })
            Assert.True(s.TryGetProperty(f, out _), $"no stats for {f}");
        var image = s.GetProperty(DemoDataset.VideoKey);
        Assert.Equal(3, image.GetProperty("mean").GetArrayLength());
        double red = image.GetProperty("mean")[0][0][0].GetDouble();
        Assert.InRange(red, 0.05, 0.95);
        Assert.Equal(episode.Length, image.GetProperty("count")[0].GetInt32());
        Assert.Equal(episode.Length, s.GetProperty("action").GetProperty("count")[0].GetInt32());
        Assert.Equal(1, result.Episodes);
    }

    private static VideoInfo Ffprobe(string path) => Ffmpeg.Probe(path);
}
