using System.CommandLine;
using CortexBot.Brainstem.Ros2;
using CortexBot.Core;
using CortexBot.Sim.MuJoCo;
using CortexBot.Sim.Ros2;

namespace CortexBot.Cli.Commands;

/// <summary>
/// `cortexbot sim serve`: the MuJoCo arm as a ROS 2 robot under ros2_control, over Cyclone DDS. `sim-node` is the older
/// name, kept as a hidden alias so existing scripts keep working.
/// </summary>
internal static class SimNodeCommand
{
    private const string Description =
        "Run the MuJoCo arm as a ROS 2 robot: /joint_states, the controller's command and state topics, camera images, scene status and resets over DDS " +
        "(with --as-robot: only what a ros2_control arm with a camera and a perception node offers, detections on /detections instead of scene status and resets).";

    /// <summary>`sim` with its `serve` subcommand.</summary>
    public static Command CreateSim()
    {
        var sim = new Command("sim", "The MuJoCo arm as a ROS 2 simulator node");
        sim.Subcommands.Add(Create("serve", Description));
        sim.Subcommands.Add(SimExportSdfCommand.Create());
        sim.Subcommands.Add(SimDetectionsCommand.Create());
        return sim;
    }

    /// <summary>`sim-node`: the same command as `sim serve` (System.CommandLine cannot alias across levels, so it is built twice).</summary>
    public static Command CreateAlias()
    {
        var cmd = Create("sim-node", "Alias of `sim serve`.");
        cmd.Hidden = true;
        return cmd;
    }

