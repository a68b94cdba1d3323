using CortexBot.Core;

namespace CortexBot.Brainstem.Ros2;

/// <summary>How commands reach the arm's controller.</summary>
public enum Ros2CommandInterface
{
    /// <summary>trajectory_msgs/JointTrajectory on <c>/&lt;controller&gt;/joint_trajectory</c> (joint_trajectory_controller).</summary>
    Trajectory,
    /// <summary>std_msgs/Float64MultiArray on <c>/&lt;controller&gt;/commands</c> (forward_command_controller, position interface).</summary>
    Forward,
}

/// <summary>How trajectories reach a joint_trajectory_controller.</summary>
public enum Ros2TrajectoryInterface
{
    /// <summary>One message per motion on its <c>~/joint_trajectory</c> topic.</summary>
    Topic,
    /// <summary>As goals of its <c>~/follow_joint_trajectory</c> action (control_msgs/action/FollowJointTrajectory): one
    /// goal per motion, each preempting the one before, as the controller does with a new goal; results, feedback and
    /// cancellation are followed.</summary>
    Action,
}

/// <summary>
/// The ROS 2 distribution whose message layouts go on the wire where distributions differ: the graph's
/// rmw_dds_common/Gid (Humble char[24], Iron on char[16]), endpoint type hashes in USER_DATA (Iron on), and
/// control_msgs/JointTrajectoryControllerState (control_msgs 4.x in Humble, 5.x in Jazzy).
/// </summary>
public enum RosDistro
{
    /// <summary>A ROS_DISTRO value CortexBot has no layouts for (Validate refuses it, naming it).</summary>
    Unsupported = 0,
    Humble,
    Jazzy,
}

