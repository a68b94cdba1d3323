using System.Collections.Immutable;

namespace CortexBot.Core.Messages;

/// <summary>An immutable copy of the arm's state, for actors (the control tick uses <c>RobotStateBuffer</c>).</summary>
public sealed record RobotStateSnapshot(long StampNs, ImmutableArray<double> Position, ImmutableArray<double> Velocity, double GripperOpening);

/// <summary>Stop motion and hold the last safe position (the safety gate latches) until <see cref="Resume"/>.</summary>
public sealed record EmergencyStop(string Reason);
public sealed record Resume;

/// <summary>Something the cerebellum noticed while executing a skill.</summary>
public sealed record Anomaly(string Kind, string Detail, long StampNs)
{
    public override string ToString() => $"{Kind}: {Detail}";
}

public static class AnomalyKinds
{
    public const string TrackingError = "tracking_error";
    public const string GraspMissed = "grasp_missed";
    public const string ObjectDropped = "object_dropped";
    public const string Unreachable = "unreachable";
    public const string InvalidState = "invalid_state";
    /// <summary>The object a skill was compiled for is no longer where the skill expects it.</summary>
    public const string TargetMoved = "target_moved";
    /// <summary>A running program has not moved the arm or the gripper for too long.</summary>
    public const string NoProgress = "no_progress";
    /// <summary>A joint is about to reach its position limit.</summary>
    public const string JointLimit = "joint_limit";
    /// <summary>Perception has no fresh view of the scene: no detection frame newer than its staleness bound (none arrive,
    /// or those that do are stamped too long ago and refused).</summary>
    public const string PerceptionStale = "perception_stale";
    /// <summary>Perception frames arrive, but an object has not been in them for longer than its vanish bound.</summary>
    public const string ObjectVanished = "object_vanished";
    /// <summary>An object's detected position moved between consecutive frames further than anything could carry it
    /// (jump bound plus the tool speed limit times the frames' interval); its pose is untrusted until confirmed.</summary>
    public const string ObjectJumped = "object_jumped";
    public const string Fault = "fault";
    /// <summary>The trajectory controller aborted the motion: a joint left the goal's path tolerance (PATH_TOLERANCE_VIOLATED).</summary>
    public const string PathTolerance = "path_tolerance_violated";
    /// <summary>The trajectory controller aborted the motion: the arm did not settle within the goal tolerance in time (GOAL_TOLERANCE_VIOLATED).</summary>
    public const string GoalTolerance = "goal_tolerance_violated";
    /// <summary>The trajectory controller aborted or refused the motion for another reason.</summary>
    public const string ControllerAborted = "controller_aborted";
    /// <summary>The safety gate refused a whole trajectory before sending it: a point leaves the limits or the envelope.</summary>
    public const string TrajectoryRefused = "trajectory_refused";
    /// <summary>The safety gate held the motion (a keep-out zone's edge, the workspace envelope, an emergency stop): the arm
    /// stopped short of where the skill was taking it.</summary>
    public const string SafetyHold = "safety_hold";
}

public sealed record AnomalyDetected(Guid TaskId, Anomaly Anomaly);

/// <summary>Reset the (simulated) world for a new episode; answered with <see cref="WorldReady"/>.</summary>
public sealed record ResetWorld(int Seed);
public sealed record WorldReady(int Seed, SceneSnapshot Scene)
{
    /// <summary>Object physics the simulator runs with that differ from its scene file (see <see cref="Ports.IPerturbedWorld"/>).</summary>
    public ImmutableArray<AppliedPerturbation> Perturbations { get; init; } = [];
}
public sealed record WorldResetFailed(int Seed, string Reason);

/// <summary>
/// Start an episode from the world as it is (no reset): answered with <see cref="WorldReady"/> carrying the perceived
/// scene, or <see cref="WorldResetFailed"/> saying why perception cannot be trusted now (the episode may ask again).
/// </summary>
public sealed record ObserveWorld(int Seed);
public sealed record GetScene;
public sealed record GetRobotState;
