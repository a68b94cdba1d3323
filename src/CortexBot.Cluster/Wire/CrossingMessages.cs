using System.Collections.Immutable;
using CortexBot.Core.Messages;

namespace CortexBot.Cluster.Wire;

/// <summary>The two node roles of issue 12: <c>robot</c> (brainstem, cerebellum, control loop) and <c>brain</c> (cortex, hippocampus, episodes).</summary>
public enum NodeRole
{
    Brain,
    Robot,
}

/// <summary>One message type that crosses between the brain node and the robot node: who sends it, who takes it, and why.</summary>
public sealed record CrossingMessage(Type Type, NodeRole From, string Sender, string Receiver, string Purpose)
{
    public NodeRole To => From == NodeRole.Brain ? NodeRole.Robot : NodeRole.Brain;
}

/// <summary>
/// Every message that crosses between the <c>brain</c> and the <c>robot</c> node once the organs are split (issue 12), read
/// off the actors as they are today (EpisodeActor, NervousSystemActor, CerebellumActor, BrainstemActor, LiveFeedActor).
/// Each is bound to <see cref="CortexBotWireSerializer"/>, which must map it (a test enumerates this list).
/// </summary>
/// <remarks>
/// Deliberately not here:
/// <list type="bullet">
/// <item>Brain-only traffic: RunEpisode/EpisodeOutcome/EpisodeRejected (CLI and nervous system), PlanRequest/PlanReady/
/// PlanRefused/CancelPlanning (cortex), RecallSimilar/Recalled/RecallFacts/FactsRecalled/StoreEpisode/EpisodeStored/
/// EpisodeStoreFailed (hippocampus).</item>
/// <item>Robot-only traffic: DetectionFrame (perception port), the cerebellum's internal ProgramEnded.</item>
/// <item>AnomalyDetected (the cerebellum tells its parent, whose forward to the cortex is ignored), HoldPosition,
/// Instruction and GetOrgans: dead messages that issue 12 item 6 removes. The anomaly itself crosses inside SkillResult.</item>
/// <item>Status.Failure: none crosses today (the cerebellum's Settle hold never faults; a failed reset is answered by
/// WorldResetFailed). Akka.Remote's own serializer would carry one, but with no fallback only exceptions whose custom
/// fields Akka binds (string, int, long, byte[]): answer across nodes with messages, not exceptions.</item>
/// </list>
/// The robot clock and the episode's motion trace belong to the control loop: the EpisodeActor asks the cerebellum for them
/// (GetRobotClock, BeginEpisodeTrace, EndEpisodeTrace) instead of reading the loop. EpisodeTraceEnded carries the trace as
/// its stored blob: about 28 bytes per sample for a 6-joint arm at 25 Hz plus 28 per traced object, so a long episode
/// with objects can pass Akka.Remote's default maximum-frame-size (128,000 bytes); the node configuration must allow the
/// largest trace (EpisodeTrace.MaxSamples) or the trace must move off the cluster's path.
/// </remarks>
public static class CrossingMessages
{
    public static ImmutableArray<CrossingMessage> All { get; } =
    [
        // brain -> robot
        new(typeof(ExecuteSkill), NodeRole.Brain, "EpisodeActor (each plan step, EpisodeJournal.BeginStep)", "CerebellumActor",
            "run one skill (SkillInvocation, optional SkillTuning, optional safety speed cap, the send time for the command latency); answered by SkillResult"),
        new(typeof(AbortSkill), NodeRole.Brain, "EpisodeActor (a skill ran past its timeout)", "CerebellumActor",
            "abort the running skill and hold; no answer"),
        new(typeof(Settle), NodeRole.Brain, "EpisodeActor (after the last step)", "CerebellumActor",
            "hold still while objects come to rest; answered by Settled"),
        new(typeof(CapToolSpeed), NodeRole.Brain, "EpisodeActor (a new safety flag mid-plan, and its verdict)", "CerebellumActor",
            "cap the gate's tool speed between skills while a mid-plan safety review is pending (infinite lifts it); no answer"),
        new(typeof(ResetWorld), NodeRole.Brain, "EpisodeActor (episode start)", "BrainstemActor",
            "reset the simulated world from a seed; answered by WorldReady or WorldResetFailed"),
        new(typeof(GetScene), NodeRole.Brain, "EpisodeActor (replanning, judging), NervousSystemActor (forwards a caller's)", "BrainstemActor",
            "what the robot perceives now; answered by SceneSnapshot"),
        new(typeof(GetRobotState), NodeRole.Brain, "NervousSystemActor (forwards a caller's)", "BrainstemActor",
            "the arm's state now; answered by RobotStateSnapshot"),
        new(typeof(EmergencyStop), NodeRole.Brain, "NervousSystemActor (forwards a caller's)", "BrainstemActor",
            "latch the safety gate's emergency stop and abort the program; no answer"),
        new(typeof(Resume), NodeRole.Brain, "NervousSystemActor (forwards a caller's)", "BrainstemActor",
            "release the emergency stop; no answer"),
        new(typeof(GetRobotClock), NodeRole.Brain, "EpisodeActor (a plan came, a step ended or timed out)", "CerebellumActor",
            "the control loop's tick and period, robot time for step starts and durations; answered by RobotClock"),
        new(typeof(BeginEpisodeTrace), NodeRole.Brain, "EpisodeActor (the world is reset)", "CerebellumActor",
            "start the episode's motion trace at the current tick (robot time 0); answered by EpisodeTraceStarted"),
        new(typeof(EndEpisodeTrace), NodeRole.Brain, "EpisodeActor (the outcome is judged)", "CerebellumActor",
            "the episode's robot time and trace since its start tick; answered by EpisodeTraceEnded"),
        new(typeof(EpisodeProgress), NodeRole.Brain, "EpisodeActor (event stream, each change: StepProgress, AnomalyEvent)", "LiveFeedActor",
            "the plan tree and outcome for the live feed and recordings, which sample the control loop on the robot node; no answer"),

        // robot -> brain
        new(typeof(SkillResult), NodeRole.Robot, "CerebellumActor", "EpisodeActor (ExecuteSkill's sender)",
            "how a skill ended (SkillOutcome, Duration, optional Anomaly)"),
        new(typeof(Settled), NodeRole.Robot, "CerebellumActor", "EpisodeActor (Settle's sender)",
            "the hold after Settle is over"),
        new(typeof(WorldReady), NodeRole.Robot, "BrainstemActor", "EpisodeActor (ResetWorld's sender)",
            "the world is reset: SceneSnapshot (SceneObject, Pose, Vec3) and the AppliedPerturbations it runs with"),
        new(typeof(WorldResetFailed), NodeRole.Robot, "BrainstemActor", "EpisodeActor (ResetWorld's sender)",
            "the world could not be reset, and why"),
        new(typeof(SceneSnapshot), NodeRole.Robot, "BrainstemActor", "GetScene's sender",
            "the objects the robot perceives, stamped"),
        new(typeof(RobotStateSnapshot), NodeRole.Robot, "BrainstemActor", "GetRobotState's sender",
            "joint positions and velocities and the gripper opening, stamped"),
        new(typeof(RobotClock), NodeRole.Robot, "CerebellumActor", "EpisodeActor (GetRobotClock's sender)",
            "the control tick now, the tick period, and the tick the last skill program ended at (a step's end as the robot saw it)"),
        new(typeof(EpisodeTraceStarted), NodeRole.Robot, "CerebellumActor", "EpisodeActor (BeginEpisodeTrace's sender)",
            "the tick the episode's robot time counts from, and the tick period"),
        new(typeof(EpisodeTraceEnded), NodeRole.Robot, "CerebellumActor", "EpisodeActor (EndEpisodeTrace's sender)",
            "the episode's robot seconds and its motion trace (EpisodeTrace, null when none is recorded)"),

        // the robot node's own conversation (attach handshake, episode bookkeeping, status)
        new(typeof(ObserveWorld), NodeRole.Brain, "EpisodeActor (starting from the scene as it is, or after Gazebo's reset)", "BrainstemActor",
            "the perceived scene if it can be trusted now; answered by WorldReady or WorldResetFailed"),
        new(typeof(AttachBrain), NodeRole.Brain, "NervousSystemActor (at the run's start)", "RobotNodeActor",
            "hand this brain the robot-side organs; answered by RobotAttached or AttachRefused"),
        new(typeof(DetachBrain), NodeRole.Brain, "NervousSystemActor (the run ended)", "RobotNodeActor",
            "the brain is done; the robot node is free for the next one; no answer"),
        new(typeof(EpisodeUnderway), NodeRole.Brain, "EpisodeActor (the trace started, each step sent)", "RobotNodeActor",
            "the episode and step in force, kept to report an interruption to the next brain; no answer"),
        new(typeof(EpisodeClosed), NodeRole.Brain, "EpisodeActor (the outcome is stored or refused)", "RobotNodeActor",
            "nothing is underway any more; no answer"),
        new(typeof(GetRobotStatus), NodeRole.Brain, "CortexBotRunner (a run's start and end)", "RobotNodeActor",
            "the robot node's status, optionally starting the control statistics afresh; answered by RobotStatus"),
        new(typeof(RobotAttached), NodeRole.Robot, "RobotNodeActor", "NervousSystemActor (AttachBrain's sender)",
            "the cerebellum's and brainstem's actor paths, the world setup, the policy served and any interrupted episode"),
        new(typeof(AttachRefused), NodeRole.Robot, "RobotNodeActor", "NervousSystemActor (AttachBrain's sender)",
            "another brain is attached: its address and why"),
        new(typeof(RobotStatus), NodeRole.Robot, "RobotNodeActor", "GetRobotStatus's sender",
            "address, pid, GC counts gen0/1/2, the attached brain, control loop and safety gate counters (command latency included), perception counters"),
    ];
}
