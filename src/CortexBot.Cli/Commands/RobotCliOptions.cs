using System.CommandLine;
using CortexBot.Cerebellum.Control;
using CortexBot.Core;
using CortexBot.Core.Messages;
using CortexBot.Core.Robot;
using CortexBot.Host;

namespace CortexBot.Cli.Commands;

/// <summary>
/// The options of the robot part (the arm, the control loop, the safety gate, the skill compiler's learned policy, how
/// episodes start and where the scene comes from), shared by `run` and `robot serve`, so a run's own robot node child gets
/// exactly the robot options the run was given (<see cref="Forward"/>).
/// </summary>
internal sealed class RobotCliOptions
{
    public Option<bool> Realtime { get; } = new("--realtime") { Description = "Pace the simulation in real time (default)" };
    public Option<bool> Fast { get; } = new("--fast") { Description = "Lockstep as fast as physics allows (evaluation)" };
    public Option<double> Rate { get; } = new("--rate") { Description = "Control rate in Hz", DefaultValueFactory = _ => 500 };
    public Option<bool> NoRt { get; } = new("--no-rt-priority") { Description = "Do not ask for SCHED_FIFO for the control thread" };
    public Option<string?> Scene { get; } = CommonOptions.SceneOption();
    public Option<string?> Policy { get; } = new("--policy") { Description = $"ONNX policy served as the skill {SkillNames.LearnedPickPlace} (default: policies/pick_place.onnx when present)" };
    public Option<Cerebellum.Learning.Runtime.OnnxDevice> OnnxDevice { get; } = Choices.Enum("--onnx-device",
        "Where ONNX Runtime runs the learned policy: cpu, or cuda (falls back to the CPU with a warning where CUDA is unavailable)",
        Cerebellum.Learning.Runtime.OnnxDevice.Cpu);
    public Option<RobotKind> Robot { get; } = Choices.Enum("--robot", "The arm: sim (embedded MuJoCo) or ros2 (an arm under ros2_control over DDS)", RobotKind.Sim);
    public Option<string[]> Perturb { get; } = new("--perturb")
    {
        Description = "Change an object's physics in the simulator for the whole run, unseen by the planner: OBJECT:slippery or OBJECT:mass=KG,friction=MU (repeatable)",
    };
    public Option<double?> MaxToolSpeed { get; } = new("--max-tool-speed") { Description = "Tool speed limit the safety gate enforces, in m/s (default 1.0; 0.25 is the collaborative reduced speed of ISO 10218-1, which the skills are not yet timed for)" };
    public Option<string?> Workspace { get; } = new("--workspace") { Description = "Workspace box for the tool and fingertips, xmin,ymin,zmin,xmax,ymax,zmax in metres (world frame; default: the table top, up to 1.2 m above it)" };
    public Option<WorldStart?> Reset { get; } = Choices.OptionalEnum<WorldStart>("--reset",
        "How each episode starts: sim (the simulator resets the world), home (the arm moves home first), none (the scene as it is), " +
        "gazebo (Gazebo resets its world through the bridged /world/NAME/control service, then the episode waits for perception of it). " +
        "Default: sim with --robot sim or when the simulator node is discovered on the DDS graph, else gazebo when that service is discovered, else home");
    public Option<string?> GazeboWorld { get; } = new("--gazebo-world")
    {
        Description = $"With --reset gazebo (or its discovery): the Gazebo world whose /world/NAME/control service resets it (default {Brainstem.Ros2.Ros2Options.DefaultGazeboWorld})",
    };
    public Option<PerceptionSource?> Perception { get; } = Choices.OptionalEnum<PerceptionSource>("--perception",
        "Where a ROS 2 robot's scene comes from: sim (the simulator node's scene topic), detections (vision_msgs/Detection3DArray " +
        "mapped by --perception-config) or tf (tf2_msgs/TFMessage object poses on /tf, child_frame_id = class id, stamped with wall-clock time; in Gazebo use the `sim detections` relay instead). " +
        "Default: sim when the simulator node is discovered, else detections");
    public Option<string?> PerceptionConfig { get; } = new("--perception-config")
    {
        Description = "With detections or tf: the class-id-to-object mapping, static fixtures (table, bins) and staleness/vanish/jump bounds (JSON; default sim/perception.json)",
    };
    /// <summary>The safety policy: its zones are the robot's gate's to enforce (the brain screens plans against the same file).</summary>
    public Option<string?> SafetyPolicy { get; } = SafetyCliOptions.PolicyOption();
    public Ros2CliOptions Ros { get; } = new("cortexbot");

