using CortexBot.Cerebellum.Control;
using CortexBot.Cerebellum.Kinematics;
using CortexBot.Cerebellum.Learning;
using CortexBot.Cerebellum.Learning.Runtime;
using CortexBot.Cerebellum.Skills;
using CortexBot.Core.Messages;
using CortexBot.Core.Robot;
using CortexBot.Sim.MuJoCo;
using Microsoft.Extensions.Logging.Abstractions;

namespace CortexBot.Cerebellum.Training.Demos;

public sealed record DemoRecordOptions
{
    public int Episodes { get; init; } = 10;
    public int Seed { get; init; } = 1;
    public double ControlRateHz { get; init; } = 500;
    /// <summary>Record every Nth control tick (500 Hz / 10 = 50 Hz frames).</summary>
    public int Decimation { get; init; } = 10;
    public string ScenePath { get; init; } = Core.RepoPaths.DefaultScene;
    public double SettleSeconds { get; init; } = 0.3;
    /// <summary>Also write one H.264 video per episode of the scene camera (<see cref="DemoDataset.VideoKey"/>), LeRobot-style.</summary>
    public bool Video { get; init; }
    public int VideoWidth { get; init; } = 320;
    public int VideoHeight { get; init; } = 240;
}

public sealed record DemoRecordResult(int Episodes, int Successful, int Frames, string Path);

/// <summary>
/// Records demonstrations: for each seed it resets the simulator's scene, picks one cube (chosen from the seed) and places
/// it in the bin with the analytic skills, driven by the real control loop in fast (lockstep) mode, while a
/// <see cref="RecordingLink"/> records observation and command at the policy rate. Success is judged from physics.
/// </summary>
public static class DemoRecorder
{
    /// <summary>Which cube episode <paramref name="seed"/> moves (deterministic).</summary>
    public static string TargetFor(int seed) => MuJoCoWorld.Cubes[(int)((uint)(seed * 2654435761u) % (uint)MuJoCoWorld.Cubes.Length)].Name;

    public static string TaskFor(string target) => $"put the {target.Replace('_', ' ')} in the bin";

