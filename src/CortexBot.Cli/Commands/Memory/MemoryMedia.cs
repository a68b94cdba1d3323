using System.CommandLine;
using CortexBot.Core;
using CortexBot.Core.Messages;
using CortexBot.Host.Media;
using CortexBot.Recording;
using CortexBot.Sim.MuJoCo;

namespace CortexBot.Cli.Commands.Memory;

/// <summary>`memory video` and `memory export --format mcap`: a stored episode as a video or a Foxglove recording.</summary>
internal static class MemoryMedia
{
    public static Command Video()
    {
        var id = new Argument<long>("ID") { Description = "The episode's id (memory list shows them)" };
        var output = new Option<string>("--out") { Description = "The .mp4 file to write (H.264)", Required = true };
        var memory = new Option<string?>("--memory") { Description = "Episode memory: a SQLite file path, or postgres://user@host:port/db" };
        var scene = CommonOptions.SceneOption();
        var size = new Option<string>("--size") { Description = "Frame size WIDTHxHEIGHT (even numbers)", DefaultValueFactory = _ => "320x240" };
        var cmd = new Command("video", "Render a stored episode's recorded motion through the scene's camera into an H.264 video (a replay of the trace, not a re-simulation; needs ffmpeg).")
            { id, output, memory, scene, size };
        cmd.SetAction(parse =>
        {
            var episode = Load(parse.GetValue(memory), parse.GetValue(id));
            var (w, h) = CommonOptions.ParseFrameSize(parse.GetValue(size)!, "--size", even: true);
            var path = Path.GetFullPath(parse.GetValue(output)!);
            int frames = EpisodeVideo.Render(episode, ScenePath(parse.GetValue(scene)), path, w, h);
            Console.Error.WriteLine($"wrote {frames} frames ({frames * episode.Trace!.SamplePeriodS:F1} s at {1 / episode.Trace.SamplePeriodS:F0} fps, {w}x{h}) of episode {episode.Id} to {path}");
            return 0;
        });
        return cmd;
    }

    /// <summary>Writes episode <paramref name="id"/> as MCAP: its trace, plan, anomalies and objects (sizes and colours from the scene).</summary>
    public static int ExportMcap(string? memoryOption, long id, string outPath, string? sceneOption)
    {
        var episode = Load(memoryOption, id);
        var path = Path.GetFullPath(outPath);
        var temp = path + ".partial-" + Environment.ProcessId;
        ulong messages;
        try
        {
            using (var file = File.Create(temp)) messages = EpisodeExport.Write(episode, file, Shapes(ScenePath(sceneOption), episode.Seed));
            File.Move(temp, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            File.Delete(temp);
            throw new ConfigurationException($"cannot write {path}: {e.Message}");
        }
        Console.Error.WriteLine($"exported episode {id} ({messages} messages) to {path}");
        return 0;
    }

    /// <summary>The objects' sizes and colours as the scene places them for <paramref name="seed"/> (a stored episode keeps only poses).</summary>
    public static IReadOnlyDictionary<string, SceneObject> Shapes(string scenePath, int seed)
    {
        using var world = new MuJoCoWorld(scenePath);
        world.ResetScene(seed);
        return world.Snapshot().Objects.ToDictionary(o => o.Name);
    }

    private static EpisodeRecord Load(string? memoryOption, long id)
    {
        using var store = MemoryCommands.OpenRead(memoryOption);
        return store.Get(id) ?? throw new ConfigurationException($"no episode {id} in {store.Location}");
    }

    private static string ScenePath(string? option)
    {
        var path = Path.GetFullPath(option ?? RepoPaths.DefaultScene);
        return File.Exists(path) ? path : throw new ConfigurationException($"scene file not found: {path}");
    }
}