    private static Command Create(string name, string description)
    {
        var seed = new Option<int>("--seed") { Description = "Seed of the initial scene (CortexBot's resets choose later ones)", DefaultValueFactory = _ => 1 };
        var rate = new Option<double>("--rate") { Description = "Physics and /joint_states rate in Hz", DefaultValueFactory = _ => 500 };
        var duration = new Option<double?>("--duration") { Description = "Stop after this many seconds (default: until Ctrl-C)" };
        var scene = CommonOptions.SceneOption();
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Print the node's counters every second" };
        var noCamera = new Option<bool>("--no-camera") { Description = "Publish no camera images" };
        var cameraRate = new Option<double>("--camera-rate") { Description = "Camera image rate in Hz (rendered off the control thread)", DefaultValueFactory = _ => 5 };
        var cameraWidth = new Option<int>("--camera-width") { Description = "Camera image width in pixels", DefaultValueFactory = _ => 320 };
        var cameraHeight = new Option<int>("--camera-height") { Description = "Camera image height in pixels", DefaultValueFactory = _ => 240 };
        var stateRate = new Option<double>("--state-rate") { Description = "Controller state rate in Hz (rounded to a divisor of --rate)", DefaultValueFactory = _ => 50 };
        var robotDescription = new Option<string?>("--robot-description")
            { Description = "A URDF file (expanded, not xacro) to publish on /robot_description (transient local), as robot_state_publisher would" };
        var asRobot = new Option<bool>("--as-robot")
        {
            Description = "Offer only what a ros2_control robot with a camera and a perception node offers: no scene status, no resets, " +
                "no object /tf; object detections (vision_msgs/Detection3DArray, every scene object, the bin too) on /detections",
        };
        var detectionNoise = new Option<double>("--detection-noise")
            { Description = "With --as-robot: std (metres) of the Gaussian noise on each position axis of each detection, seeded by --seed", DefaultValueFactory = _ => 0 };
        var detectionRate = new Option<double>("--detection-rate") { Description = "With --as-robot: detection frames per second", DefaultValueFactory = _ => 15 };
        var detectionLatency = new Option<double>("--detection-latency")
            { Description = "With --as-robot: publish each detection frame this many ms after capture (its header stamp stays the capture time)", DefaultValueFactory = _ => 0 };
        var gazeboControl = new Option<string?>("--gazebo-control")
        {
            Description = "With --as-robot: also serve Gazebo's world control service /world/NAME/control (ros_gz_interfaces/srv/ControlWorld, " +
                "as ros_gz_bridge bridges it): a reset puts the world back to its initial state (the objects scattered from --seed) and answers success",
        };
        var ros = new Ros2CliOptions("cortexbot_sim");
        var cmd = new Command(name, description)
        {
            seed, rate, duration, scene, verbose, noCamera, cameraRate, cameraWidth, cameraHeight, stateRate, robotDescription,
            asRobot, detectionNoise, detectionRate, detectionLatency, gazeboControl,
        };
        foreach (var o in ros.Node) cmd.Options.Add(o);
        cmd.SetAction((parse, ct) =>
        {
            var options = (ros.BuildNode(parse) with { ImageRateHz = parse.GetValue(cameraRate), ControllerStateRateHz = parse.GetValue(stateRate) }).Validate();
            int w = parse.GetValue(cameraWidth), h = parse.GetValue(cameraHeight);
            if (w is < 8 or > 4096 || h is < 8 or > 4096) throw new ConfigurationException($"camera images must be 8 to 4096 pixels a side, got {w}x{h}");
            string? urdf = null;
            if (parse.GetValue(robotDescription) is { } urdfPath)
            {
                if (!File.Exists(urdfPath)) throw new ConfigurationException($"--robot-description: no such file: {urdfPath}");
                urdf = File.ReadAllText(urdfPath);
                if (!urdf.Contains("<robot", StringComparison.Ordinal))
                    throw new ConfigurationException($"--robot-description: {urdfPath} is not a URDF (no <robot> element); expand a xacro first");
            }
            SimDetectionOptions? robot = null;
            if (parse.GetValue(asRobot))
                robot = new SimDetectionOptions
                {
                    NoiseStd = parse.GetValue(detectionNoise), RateHz = parse.GetValue(detectionRate),
                    LatencyMs = parse.GetValue(detectionLatency), Seed = parse.GetValue(seed),
                }.Validate();
            else
                foreach (var o in new Option[] { detectionNoise, detectionRate, detectionLatency })
                    if (parse.GetResult(o) is { Implicit: false })
                        throw new ConfigurationException($"{o.Name} needs --as-robot (only the robot mode publishes detections)");
            string? gazebo = parse.GetValue(gazeboControl);
            if (gazebo is not null && robot is null)
                throw new ConfigurationException("--gazebo-control needs --as-robot (it plays Gazebo's world behind a plain ros2_control robot, which has no simulator reset)");
            if (gazebo is not null)
            {
                try { (options with { GazeboWorld = gazebo }).Validate(); }
                catch (ConfigurationException) { throw new ConfigurationException($"--gazebo-control must be a world name of letters, digits and underscores (it names the service /world/NAME/control), got '{gazebo}'"); }
            }
            var path = Path.GetFullPath(parse.GetValue(scene) ?? RepoPaths.DefaultScene);
            using var world = new MuJoCoWorld(path);
            MuJoCoCamera? camera = null;
            string cameraNote = "no camera (--no-camera)";
            if (!parse.GetValue(noCamera))
            {
                // A machine without GL still serves the arm: the node runs on without images and says so.
                try
                {
                    camera = new MuJoCoCamera(world, new MuJoCoCameraOptions { Width = w, Height = h });
                    cameraNote = $"{options.ImageTopic} ({w}x{h} rgb8, {options.ImageRateHz:0.#} Hz)";
                }
                catch (ConfigurationException e)
                {
                    cameraNote = $"NO camera images ({e.Message})";
                }
            }
            using var cameraLifetime = camera;
            using var node = new Ros2SimNode(world, options, parse.GetValue(rate), parse.GetValue(seed), camera,
                log: line => Console.Error.WriteLine($"sim serve: {line}"), robotDescription: urdf, asRobot: robot, gazeboControl: gazebo);
            void Banner()
            {
                string description = urdf is null ? "" : ", " + Ros2SimNode.RobotDescriptionTopic;
                string offers = robot is null
                    ? $"publishing {options.JointStatesTopic}, {options.ControllerStateTopic}, {options.SceneTopic}, {Ros2SimNode.TfTopic}{description}; camera: {cameraNote}; " +
                      $"accepting {options.CommandTopic}, /{options.Controller}/commands, {options.GripperTopic} (joints {string.Join(",", options.GripperJoints)}), {options.ResetTopic}"
                    : $"as a robot: publishing {options.JointStatesTopic}, {options.ControllerStateTopic}{description}, {options.DetectionsTopic} " +
                      $"({robot.RateHz:0.#} Hz, noise {robot.NoiseStd:0.####} m, latency {robot.LatencyMs:0.#} ms); camera: {cameraNote}; " +
                      $"accepting {options.CommandTopic}, /{options.Controller}/commands, {options.GripperTopic} (joints {string.Join(",", options.GripperJoints)}); " +
                      (node.GazeboControlService is { } gz ? $"no scene status, no object /tf; world resets only through Gazebo's control service {gz}" : "no scene status, no resets, no object /tf");
                Console.Error.WriteLine($"sim serve: node /{options.NodeName}, ROS domain {options.DomainId}{(options.LoopbackOnly ? " (loopback)" : "")}, {node.RateHz} Hz, " +
                    $"{offers}; serving the action {node.TrajectoryAction}");
            }
            void Progress()
            {
                var k = node.Counters;
                var a = node.ActionCounters;
                Console.Error.WriteLine($"sim serve: {k.Ticks} ticks, trajectories {k.TrajectoriesApplied}, rejected {k.CommandsRejected}, resets {k.Resets}, late {k.LateTicks}, " +
                    $"images {k.ImagesPublished} (failed {k.ImageFailures}), goals {a.GoalsAccepted} accepted / {a.GoalsRejected} rejected" +
                    (node.AsRobot ? $", detection frames {node.DetectionFramesPublished}" : ""));
            }
            try
            {
                ForegroundNode.Run(node.Run, "cortexbot-sim-node", ThreadPriority.Highest,
                    parse.GetValue(duration) is double secs ? TimeSpan.FromSeconds(secs) : null,
                    parse.GetValue(verbose) ? Progress : null, ct, started: Banner);
            }
            finally
            {
                var c = node.Counters;
                var g = node.ActionCounters;
                Console.Error.WriteLine($"sim serve: stopped after {c.Ticks} ticks; trajectories {c.TrajectoriesApplied}, forward commands {c.ForwardCommandsApplied}, " +
                    $"gripper commands {c.GripperCommandsApplied}, rejected {c.CommandsRejected}, resets {c.Resets}, late ticks {c.LateTicks}, " +
                    $"controller states {c.ControllerStates}, images {c.ImagesPublished} (failed {c.ImageFailures}{(node.ImageProblem is { } p ? ": " + p : "")}); " +
                    $"goals {g.GoalsReceived} received, {g.GoalsAccepted} accepted, {g.GoalsRejected} rejected{(g.GoalsRejected > 0 ? $" (last: {node.LastTrajectoryRejection})" : "")}, " +
                    $"{g.GoalsSucceeded} succeeded, {g.GoalsCanceled} canceled, {g.GoalsAborted} aborted" +
                    (node.GazeboControlService is { } gzs ? $"; {gzs}: {node.GazeboControlCounters.Resets} resets, {node.GazeboControlCounters.Refused} other requests refused" : "") +
                    (node.AsRobot ? $"; detection frames {node.DetectionFramesPublished}{(node.DetectionProblem is { } dp ? " (last failure: " + dp + ")" : "")}" : ""));
            }
            return Task.FromResult(0);
        });
        return cmd;
    }
}
