namespace CortexBot.Core.Messages;

// The robot node's own conversation with a brain (issue 12): the attach handshake that hands the brain the robot-side
// organs, the episode bookkeeping that lets a later brain store an episode its predecessor left behind, and the node's
// status. Actor refs cross as serialized actor paths (strings), resolved by the receiving system: the messages stay
// plain records in Core, with no Akka dependency.

/// <summary>
/// A brain asks the robot node for the organs. Sent by the brain's nervous system, which the robot node watches as the
/// attached brain; answered by <see cref="RobotAttached"/> or <see cref="AttachRefused"/>.
/// </summary>
/// <param name="Brain">The brain's node address, for messages and refusals.</param>
/// <param name="Pid">The brain's process id, for the robot node's log.</param>
public sealed record AttachBrain(string Brain, int Pid);

/// <summary>The robot node accepted the brain.</summary>
/// <param name="Cerebellum">The cerebellum's actor path (serialized, with its node address).</param>
/// <param name="Brainstem">The brainstem's actor path.</param>
/// <param name="RobotNode">The robot node's address.</param>
/// <param name="Pid">The robot node's process id.</param>
/// <param name="Reset">How episodes start on this robot (WorldStart's name, lowercase).</param>
/// <param name="Perception">Where the scene comes from (PerceptionSource's name, lowercase).</param>
/// <param name="WorldReason">Why that reset and that perception (discovery, flags).</param>
public sealed record RobotAttached(string Cerebellum, string Brainstem, string RobotNode, int Pid, string Reset, string Perception, string WorldReason)
{
    /// <summary>The learned policy the robot's skill compiler serves, null when none.</summary>
    public RobotPolicy? Policy { get; init; }

    /// <summary>An episode a previous brain left mid-way (it vanished), for this brain to store as interrupted; null when none.</summary>
    public InterruptedEpisode? Interrupted { get; init; }
}

/// <summary>The learned policy the robot node serves: its file, where it runs, and its identity for the episode record.</summary>
public sealed record RobotPolicy(string Path, string Device, string RequestedDevice, string? Fallback, PolicyIdentity Identity);

/// <summary>Another brain drives this robot: the robot node refuses a second one.</summary>
/// <param name="AttachedBrain">The address of the brain attached now.</param>
public sealed record AttachRefused(string AttachedBrain, string Reason);

/// <summary>The attached brain is done (its run ended): the robot node is free for the next one. No answer.</summary>
public sealed record DetachBrain(string Reason);

/// <summary>
/// The attached brain's episode and the step it sends now (the step index, -1 before the first); the robot node keeps the
/// latest so that, should the brain vanish, the next brain learns what was interrupted. No answer.
/// </summary>
public sealed record EpisodeUnderway(Guid TaskId, string Instruction, int Seed, int Step);

/// <summary>The episode has ended (stored or refused): nothing is underway. No answer.</summary>
public sealed record EpisodeClosed(Guid TaskId);

/// <summary>An episode whose brain vanished while it ran; the robot stopped the segment in force and held the arm.</summary>
/// <param name="Step">The step in force when the brain vanished (-1: before the first step).</param>
/// <param name="Reason">What happened, e.g. the brain at an address became unreachable.</param>
/// <param name="AtUnixMs">When the robot node noticed (Unix milliseconds).</param>
public sealed record InterruptedEpisode(Guid TaskId, string Instruction, int Seed, int Step, string Reason, long AtUnixMs);

/// <summary>Asks the robot node for <see cref="RobotStatus"/>; <paramref name="ResetControlStats"/> starts the control statistics afresh (a run's start).</summary>
public sealed record GetRobotStatus(bool ResetControlStats);

/// <summary>
/// The robot node now: its address and process, its garbage collections so far (the split's promise is that they stay
/// flat while an episode runs), the brain attached, and the control loop's and safety gate's counters since the last reset.
/// </summary>
public sealed record RobotStatus(string RobotNode, int Pid, int Gen0, int Gen1, int Gen2, string? AttachedBrain, ControlCounters Control)
{
    /// <summary>
    /// With a perceived scene (detections or tf from a perception node): what it made of the frames since the robot node
    /// started (the run report's <c>world.detections</c>); null when the scene comes from a simulator.
    /// </summary>
    public PerceptionCounters? Perception { get; init; }
}

/// <summary>The control loop's statistics and the safety gate's counters, as the run report shows them.</summary>
/// <param name="MaxToolSpeed">The envelope's tool speed limit in m/s, null when none.</param>
public sealed record ControlCounters(
    double TargetHz, double AchievedHz, long JitterP50Us, long JitterP99Us, long JitterMaxUs, long LateTicks, long Ticks,
    string Pacing, bool RealtimePriority, long ClampedCommands, long EnvelopeHolds, long SpeedScaledCommands, double? MaxToolSpeed,
    double PeakToolSpeed, long Trajectories, long TrajectoriesRefused, double TrackingErrorP99)
{
    /// <summary>Commands the gate held at a keep-out zone of the safety policy.</summary>
    public long ZoneHolds { get; init; }

    /// <summary>Skill commands stamped by their sender (<see cref="ExecuteSkill.SentUnixNs"/>) whose first tick was timed since the last reset.</summary>
    public long CommandsTimed { get; init; }

    /// <summary>Command latency: from a stamped skill command's send to the first control tick that wrote its command (p50, microseconds).</summary>
    public long CommandLatencyP50Us { get; init; }

    /// <summary>Command latency p99, microseconds.</summary>
    public long CommandLatencyP99Us { get; init; }

    /// <summary>Command latency maximum, microseconds.</summary>
    public long CommandLatencyMaxUs { get; init; }
}