/// <summary>Topics, names and bounds of the ROS 2 link and the simulator node. Defaults match a ros2_control arm.</summary>
public sealed record Ros2Options
{
    /// <summary>ROS_DOMAIN_ID (0..232); the environment variable when set, else 0.</summary>
    public int DomainId { get; init; } = DomainFromEnvironment();
    /// <summary>The distribution's wire layouts: ROS_DISTRO when set (as in a `ros2 launch` environment), else Jazzy.</summary>
    public RosDistro Distro { get; init; } = DistroFromEnvironment();
    /// <summary>Restrict traffic to the loopback interface (unicast discovery of 127.0.0.1, no multicast).</summary>
    public bool LoopbackOnly { get; init; }
    /// <summary>Cyclone configuration XML; overrides <see cref="LoopbackOnly"/>. Null: CYCLONEDDS_URI or Cyclone's defaults.</summary>
    public string? CycloneConfig { get; init; }
    /// <summary>The ROS 2 node name announced on ros_discovery_info (what `ros2 node list` shows, in namespace <c>/</c>);
    /// null: announce no node. The CLI uses <c>cortexbot</c> for a run and <c>cortexbot_sim</c> for the simulator node.</summary>
    public string? NodeName { get; init; } = "cortexbot";
    public string JointStatesTopic { get; init; } = "/joint_states";
    /// <summary>Name of the arm controller (joint_trajectory_controller or forward_command_controller instance).</summary>
    public string Controller { get; init; } = "joint_trajectory_controller";
    public Ros2CommandInterface CommandInterface { get; init; } = Ros2CommandInterface.Trajectory;
    /// <summary>With <see cref="Ros2CommandInterface.Trajectory"/>: the topic or the action.</summary>
    public Ros2TrajectoryInterface TrajectoryInterface { get; init; } = Ros2TrajectoryInterface.Topic;
    /// <summary>Gripper command topic (std_msgs/Float64MultiArray, one position per gripper joint: half the opening each).</summary>
    public string GripperTopic { get; init; } = "/gripper_controller/commands";
    /// <summary>Joints whose positions add up to the gripper opening (metres).</summary>
    public IReadOnlyList<string> GripperJoints { get; init; } = ["finger_left", "finger_right"];
    /// <summary>std_msgs/Bool: true stops motion within one tick, false releases.</summary>
    public string EmergencyStopTopic { get; init; } = "/cortexbot/emergency_stop";
    /// <summary>CortexBot's own status (cortexbot_msgs/LinkStatus, 10 Hz): emergency stop, state freshness, the link's counters.</summary>
    public string StatusTopic { get; init; } = "/cortexbot/status";
    /// <summary>diagnostic_msgs/DiagnosticArray at 1 Hz: control rate and jitter, joint state freshness, emergency stop, last anomaly.</summary>
    public string DiagnosticsTopic { get; init; } = "/diagnostics";
    /// <summary>The simulator node's scene status (cortexbot_msgs/SceneStatus).</summary>
    public string SceneTopic { get; init; } = "/cortexbot/sim/scene";
    /// <summary>World reset requests to the simulator node (cortexbot_msgs/ResetRequest).</summary>
    public string ResetTopic { get; init; } = "/cortexbot/sim/reset";
    /// <summary>
    /// The Gazebo world whose control service (<see cref="GazeboControlService"/>, ros_gz_interfaces/srv/ControlWorld,
    /// bridged by ros_gz_bridge) resets it: the world's name in its SDF file.
    /// </summary>
    public string GazeboWorld { get; init; } = DefaultGazeboWorld;
    public const string DefaultGazeboWorld = "cortexbot_tabletop";
    /// <summary>Camera images (sensor_msgs/Image, rgb8, sensor-data QoS): the simulator node publishes them here.</summary>
    public string ImageTopic { get; init; } = "/camera/image_raw";
    /// <summary>Object detections (vision_msgs/Detection3DArray) from a perception node, or from the simulator node with --as-robot.</summary>
    public string DetectionsTopic { get; init; } = "/detections";
    /// <summary>tf2_msgs/TFMessage with object poses (child_frame_id = class id), e.g. Gazebo's through ros_gz_bridge.</summary>
    public string TfTopic { get; init; } = "/tf";
    /// <summary>Whether the link subscribes <see cref="ImageTopic"/> (only a planner that takes images needs the bandwidth).</summary>
    public bool ReceiveImages { get; init; }
    /// <summary>A newest image older than this is not handed to the planner.</summary>
    public TimeSpan ImageStaleAfter { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>How often the simulator node renders and publishes an image (rendering is slow: tens of ms a frame).</summary>
    public double ImageRateHz { get; init; } = 5;
    /// <summary>How often the simulator node publishes control_msgs/JointTrajectoryControllerState (joint_trajectory_controller's default state_publish_rate).</summary>
    public double ControllerStateRateHz { get; init; } = 50;
    /// <summary>A joint state older than this (or non-finite) makes Read fail, so the control loop holds and nothing is sent.</summary>
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromMilliseconds(50);
    /// <summary>How long Start waits for the first valid joint state.</summary>
    public TimeSpan StartTimeout { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>How long a world reset waits for the simulator node's acknowledgement.</summary>
    public TimeSpan ResetTimeout { get; init; } = TimeSpan.FromSeconds(8);
    /// <summary>time_from_start of a single-point trajectory (a changed hold target), in control periods.</summary>
    public int TrajectoryLeadPeriods { get; init; } = 3;
    /// <summary>
    /// The path tolerance (rad) every goal of the action sets for every arm joint: the controller aborts the goal
    /// (PATH_TOLERANCE_VIOLATED) when a joint's position error exceeds it while the trajectory runs. Wider than the
    /// cerebellum's own tracking screen for a ROS 2 arm (0.15 rad sustained 0.1 s) so CortexBot, which knows why,
    /// normally stops an obstructed motion first; the controller's check still binds when CortexBot cannot (a lost
    /// link). 0.1 rad tripped on a loaded machine, where the simulated arm lagged that much. 0: the controller's
    /// default; -1: none.
    /// </summary>
    public double PathTolerance { get; init; } = 0.2;
    /// <summary>The goal tolerance (rad) every goal sets for every arm joint: the arm must end within it of the last point. 0: the controller's default; -1: none.</summary>
    public double GoalTolerance { get; init; } = 0.02;
    /// <summary>How long after its last point's time a goal may take to settle within <see cref="GoalTolerance"/> before the
    /// controller aborts it (GOAL_TOLERANCE_VIOLATED). Zero waits without limit.</summary>
    public TimeSpan GoalTimeTolerance { get; init; } = TimeSpan.FromSeconds(0.5);

    /// <summary>Gazebo's world control service as ros_gz_bridge names it: <c>/world/&lt;world&gt;/control</c>.</summary>
    public string GazeboControlService => $"/world/{GazeboWorld}/control";

    /// <summary>joint_trajectory_controller's <c>~/controller_state</c>.</summary>
    public string ControllerStateTopic => $"/{Controller}/controller_state";

    /// <summary>joint_trajectory_controller's <c>~/follow_joint_trajectory</c> action.</summary>
    public string TrajectoryAction => $"/{Controller}/follow_joint_trajectory";

    public string CommandTopic => CommandInterface == Ros2CommandInterface.Trajectory
        ? $"/{Controller}/joint_trajectory"
        : $"/{Controller}/commands";

    /// <summary>The Cyclone configuration to use (null: Cyclone's own).</summary>
    public string? EffectiveCycloneConfig => CycloneConfig ?? (LoopbackOnly ? DdsParticipant.LoopbackConfig() : null);

    public Ros2Options Validate()
    {
        if (DomainId is < 0 or > 232) throw new ConfigurationException($"ROS domain id (ROS_DOMAIN_ID or --ros-domain) must be an integer in 0..232, got {(DomainId < 0 ? Environment.GetEnvironmentVariable("ROS_DOMAIN_ID") : DomainId)}");
        if (Distro == RosDistro.Unsupported)
            throw new ConfigurationException($"ROS_DISTRO is '{Environment.GetEnvironmentVariable("ROS_DISTRO")}', whose message layouts CortexBot does not know: pass --ros-distro humble or --ros-distro jazzy");
        if (NodeName is not null) RosNames.ValidateNodeName(NodeName);
        if (string.IsNullOrWhiteSpace(Controller) || Controller.Contains('/') || Controller.Contains(' '))
            throw new ConfigurationException($"--controller must be a plain controller name, got '{Controller}'");
        if (string.IsNullOrEmpty(GazeboWorld) || !(char.IsAsciiLetter(GazeboWorld[0]) || GazeboWorld[0] == '_')
            || !GazeboWorld.All(c => char.IsAsciiLetterOrDigit(c) || c == '_'))
            throw new ConfigurationException($"--gazebo-world must be a world name of letters, digits and underscores (it names the service /world/NAME/control), got '{GazeboWorld}'");
        var topics = new (string Flag, string Topic)[]
        {
            ("--joint-states-topic", JointStatesTopic), ("the controller's command topic", CommandTopic), ("--gripper-topic", GripperTopic),
            ("--estop-topic", EmergencyStopTopic), ("--status-topic", StatusTopic), ("the diagnostics topic", DiagnosticsTopic), ("the scene topic", SceneTopic), ("the reset topic", ResetTopic),
            ("--image-topic", ImageTopic), ("the controller state topic", ControllerStateTopic), ("--detections-topic", DetectionsTopic), ("the tf topic", TfTopic),
        };
        var seen = new Dictionary<string, string>();
        foreach (var (flag, topic) in topics)
        {
            string dds;
            try { dds = DdsParticipant.DdsTopicName(topic); }
            catch (ConfigurationException e) { throw new ConfigurationException($"{flag}: {e.Message}"); }
            // two roles on one topic would mix message types or make CortexBot read its own commands
            if (!seen.TryAdd(dds, flag)) throw new ConfigurationException($"{seen[dds]} and {flag} are both '{topic}': each topic may serve one purpose");
        }
        if (GripperJoints.Count == 0 || GripperJoints.Any(string.IsNullOrWhiteSpace))
            throw new ConfigurationException($"--gripper-joints must name at least one joint, comma-separated without empty entries, got '{string.Join(",", GripperJoints)}'");
        foreach (var j in GripperJoints)
            if (j.Any(c => char.IsWhiteSpace(c) || char.IsControl(c)))
                throw new ConfigurationException($"gripper joint name '{j}' must not contain whitespace");
        if (GripperJoints.Distinct().Count() != GripperJoints.Count)
            throw new ConfigurationException($"--gripper-joints names a joint twice: '{string.Join(",", GripperJoints)}'");
        if (TrajectoryInterface == Ros2TrajectoryInterface.Action && CommandInterface != Ros2CommandInterface.Trajectory)
            throw new ConfigurationException("the trajectory action needs the trajectory command interface (joint_trajectory_controller), not forward commands");
        if (StaleAfter <= TimeSpan.Zero) throw new ConfigurationException("the joint-state staleness bound must be positive");
        if (!double.IsFinite(ImageRateHz) || ImageRateHz <= 0 || ImageRateHz > 60)
            throw new ConfigurationException($"the camera image rate must be in (0, 60] Hz, got {ImageRateHz}");
        if (!double.IsFinite(ControllerStateRateHz) || ControllerStateRateHz <= 0 || ControllerStateRateHz > 1000)
            throw new ConfigurationException($"the controller state rate must be in (0, 1000] Hz, got {ControllerStateRateHz}");
        if (ImageStaleAfter <= TimeSpan.Zero) throw new ConfigurationException("the image staleness bound must be positive");
        if (TrajectoryLeadPeriods < 1) throw new ConfigurationException("trajectory lead must be at least one control period");
        if (!double.IsFinite(PathTolerance) || (PathTolerance < 0 && PathTolerance != -1) || PathTolerance > Math.PI)
            throw new ConfigurationException($"--path-tolerance must be a joint position error in radians (0 < tol <= pi), 0 for the controller's default or -1 for none, got {PathTolerance}");
        if (!double.IsFinite(GoalTolerance) || (GoalTolerance < 0 && GoalTolerance != -1) || GoalTolerance > Math.PI)
            throw new ConfigurationException($"--goal-tolerance must be a joint position error in radians (0 < tol <= pi), 0 for the controller's default or -1 for none, got {GoalTolerance}");
        if (GoalTimeTolerance < TimeSpan.Zero || GoalTimeTolerance > TimeSpan.FromMinutes(1))
            throw new ConfigurationException($"--goal-time-tolerance must be between 0 and 60 s, got {GoalTimeTolerance.TotalSeconds}");
        return this;
    }

    /// <summary>A distribution by name (<c>humble</c>, <c>jazzy</c>); anything else is a clear error naming <paramref name="what"/>.</summary>
    public static RosDistro ParseDistro(string? name, string what = "--ros-distro") => name?.Trim().ToLowerInvariant() switch
    {
        "humble" => RosDistro.Humble,
        "jazzy" => RosDistro.Jazzy,
        _ => throw new ConfigurationException($"{what} must be 'humble' or 'jazzy', got '{name}'"),
    };

    private static RosDistro DistroFromEnvironment()
    {
        var v = Environment.GetEnvironmentVariable("ROS_DISTRO");
        if (string.IsNullOrWhiteSpace(v)) return RosDistro.Jazzy;
        // an unknown value is reported by Validate (only a ROS 2 run needs it)
        try { return ParseDistro(v, "ROS_DISTRO"); }
        catch (ConfigurationException) { return RosDistro.Unsupported; }
    }

    private static int DomainFromEnvironment()
    {
        var v = Environment.GetEnvironmentVariable("ROS_DOMAIN_ID");
        if (string.IsNullOrWhiteSpace(v)) return 0;
        // an invalid value is reported by Validate (only a ROS 2 run needs it)
        return int.TryParse(v, out int d) && d is >= 0 and <= 232 ? d : -1;
    }
}
