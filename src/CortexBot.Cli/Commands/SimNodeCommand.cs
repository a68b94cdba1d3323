using System.CommandLine;
using CortexBot.Brainstem.Ros2;
using CortexBot.Core;
using CortexBot.Sim.MuJoCo;

namespace CortexBot.Cli.Commands;

/// <summary>`cortexbot sim-node`: the MuJoCo arm as a ROS 2 robot under ros2_control, over Cyclone DDS.</summary>
internal static class SimNodeCommand
{
    public static Command Create()
    {
        var seed = new Option<int>("--seed") { Description = "Seed of the initial scene (CortexBot's resets choose later ones)", DefaultValueFactory = _ => 1 };
        var rate = new Option<double>("--rate") { Description = "Physics and /joint_states rate in Hz", DefaultValueFactory = _ => 500 };
        var duration = new Option<double?>("--duration") { Description = "Stop after this many seconds (default: until Ctrl-C)" };
        var scene = CommonOptions.SceneOption();
        var verbose = new Option<bool>("--verbose", "-v") { Description = "Print the node's counters every second" };
        var ros = new Ros2CliOptions();
        var cmd = new Command("sim-node", "Run the MuJoCo arm as a ROS 2 robot: /joint_states, the controller's command topics, scene status and resets over DDS.")
            { seed, rate, duration, scene, verbose };
        foreach (var o in ros.Node) cmd.Options.Add(o);
        cmd.SetAction((parse, ct) =>
        {
            var options = ros.BuildNode(parse);
            var path = Path.GetFullPath(parse.GetValue(scene) ?? RepoPaths.DefaultScene);
            using var world = new MuJoCoWorld(path);
            using var node = new Ros2SimNode(world, options, parse.GetValue(rate), parse.GetValue(seed));
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
            Console.Error.WriteLine($"sim-node: ROS domain {options.DomainId}{(options.LoopbackOnly ? " (loopback)" : "")}, {node.RateHz} Hz, " +
                $"publishing {options.JointStatesTopic} and {options.SceneTopic}, accepting {options.CommandTopic}, /{options.Controller}/commands, {options.GripperTopic}, {options.ResetTopic}");
            while (!thread.Join(1000))
                if (parse.GetValue(verbose))
                {
                    var k = node.Counters;
                    Console.Error.WriteLine($"sim-node: {k.Ticks} ticks, trajectories {k.TrajectoriesApplied}, rejected {k.CommandsRejected}, resets {k.Resets}, late {k.LateTicks}");
                }
            Console.CancelKeyPress -= onCancel;
            AppDomain.CurrentDomain.ProcessExit -= onExit;
            var c = node.Counters;
            Console.Error.WriteLine($"sim-node: stopped after {c.Ticks} ticks; trajectories {c.TrajectoriesApplied}, forward commands {c.ForwardCommandsApplied}, " +
                $"gripper commands {c.GripperCommandsApplied}, rejected {c.CommandsRejected}, resets {c.Resets}, late ticks {c.LateTicks}");
            if (failure is not null) throw failure;
            return Task.FromResult(0);
        });
        return cmd;
    }
}
