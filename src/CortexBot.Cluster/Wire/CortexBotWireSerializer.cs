using Akka.Actor;
using Akka.Serialization;

namespace CortexBot.Cluster.Wire;

/// <summary>
/// The Akka serializer for every message between the CortexBot <c>brain</c> node and <c>robot</c> node: protobuf bodies
/// (<c>cortexbot_wire.proto</c>) behind a two-byte header carrying <see cref="CortexBotWire.SchemaVersion"/>, named by short,
/// stable manifests. <see cref="CortexBotWire.Hocon"/> binds each crossing type to it and forbids Akka's default (JSON)
/// fallback for any type without a binding.
/// </summary>
/// <remarks>
/// What crosses (<see cref="CrossingMessages.All"/>; manifest in brackets):
/// <list type="table">
/// <listheader><term>brain to robot</term><description>sender, receiver: purpose</description></listheader>
/// <item><term>ExecuteSkill [xs]</term><description>EpisodeActor, CerebellumActor: run one skill (SkillInvocation, optional SkillTuning, optional safety speed cap); answered by SkillResult.</description></item>
/// <item><term>AbortSkill [ab]</term><description>EpisodeActor (skill timeout), CerebellumActor: abort and hold.</description></item>
/// <item><term>CapToolSpeed [cp]</term><description>EpisodeActor (mid-plan safety review), CerebellumActor: the gate's tool speed cap between skills.</description></item>
/// <item><term>Settle [st]</term><description>EpisodeActor, CerebellumActor: hold while objects come to rest; answered by Settled.</description></item>
/// <item><term>ResetWorld [rw]</term><description>EpisodeActor, BrainstemActor: reset the simulated world; answered by WorldReady or WorldResetFailed.</description></item>
/// <item><term>GetScene [gs]</term><description>EpisodeActor (replanning, judging) and NervousSystemActor (forwarding), BrainstemActor; answered by SceneSnapshot.</description></item>
/// <item><term>GetRobotState [gr]</term><description>NervousSystemActor (forwarding), BrainstemActor; answered by RobotStateSnapshot.</description></item>
/// <item><term>EmergencyStop [es], Resume [re]</term><description>NervousSystemActor (forwarding), BrainstemActor: latch and release the safety gate's stop.</description></item>
/// <item><term>GetRobotClock [gc]</term><description>EpisodeActor (plan came, step ended or timed out), CerebellumActor: robot time; answered by RobotClock.</description></item>
/// <item><term>BeginEpisodeTrace [tb], EndEpisodeTrace [te]</term><description>EpisodeActor, CerebellumActor: start the episode's trace; its robot time and trace at the end.</description></item>
/// <item><term>EpisodeProgress [ep]</term><description>EpisodeActor (event stream), LiveFeedActor on the robot node: plan tree (StepProgress), AnomalyEvent, outcome.</description></item>
/// <listheader><term>robot to brain</term><description>sender, receiver: purpose</description></listheader>
/// <item><term>SkillResult [sr]</term><description>CerebellumActor, ExecuteSkill's sender: SkillOutcome, Duration, optional Anomaly.</description></item>
/// <item><term>Settled [sd]</term><description>CerebellumActor, Settle's sender.</description></item>
/// <item><term>WorldReady [wr], WorldResetFailed [wf]</term><description>BrainstemActor, ResetWorld's sender: SceneSnapshot and AppliedPerturbations, or why not.</description></item>
/// <item><term>SceneSnapshot [ss]</term><description>BrainstemActor, GetScene's sender: SceneObjects (Pose, Vec3 half size, colour), stamped.</description></item>
/// <item><term>RobotStateSnapshot [rs]</term><description>BrainstemActor, GetRobotState's sender: joint positions and velocities, gripper opening.</description></item>
/// <item><term>RobotClock [rc]</term><description>CerebellumActor, GetRobotClock's sender: control tick and period.</description></item>
/// <item><term>EpisodeTraceStarted [ts], EpisodeTraceEnded [td]</term><description>CerebellumActor, the EpisodeActor: start tick and period; robot seconds and the EpisodeTrace blob.</description></item>
/// </list>
/// A payload it cannot read (unknown manifest, another schema version, garbage) throws
/// <see cref="System.Runtime.Serialization.SerializationException"/>: Akka.Remote logs it and drops that one message; the
/// association and both nodes stay up.
/// </remarks>
public sealed class CortexBotWireSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>The serializer's id on the wire (Akka reserves 0 to 40 for itself).</summary>
    public const int Id = 3137;

    public override int Identifier => Id;

    public override string Manifest(object o) => WireCodec.ManifestOf(o);

    public override byte[] ToBinary(object obj) => WireCodec.Encode(obj);

    public override object FromBinary(byte[] bytes, string manifest) => WireCodec.Decode(manifest, bytes);
}
