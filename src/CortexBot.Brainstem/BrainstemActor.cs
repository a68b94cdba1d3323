using Akka.Actor;
using Akka.Event;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

namespace CortexBot.Brainstem;

/// <summary>
/// The brainstem's mailbox: world resets (or observing the world as it is), scene and state queries, emergency stop. The
/// arm itself is driven at tick rate by the control loop (the cerebellum's, reached through <see cref="IControlLoop"/>)
/// through the <see cref="SafetyGate"/>.
/// </summary>
public sealed class BrainstemActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();

    /// <param name="reset">Absent for a robot whose world cannot be reset (a physical arm).</param>
    /// <param name="perturbed">Present for a simulator whose object physics can differ from its scene file.</param>
    public BrainstemActor(IScenePerception perception, IWorldReset? reset, IPerturbedWorld? perturbed, SafetyGate gate, IControlLoop loop)
    {
        Receive<GetScene>(_ => Sender.Tell(perception.Snapshot()));
        // An episode that starts from the world as it is: the scene, unless perception cannot be trusted now (no fresh detections).
        Receive<ObserveWorld>(o => Sender.Tell(perception.Problem() is { } why
            ? new WorldResetFailed(o.Seed, why)
            : new WorldReady(o.Seed, perception.Snapshot())));
        Receive<GetRobotState>(_ => Sender.Tell(loop.LatestState()));
        Receive<EmergencyStop>(e =>
        {
            gate.EmergencyStop();
            loop.Abort($"emergency stop: {e.Reason}");
            _log.Warning("EMERGENCY STOP: {0}", e.Reason);
        });
        Receive<Resume>(_ => gate.Release());
        Receive<ResetWorld>(r =>
        {
            var replyTo = Sender;
            if (reset is null)
            {
                replyTo.Tell(new WorldResetFailed(r.Seed, "this robot link cannot reset the world (not a simulator)"));
                return;
            }
            System.Collections.Immutable.ImmutableArray<AppliedPerturbation> perturbations = [];
            loop.InvokeAsync(() =>
            {
                reset.ResetScene(r.Seed);
                gate.Reanchor();
                loop.RehomeHoldTarget();
                // Read with the reset, on the control thread: the episode is remembered with the physics it starts under.
                if (perturbed is not null) perturbations = perturbed.AppliedPerturbations();
            }).ContinueWith(t => t.IsCompletedSuccessfully
                ? (object)new WorldReady(r.Seed, perception.Snapshot()) { Perturbations = perturbations }
                : new WorldResetFailed(r.Seed, t.Exception?.GetBaseException().Message ?? "reset cancelled"))
              .PipeTo(replyTo);
        });
    }

    public static Props Props(IScenePerception perception, IWorldReset? reset, IPerturbedWorld? perturbed, SafetyGate gate, IControlLoop loop) =>
        Akka.Actor.Props.Create(() => new BrainstemActor(perception, reset, perturbed, gate, loop));
}
