using System.CommandLine;
using CortexBot.Cerebellum.Training.Demos;
using CortexBot.Core;

namespace CortexBot.Cli.Commands;

/// <summary>`cortexbot demos record`: record analytic pick-and-place demonstrations as a LeRobot-style Parquet dataset.</summary>
internal static class DemosCommand
{
    public static Command Create()
    {
        var episodes = new Option<int>("--episodes") { Description = "Number of episodes to record", DefaultValueFactory = _ => 10 };
        var seed = new Option<int>("--seed") { Description = "Seed of the first episode's scene (next episodes use seed+1, ...)", DefaultValueFactory = _ => 1 };
        var output = new Option<string>("--out") { Description = "Output folder (must be new or empty)", Required = true };
        var rate = new Option<double>("--rate") { Description = "Control rate in Hz", DefaultValueFactory = _ => 500 };
        var decimation = new Option<int>("--decimation") { Description = "Record every Nth control tick (policy rate = rate / N)", DefaultValueFactory = _ => 10 };
        var scene = CommonOptions.SceneOption();
        var json = CliOutput.JsonOption();
        var video = new Option<bool>("--video") { Description = "Also write one H.264 video of the scene camera per episode (observation.images.cam, LeRobot layout; needs ffmpeg)" };
        var videoSize = new Option<string>("--video-size") { Description = "Video frame size WIDTHxHEIGHT (even numbers)", DefaultValueFactory = _ => "320x240" };
        var record = new Command("record", "Run the analytic skills on randomized scenes (fast mode) and record observation/action frames.")
            { episodes, seed, output, rate, decimation, scene, json, video, videoSize };
        record.SetAction(async (parse, ct) =>
        {
            var options = new DemoRecordOptions
            {
                Episodes = parse.GetValue(episodes), Seed = parse.GetValue(seed), ControlRateHz = parse.GetValue(rate),
                Decimation = parse.GetValue(decimation), ScenePath = Path.GetFullPath(parse.GetValue(scene) ?? RepoPaths.DefaultScene),
                Video = parse.GetValue(video),
            };
            if (options.Video)
            {
                var (w, h) = CommonOptions.ParseFrameSize(parse.GetValue(videoSize)!, "--video-size", even: true);
                options = options with { VideoWidth = w, VideoHeight = h };
                CortexBot.Video.Ffmpeg.Find("ffmpeg");
            }
            bool asJson = parse.GetValue(json);
            int done = 0;
            var result = await CliOutput.WithProgressAsync(CliOutput.ShowProgress(parse, asJson), "recording", options.Episodes, report =>
                DemoRecorder.RecordAsync(options, Path.GetFullPath(parse.GetValue(output)!), line =>
                {
                    report(++done, line);
                    // without a bar the per-episode lines go to stderr (a bar shows the latest instead)
                    if (!CliOutput.ShowProgress(parse, asJson)) GlobalOptions.Progress(parse)?.Invoke(line);
                }, ct));
            if (asJson) CliOutput.WriteJson(result);
            else Console.WriteLine($"recorded {result.Episodes} episodes ({result.Successful} successful, {result.Frames} frames) into {result.Path}");
            return RunContract.ExitCode(Enumerable.Range(0, result.Episodes).Select(i => i < result.Successful));
        });
        var cmd = new Command("demos", "Demonstrations for the learned action expert.") { record };
        return cmd;
    }
}
