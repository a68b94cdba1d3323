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
    public const string Fault = "fault";
    /// <summary>The trajectory controller aborted the motion: a joint left the goal's path tolerance (PATH_TOLERANCE_VIOLATED).</summary>
    public const string PathTolerance = "path_tolerance_violated";
    /// <summary>The trajectory controller aborted the motion: the arm did not settle within the goal tolerance in time (GOAL_TOLERANCE_VIOLATED).</summary>
    public const string GoalTolerance = "goal_tolerance_violated";
    /// <summary>The trajectory controller aborted or refused the motion for another reason.</summary>
    public const string ControllerAborted = "controller_aborted";
    /// <summary>The safety gate refused a whole trajectory before sending it: a point leaves the limits or the envelope.</summary>
    public const string TrajectoryRefused = "trajectory_refused";
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
public sealed record GetScene;
public sealed record GetRobotState;
