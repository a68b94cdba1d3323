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
        "Run the MuJoCo arm as a ROS 2 robot: /joint_states, the controller's command and state topics, camera images, scene status and resets over DDS.";

    /// <summary>`sim` with its `serve` subcommand.</summary>
    public static Command CreateSim()
    {
        var sim = new Command("sim", "The MuJoCo arm as a ROS 2 simulator node");
        sim.Subcommands.Add(Create("serve", Description));
        sim.Subcommands.Add(SimExportSdfCommand.Create());
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
        var ros = new Ros2CliOptions("cortexbot_sim");
        var cmd = new Command(name, description)
            { seed, rate, duration, scene, verbose, noCamera, cameraRate, cameraWidth, cameraHeight, stateRate, robotDescription };
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
                log: line => Console.Error.WriteLine($"sim serve: {line}"), robotDescription: urdf);
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
            if (parse.GetValue(duration) is double secs) cts.CancelAfter(TimeSpan.FromSeconds(secs));
            ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
            EventHandler onExit = (_, _) => cts.Cancel();
            Console.CancelKeyPress += onCancel;
            AppDomain.CurrentDomain.ProcessExit += onExit;
            Exception? failure = null;
            var thread = new Thread(() =>
            {
                try { node.Run(cts.Token); }
                catch (Exception e) { failure = e; cts.Cancel(); }
            }) { Name = "cortexbot-sim-node", Priority = ThreadPriority.Highest };
            thread.Start();
            Console.Error.WriteLine($"sim serve: node /{options.NodeName}, ROS domain {options.DomainId}{(options.LoopbackOnly ? " (loopback)" : "")}, {node.RateHz} Hz, " +
                $"publishing {options.JointStatesTopic}, {options.ControllerStateTopic}, {options.SceneTopic}, {Ros2SimNode.TfTopic}{(urdf is null ? "" : ", " + Ros2SimNode.RobotDescriptionTopic)}; camera: {cameraNote}; accepting {options.CommandTopic}, /{options.Controller}/commands, {options.GripperTopic} (joints {string.Join(",", options.GripperJoints)}), {options.ResetTopic}; serving the action {node.TrajectoryAction}");
            while (!thread.Join(1000))
                if (parse.GetValue(verbose))
                {
                    var k = node.Counters;
                    var a = node.ActionCounters;
                    Console.Error.WriteLine($"sim serve: {k.Ticks} ticks, trajectories {k.TrajectoriesApplied}, rejected {k.CommandsRejected}, resets {k.Resets}, late {k.LateTicks}, " +
                        $"images {k.ImagesPublished} (failed {k.ImageFailures}), goals {a.GoalsAccepted} accepted / {a.GoalsRejected} rejected");
                }
            Console.CancelKeyPress -= onCancel;
            AppDomain.CurrentDomain.ProcessExit -= onExit;
            var c = node.Counters;
            var g = node.ActionCounters;
            Console.Error.WriteLine($"sim serve: stopped after {c.Ticks} ticks; trajectories {c.TrajectoriesApplied}, forward commands {c.ForwardCommandsApplied}, " +
                $"gripper commands {c.GripperCommandsApplied}, rejected {c.CommandsRejected}, resets {c.Resets}, late ticks {c.LateTicks}, " +
                $"controller states {c.ControllerStates}, images {c.ImagesPublished} (failed {c.ImageFailures}{(node.ImageProblem is { } p ? ": " + p : "")}); " +
                $"goals {g.GoalsReceived} received, {g.GoalsAccepted} accepted, {g.GoalsRejected} rejected{(g.GoalsRejected > 0 ? $" (last: {node.LastTrajectoryRejection})" : "")}, " +
                $"{g.GoalsSucceeded} succeeded, {g.GoalsCanceled} canceled, {g.GoalsAborted} aborted");
            if (failure is not null) throw failure;
            return Task.FromResult(0);
        });
        return cmd;
    }
}
