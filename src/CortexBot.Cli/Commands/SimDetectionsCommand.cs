using System.CommandLine;
using CortexBot.Brainstem.Ros2;
using CortexBot.Core;
using CortexBot.Sim.MuJoCo;
using CortexBot.Sim.Ros2;

namespace CortexBot.Cli.Commands;

/// <summary>
/// `cortexbot sim detections --from-tf TOPIC`: a simulator's ground-truth object poses (tf2_msgs/TFMessage: Gazebo's pose
/// publishers through ros_gz_bridge, or `sim serve`'s /tf) relayed as the perception topic (vision_msgs/Detection3DArray),
/// so a brain that reads detections works beside Gazebo as beside a real camera and perception node.
/// </summary>
internal static class SimDetectionsCommand
{
    public static Command Create()
    {
        var from = new Option<string[]>("--from-tf")
        {
            Description = "tf2_msgs/TFMessage topic(s) with the objects' poses (repeat the flag or separate with commas), " +
                "e.g. Gazebo's /gazebo/objects/<name>/pose or sim serve's /tf",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var to = new Option<string>("--to") { Description = "vision_msgs/Detection3DArray topic to publish", DefaultValueFactory = _ => "/detections" };
        var classes = new Option<string?>("--classes")
        {
            Description = "Objects to report, comma-separated TF child frame names (also their class ids); default: the scene's " +
                "movable objects and containers. Box sizes come from --scene when given, else are 0 (unknown)",
        };
        var scene = new Option<string?>("--scene") { Description = "MJCF scene whose objects (and box sizes) to report (default sim/scene.xml)" };
        var rate = new Option<double>("--rate") { Description = "Detection frames per second", DefaultValueFactory = _ => 15 };
        var frame = new Option<string>("--frame") { Description = "header.frame_id of the frames (the poses are not transformed)", DefaultValueFactory = _ => "world" };
        var stamp = Choices.Enum("--stamp",
            "source: each detection keeps its TF header stamp (wall-clock ROS time: sim serve, a real robot); " +
            "receipt: the wall time the relay received the pose (Gazebo's sim-time stamps)", TfStampSource.Source);
        var duration = new Option<double?>("--duration") { Description = "Stop after this many seconds (default: until Ctrl-C)" };
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Print the relay's counters every second" };
        var ros = new Ros2CliOptions("cortexbot_tf_detections");
        var cmd = new Command("detections",
            "Relay ground-truth object poses from TF (Gazebo's pose publishers, sim serve's /tf) as vision_msgs/Detection3DArray " +
            "on /detections, as a perception node would publish them")
        {
            from, to, classes, scene, rate, frame, stamp, duration, verbose,
        };
        foreach (var o in ros.Participant) cmd.Options.Add(o);
        cmd.SetAction((parse, ct) =>
        {
            var ros2 = ros.BuildParticipant(parse);
            var topics = (parse.GetValue(from) ?? []).SelectMany(t => t.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                .Distinct(StringComparer.Ordinal).ToArray();
            var options = new TfRelayOptions
            {
                FromTopics = topics, ToTopic = parse.GetValue(to)!, RateHz = parse.GetValue(rate), FrameId = parse.GetValue(frame)!,
                Stamp = parse.GetValue(stamp),
            }.Validate();
            var objects = Objects(parse.GetValue(classes), parse.GetValue(scene));

            using var dds = new DdsParticipant(ros2.DomainId, ros2.EffectiveCycloneConfig, ros2.NodeName, distro: ros2.Distro);
            using var relay = new TfDetectionRelay(dds, objects, options, line => Console.Error.WriteLine($"sim detections: {line}"));
            TimeSpan? limit = null;
            if (parse.GetValue(duration) is double secs)
            {
                if (!double.IsFinite(secs) || secs <= 0) throw new ConfigurationException($"--duration must be a positive number of seconds, got {secs}");
                limit = TimeSpan.FromSeconds(secs);
            }
            void Banner() => Console.Error.WriteLine($"sim detections: node /{ros2.NodeName}, ROS domain {ros2.DomainId}{(ros2.LoopbackOnly ? " (loopback)" : "")}, " +
                $"reading {string.Join(", ", options.FromTopics)} (tf2_msgs/TFMessage), publishing {options.ToTopic} at {options.RateHz:0.#} Hz " +
                $"in frame {options.FrameId}, stamps: {Choices.Name(options.Stamp)}; objects: " +
                string.Join(", ", objects.Select(o => o.Size == Core.Geometry.Vec3.Zero ? o.Name : $"{o.Name} ({o.Size.X:0.###}x{o.Size.Y:0.###}x{o.Size.Z:0.###} m)")));
            try
            {
                ForegroundNode.Run(relay.Run, "cortexbot-tf-detections", ThreadPriority.Normal, limit,
                    parse.GetValue(verbose) ? () => Console.Error.WriteLine($"sim detections: {Counters(relay)}") : null, ct, started: Banner);
            }
            finally
            {
                Console.Error.WriteLine($"sim detections: stopped; {Counters(relay)}{(relay.Problem is { } p ? "; last failure: " + p : "")}");
            }
            return Task.FromResult(0);
        });
        return cmd;
    }

    private static string Counters(TfDetectionRelay r) =>
        $"{r.TfMessages} TF messages from {r.PublishersMatched} publishers, {r.TransformsUsed} transforms used, {r.UnknownTransforms} unknown, " +
        $"{r.UnnamedTransforms} unnamed, {r.RelativeTransforms} relative, {r.BadTransforms} bad; objects seen {r.ObjectsSeen}/{r.Objects.Count}; " +
        $"frames {r.FramesPublished} (failed {r.Failures})";

    /// <summary>--classes names (sizes from --scene when given), else the scene's objects, read as `sim serve` reads it.</summary>
    private static RelayObject[] Objects(string? classes, string? scenePath)
    {
        Dictionary<string, Core.Geometry.Vec3>? sizes = null;
        if (classes is null || scenePath is not null)
        {
            var path = Path.GetFullPath(scenePath ?? RepoPaths.DefaultScene);
            if (!File.Exists(path)) throw new ConfigurationException($"--scene: no such file: {path}");
            using var world = new MuJoCoWorld(path);
            sizes = world.Snapshot().Objects.ToDictionary(o => o.Name, o => o.HalfSize * 2, StringComparer.Ordinal);
            if (classes is null) return [.. sizes.Select(kv => new RelayObject(kv.Key, kv.Value))];
        }
        var names = classes!.Split(',', StringSplitOptions.TrimEntries);
        if (names.Any(n => n.Length == 0)) throw new ConfigurationException($"--classes must be comma-separated names without empty entries, got '{classes}'");
        return [.. names.Select(n => new RelayObject(n, sizes is not null && sizes.TryGetValue(n, out var s) ? s : Core.Geometry.Vec3.Zero))];
    }
}