    public IEnumerable<Option> All => [Realtime, Fast, Rate, NoRt, Scene, Robot, Policy, OnnxDevice, Perturb, MaxToolSpeed, Workspace, Reset, GazeboWorld,
        Perception, PerceptionConfig, SafetyPolicy, .. Ros.All];

    /// <summary><paramref name="options"/> with the robot part's settings from the command line; bad values are configuration errors.</summary>
    public CortexBotOptions Apply(ParseResult parse, CortexBotOptions options)
    {
        if (parse.GetValue(Realtime) && parse.GetValue(Fast)) throw new ConfigurationException("--realtime and --fast exclude each other");
        options = options with
        {
            RateHz = parse.GetValue(Rate),
            Pacing = parse.GetValue(Fast) ? Pacing.Fast : Pacing.Realtime,
            RealtimePriority = !parse.GetValue(NoRt),
            ScenePath = Path.GetFullPath(parse.GetValue(Scene) ?? RepoPaths.DefaultScene),
            Robot = parse.GetValue(Robot),
            PolicyPath = parse.GetValue(Policy) is { } p ? Path.GetFullPath(p) : null,
            OnnxDevice = parse.GetValue(OnnxDevice),
            Perturbations = [.. (parse.GetValue(Perturb) ?? []).Select(Sim.MuJoCo.ObjectPerturbation.Parse)],
            Reset = parse.GetValue(Reset),
            Perception = parse.GetValue(Perception),
            PerceptionConfigPath = parse.GetValue(PerceptionConfig) is { } pc ? Path.GetFullPath(pc) : null,
            MaxToolSpeed = parse.GetValue(MaxToolSpeed),
            Workspace = parse.GetValue(Workspace) is { } ws ? SafetyEnvelope.ParseWorkspace(ws) : null,
            SafetyPolicyPath = parse.GetValue(SafetyPolicy) is { } sp ? Path.GetFullPath(sp) : null,
        };
        if (options.Robot == RobotKind.Ros2) options = options with { Ros2 = Ros.Build(parse) };
        if (parse.GetValue(GazeboWorld) is { } gw)
        {
            if (options.Robot != RobotKind.Ros2) throw new ConfigurationException("--gazebo-world needs --robot ros2 (and a Gazebo world behind ros_gz_bridge)");
            if (options.Reset is { } r && r != WorldStart.Gazebo)
                throw new ConfigurationException($"--gazebo-world is only used with --reset gazebo, not --reset {r.ToString().ToLowerInvariant()}");
            options = options with { Ros2 = options.Ros2 with { GazeboWorld = gw } };
        }
        return options;
    }

    /// <summary>
    /// The robot options given on this command line, as arguments for a `robot serve` child (paths made absolute, so the
    /// child reads the same files whatever its directory). Options not given keep their defaults there too.
    /// </summary>
    public IReadOnlyList<string> Forward(ParseResult parse)
    {
        var args = new List<string>();
        foreach (var option in All)
        {
            if (parse.GetResult(option) is not { Implicit: false } given) continue;
            if (option.ValueType == typeof(bool))
            {
                if (given.GetValueOrDefault<bool>()) args.Add(option.Name);
                continue;
            }
            foreach (var token in given.Tokens)
            {
                args.Add(option.Name);
                args.Add(option == Scene || option == Policy || option == PerceptionConfig || option == SafetyPolicy ? Path.GetFullPath(token.Value) : token.Value);
            }
        }
        return args;
    }
}
