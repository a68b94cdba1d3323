using System.CommandLine;
using CortexBot.Brainstem.Ros2;
using CortexBot.Core;

namespace CortexBot.Cli.Commands;

/// <summary>The ROS 2 flags shared by `run --robot ros2` and `sim serve`.</summary>
internal sealed class Ros2CliOptions(string defaultNodeName)
{
    public readonly Option<string> NodeName = new("--node-name")
    {
        Description = "ROS 2 node name shown by `ros2 node list` (letters, digits and '_', not starting with a digit)",
        DefaultValueFactory = _ => defaultNodeName,
    };
    public readonly Option<string> Distro = new Option<string>("--ros-distro")
    {
        Description = "ROS 2 distribution whose message layouts to speak where they differ (default: ROS_DISTRO when set, else jazzy)",
    }.Among("humble", "jazzy");
    public readonly Option<int?> Domain = new("--ros-domain") { Description = "ROS_DOMAIN_ID (0..232; default: the environment variable, else 0)" };
    public readonly Option<bool> Loopback = new("--ros-loopback") { Description = "Keep DDS traffic on the loopback interface (unicast discovery of 127.0.0.1)" };
    public readonly Option<string> Controller = new("--controller") { Description = "Arm controller name (topics /NAME/joint_trajectory or /NAME/commands)", DefaultValueFactory = _ => "joint_trajectory_controller" };
    public readonly Option<Ros2CommandInterface> Interface = Choices.Enum("--command-interface",
        "trajectory (joint_trajectory_controller) or forward (forward_command_controller)", Ros2CommandInterface.Trajectory);
    public readonly Option<Ros2TrajectoryInterface> TrajectoryInterface = Choices.Enum("--trajectory-interface",
        "How trajectories reach joint_trajectory_controller: topic (~/joint_trajectory) or action (~/follow_joint_trajectory goals)", Ros2TrajectoryInterface.Topic);
    public readonly Option<string> ImageTopic = new("--image-topic") { Description = "Camera image topic (sensor_msgs/Image, rgb8)", DefaultValueFactory = _ => "/camera/image_raw" };
    public readonly Option<string> DetectionsTopic = new("--detections-topic")
        { Description = "Object detections topic (vision_msgs/Detection3DArray, a perception node's)", DefaultValueFactory = _ => "/detections" };
    public readonly Option<string> JointStatesTopic = new("--joint-states-topic") { Description = "Joint state topic (sensor_msgs/JointState, joint_state_broadcaster's)", DefaultValueFactory = _ => "/joint_states" };
    public readonly Option<string> GripperTopic = new("--gripper-topic") { Description = "Gripper command topic (std_msgs/Float64MultiArray, one position per gripper joint)", DefaultValueFactory = _ => "/gripper_controller/commands" };
    public readonly Option<string> GripperJoints = new("--gripper-joints") { Description = "Gripper joints whose positions add up to the opening, comma-separated", DefaultValueFactory = _ => "finger_left,finger_right" };
    public readonly Option<string> EstopTopic = new("--estop-topic") { Description = "Emergency stop topic (std_msgs/Bool: true stops, false releases)", DefaultValueFactory = _ => "/cortexbot/emergency_stop" };
    public readonly Option<string> StatusTopic = new("--status-topic") { Description = "CortexBot's own status topic (cortexbot_msgs/LinkStatus, 10 Hz)", DefaultValueFactory = _ => "/cortexbot/status" };
    public readonly Option<double> StaleMs = new("--stale-ms") { Description = "Joint states older than this make the arm hold (ms)", DefaultValueFactory = _ => 50 };
    public readonly Option<double> PathTolerance = new("--path-tolerance") { Description = "With --trajectory-interface action: each goal's path tolerance per arm joint (rad; 0 the controller's default, -1 none)", DefaultValueFactory = _ => 0.2 };
    public readonly Option<double> GoalTolerance = new("--goal-tolerance") { Description = "With --trajectory-interface action: each goal's goal tolerance per arm joint (rad; 0 the controller's default, -1 none)", DefaultValueFactory = _ => 0.02 };
    public readonly Option<double> GoalTimeTolerance = new("--goal-time-tolerance") { Description = "With --trajectory-interface action: how long a goal may take past its end to settle within the goal tolerance (s; 0 waits without limit)", DefaultValueFactory = _ => 0.5 };