    public static async Task<DemoRecordResult> RecordAsync(DemoRecordOptions options, string outDir, Action<string>? progress = null, CancellationToken ct = default)
    {
        if (options.Episodes < 1) throw new Core.ConfigurationException($"--episodes must be at least 1, got {options.Episodes}");
        if (options.Decimation < 1) throw new Core.ConfigurationException($"decimation must be at least 1, got {options.Decimation}");
        if (Directory.Exists(outDir) && Directory.EnumerateFileSystemEntries(outDir).Any())
            throw new Core.ConfigurationException($"output folder {outDir} is not empty; choose a new one (nothing was overwritten)");
        var scene = Path.GetFullPath(options.ScenePath);
        using var world = new MuJoCoWorld(scene);
        var kin = new ArmKinematics(ArmModel.FromMjcf(scene));
        var compiler = new SkillCompiler(kin);
        var link = new RecordingLink(world, world, kin, options.Decimation);
        using var loop = new ControlLoop(link, new ControlLoopOptions { RateHz = options.ControlRateHz, Pacing = Pacing.Fast, UseRealtimePriority = false },
            NullLogger<ControlLoop>.Instance);
        loop.Start();

        int fps = (int)Math.Round(options.ControlRateHz / options.Decimation);
        var tasks = new List<string>();
        var infos = new List<DemoEpisodeInfo>();
        var stats = new List<System.Text.Json.Nodes.JsonObject>();
        // The video replays each episode's recorded frames through the scene camera, one video frame per dataset frame.
        using var renderer = options.Video ? new TraceRenderer(scene, new MuJoCoCameraOptions { Width = options.VideoWidth, Height = options.VideoHeight }) : null;
        long index = 0;
        int successes = 0;
        Directory.CreateDirectory(outDir);
        for (int e = 0; e < options.Episodes; e++)
        {
            ct.ThrowIfCancellationRequested();
            int seed = options.Seed + e;
            string target = TargetFor(seed);
            string task = TaskFor(target);
            int taskIndex = tasks.IndexOf(task);
            if (taskIndex < 0) { tasks.Add(task); taskIndex = tasks.Count - 1; }

            var (success, failure, duration) = await RunExpertEpisodeAsync(loop, world, compiler, link, seed, target, options.ControlRateHz, options.SettleSeconds);
            if (success) successes++;
            var info = new DemoEpisodeInfo(e, [task], link.Observations.Count, seed, success, target, failure, Math.Round(duration, 3));
            await DemoDataset.WriteEpisodeAsync(outDir, info, link.Observations, link.Actions, index, taskIndex, fps);
            ImageStats? image = null;
            if (renderer is not null && link.Observations.Count > 0)
            {
                var path = DemoDataset.VideoPath(outDir, e);
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                image = new ImageStats();
                using var video = new Video.Mp4Writer(path, renderer.Width, renderer.Height, fps);
                foreach (var frame in renderer.Frames(link.Trace(options.ControlRateHz), seed, null, ct))
                {
                    image.Add(frame);
                    video.Write(frame);
                }
                video.Complete();
                if (video.Frames != info.Length) throw new InvalidOperationException($"episode {e}: {video.Frames} video frames for {info.Length} data frames");
            }
            stats.Add(DemoDataset.EpisodeStats(e, link.Observations, link.Actions, index, taskIndex, fps, image));
            index += link.Observations.Count;
            infos.Add(info);
            progress?.Invoke($"episode {e + 1}/{options.Episodes} seed {seed} {target}: {(success ? "success" : "FAILED (" + failure + ")")}, {info.Length} frames");
        }
        DemoDataset.WriteMeta(outDir, new DemoInfo(fps, options.ControlRateHz, options.Decimation, scene, infos.Count, (int)index, successes,
            PolicyLayout.ObservationNames, PolicyLayout.ActionNames, options.Seed)
            { Video = options.Video ? (options.VideoWidth, options.VideoHeight) : null }, infos, tasks);
        DemoDataset.WriteEpisodeStats(outDir, stats);
        return new DemoRecordResult(infos.Count, successes, (int)index, outDir);
    }

    /// <summary>One analytic episode on a running fast-mode loop: reset to <paramref name="seed"/>, settle, pick, place, judge.</summary>
    internal static async Task<(bool Success, string? Failure, double DurationS)> RunExpertEpisodeAsync(
        ControlLoop loop, MuJoCoWorld world, SkillCompiler compiler, RecordingLink? link, int seed, string target, double rateHz, double settleSeconds, Action? afterReset = null)
    {
        await loop.InvokeAsync(() => { world.ResetScene(seed); afterReset?.Invoke(); loop.RehomeHoldTarget(); });
        await loop.HoldForAsync(settleSeconds);
        if (link is not null)
        {
            link.Clear();
            link.TargetObject = target;
            link.PlaceTarget = MuJoCoWorld.BinName;
            link.Recording = true;
        }
        long startTick = loop.TotalTicks;
        string? failure = await RunSkill(loop, compiler, world, SkillInvocation.Of(SkillNames.Pick, target));
        if (failure is null) failure = await RunSkill(loop, compiler, world, SkillInvocation.Of(SkillNames.Place, target, MuJoCoWorld.BinName));
        if (link is not null) link.Recording = false;
        double duration = (loop.TotalTicks - startTick) / rateHz;
        await loop.HoldForAsync(0.5);
        bool success = failure is null && world.Snapshot().IsInside(target, MuJoCoWorld.BinName);
        if (failure is null && !success) failure = $"{target} is not inside the bin after place";
        return (success, failure, duration);
    }

    private static async Task<string?> RunSkill(ControlLoop loop, SkillCompiler compiler, MuJoCoWorld world, SkillInvocation skill)
    {
        var run = await SkillRunner.RunAsync(loop, compiler, skill, world.Snapshot(), null, TimeSpan.FromMinutes(2));
        return run.Succeeded ? null : $"{skill}: {run.AnomalyKind} {run.Detail}";
    }
}
