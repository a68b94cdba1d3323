using CortexBot.Core;
using CortexBot.Core.Messages;
using CortexBot.Sim.MuJoCo;
using CortexBot.Video;

namespace CortexBot.Host.Media;

/// <summary>
/// A stored episode as an H.264 video: its recorded joint (and object) trajectories replayed kinematically through the
/// scene's MuJoCo camera (no re-simulation), one frame per trace sample, encoded by ffmpeg. One way to make episode videos,
/// for <c>memory video</c>, <c>run --video</c> and the live view's memory browser.
/// </summary>
public static class EpisodeVideo
{
    /// <returns>The number of frames written.</returns>
    /// <exception cref="ConfigurationException">The episode has no recorded motion, the scene cannot be rendered, or ffmpeg is missing.</exception>
    public static int Render(EpisodeRecord episode, string scenePath, string outPath, int width = 320, int height = 240, CancellationToken cancellation = default)
    {
        var trace = episode.Trace ?? throw new ConfigurationException(
            $"episode {episode.Id} has no recorded motion (episodes keep a trace from SQLite schema 5 / PostgreSQL 4 on)");
        if (trace.Count == 0) throw new ConfigurationException($"episode {episode.Id}'s trace is empty");
        using var renderer = new TraceRenderer(scenePath, new MuJoCoCameraOptions { Width = width, Height = height });
        using var video = new Mp4Writer(outPath, renderer.Width, renderer.Height, 1 / trace.SamplePeriodS);
        foreach (var frame in renderer.Frames(trace, episode.Seed, episode.SceneAtStart.IsDefaultOrEmpty ? null : episode.SceneAtStart, cancellation))
            video.Write(frame);
        video.Complete();
        return video.Frames;
    }
}
