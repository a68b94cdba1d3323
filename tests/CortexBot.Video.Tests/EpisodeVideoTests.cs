using System.Collections.Immutable;
using CortexBot.Core;
using CortexBot.Core.Messages;
using CortexBot.Sim.MuJoCo;

namespace CortexBot.Video.Tests;

public sealed class EpisodeVideoTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cortexbot-video-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A 2 s trace at 25 Hz: the arm swings its base, the red cube slides along y.</summary>
    private static EpisodeTrace SwingTrace(int samples = 50)
    {
        using var world = MuJoCoWorld.OpenDefault();
        var joints = world.JointNames.ToImmutableArray();
        var values = new float[samples * (joints.Length + 1)];
        var poses = new float[samples * EpisodeTrace.PoseWidth];
        for (int s = 0; s < samples; s++)
        {
            for (int j = 0; j < joints.Length; j++) values[s * (joints.Length + 1) + j] = (float)world.HomePosition[j];
            values[s * (joints.Length + 1)] += (float)(0.8 * s / samples);
            values[s * (joints.Length + 1) + joints.Length] = 0.08f;
            float[] p = [0.42f, -0.2f + 0.4f * s / samples, 0.02f, 1, 0, 0, 0];
            p.CopyTo(poses, s * EpisodeTrace.PoseWidth);
        }
        return new EpisodeTrace(joints, 500, 0.04, values, ["red_cube"], poses);
    }

    [Fact]
    public void A_trace_renders_to_an_H264_video_ffprobe_reads_frame_for_frame()
    {
        var trace = SwingTrace();
        var path = Path.Combine(_dir, "episode.mp4");
        byte[]? first = null, last = null;
        using (var renderer = new TraceRenderer(RepoPaths.DefaultScene, new MuJoCoCameraOptions { Width = 320, Height = 240 }))
        using (var video = new Mp4Writer(path, renderer.Width, renderer.Height, 1 / trace.SamplePeriodS))
        {
            foreach (var frame in renderer.Frames(trace, seed: 1))
            {
                first ??= frame.Rgb;
                last = frame.Rgb;
                video.Write(frame);
            }
            video.Complete();
            Assert.Equal(trace.Count, video.Frames);
        }

        var info = Ffmpeg.Probe(path);
        Assert.Equal(("h264", 320, 240, trace.Count, "yuv420p"), (info.Codec, info.Width, info.Height, info.Frames, info.PixelFormat));
        Assert.Equal(25, info.Fps, 6);
        Assert.Equal(2.0, info.DurationS, 1);
        // The replay moves: the last frame is not the first (arm swung, cube slid).
        int differing = 0;
        for (int i = 0; i < first!.Length; i++) if (Math.Abs(first[i] - last![i]) > 30) differing++;
        Assert.True(differing > first.Length / 100, $"only {differing} of {first.Length} bytes changed between the first and last frame");
    }

    [Fact]
    public void A_trace_of_another_arm_and_an_odd_frame_size_are_refused_with_the_reason()
    {
        var foreign = new EpisodeTrace(["hip", "knee"], 500, 0.04, new float[3]);
        using var renderer = new TraceRenderer(RepoPaths.DefaultScene, new MuJoCoCameraOptions { Width = 64, Height = 48 });
        var e = Assert.Throws<ConfigurationException>(() => renderer.Frames(foreign, 1).ToList());
        Assert.Contains("no joint", e.Message);
        Assert.Contains("even frame size", Assert.Throws<ConfigurationException>(() => new Mp4Writer(Path.Combine(_dir, "x.mp4"), 321, 240, 25)).Message);
    }

    [Fact]
    public void A_file_that_is_not_a_video_is_reported_by_ffprobe()
    {
        var path = Path.Combine(_dir, "not.mp4");
        File.WriteAllText(path, "not a video");
        Assert.Throws<InvalidDataException>(() => Ffmpeg.Probe(path));
    }
}