    public IEnumerable<Option> All => [NodeName, Distro, Domain, Loopback, Controller, Interface, TrajectoryInterface, PathTolerance, GoalTolerance, GoalTimeTolerance, StaleMs, ImageTopic, DetectionsTopic, JointStatesTopic, GripperTopic, GripperJoints, EstopTopic, StatusTopic];
    /// <summary>The flags that mean something to the simulator node (it serves both command interfaces at once).</summary>
    public IEnumerable<Option> Node => [NodeName, Distro, Domain, Loopback, Controller, ImageTopic, DetectionsTopic, JointStatesTopic, GripperTopic, GripperJoints];

    /// <summary>The flags of a node that only needs a participant (domain, loopback, node name, distribution), e.g. `sim detections`.</summary>
    public IEnumerable<Option> Participant => [NodeName, Distro, Domain, Loopback];

    /// <summary>Options from <see cref="Participant"/>'s flags; every other field keeps its default.</summary>
    public Ros2Options BuildParticipant(ParseResult parse)
    {
        var o = new Ros2Options { NodeName = parse.GetValue(NodeName), LoopbackOnly = parse.GetValue(Loopback) };
        if (parse.GetValue(Domain) is int d) o = o with { DomainId = d };
        return WithDistro(parse, o).Validate();
    }

    public Ros2Options BuildNode(ParseResult parse)
    {
        var o = new Ros2Options
        {
            NodeName = parse.GetValue(NodeName), LoopbackOnly = parse.GetValue(Loopback), Controller = parse.GetValue(Controller)!, ImageTopic = parse.GetValue(ImageTopic)!,
            JointStatesTopic = parse.GetValue(JointStatesTopic)!, GripperTopic = parse.GetValue(GripperTopic)!, GripperJoints = ParseJoints(parse.GetValue(GripperJoints)),
            DetectionsTopic = parse.GetValue(DetectionsTopic)!,
        };
        if (parse.GetValue(Domain) is int d) o = o with { DomainId = d };
        return WithDistro(parse, o).Validate();
    }

    private Ros2Options WithDistro(ParseResult parse, Ros2Options o) =>
        parse.GetValue(Distro) is { } name ? o with { Distro = Ros2Options.ParseDistro(name) } : o;

    public Ros2Options Build(ParseResult parse)
    {
        var iface = parse.GetValue(Interface);
        var trajectory = parse.GetValue(TrajectoryInterface);
        if (trajectory == Ros2TrajectoryInterface.Action && iface != Ros2CommandInterface.Trajectory)
            throw new ConfigurationException("--trajectory-interface action needs --command-interface trajectory (forward_command_controller has no action)");
        double stale = parse.GetValue(StaleMs);
        if (!double.IsFinite(stale) || stale <= 0 || stale > 10_000) throw new ConfigurationException($"--stale-ms must be in (0, 10000], got {stale}");
        double goalTime = parse.GetValue(GoalTimeTolerance);
        if (!double.IsFinite(goalTime) || goalTime < 0 || goalTime > 60) throw new ConfigurationException($"--goal-time-tolerance must be between 0 and 60 s, got {goalTime}");
        var o = new Ros2Options
        {
            NodeName = parse.GetValue(NodeName),
            LoopbackOnly = parse.GetValue(Loopback),
            Controller = parse.GetValue(Controller)!,
            CommandInterface = iface,
            TrajectoryInterface = trajectory,
            StaleAfter = TimeSpan.FromMilliseconds(stale),
            ImageTopic = parse.GetValue(ImageTopic)!,
            DetectionsTopic = parse.GetValue(DetectionsTopic)!,
            JointStatesTopic = parse.GetValue(JointStatesTopic)!,
            GripperTopic = parse.GetValue(GripperTopic)!,
            GripperJoints = ParseJoints(parse.GetValue(GripperJoints)),
            EmergencyStopTopic = parse.GetValue(EstopTopic)!,
            StatusTopic = parse.GetValue(StatusTopic)!,
            PathTolerance = parse.GetValue(PathTolerance),
            GoalTolerance = parse.GetValue(GoalTolerance),
            GoalTimeTolerance = TimeSpan.FromSeconds(goalTime),
        };
        if (parse.GetValue(Domain) is int d) o = o with { DomainId = d };
        return WithDistro(parse, o).Validate();
    }

    /// <summary>A comma-separated joint list (checked further by <see cref="Ros2Options.Validate"/>).</summary>
    internal static string[] ParseJoints(string? list) =>
        (list ?? "").Split(',', StringSplitOptions.TrimEntries);
}
