using CortexBot.Core.Messages;

namespace CortexBot.Core.Ports;

/// <summary>
/// What organs other than the cerebellum may ask of the control loop that owns the arm at tick rate (the brainstem:
/// resets between ticks, emergency stops, state queries). The cerebellum's ControlLoop implements it; the brainstem
/// depends on this port, not on the cerebellum.
/// </summary>
public interface IControlLoop
{
    /// <summary>Run a rare action (a world reset, re-anchoring the gate) on the control thread between ticks.</summary>
    Task InvokeAsync(Action action);

    /// <summary>Stop the running program at the next tick and hold the last command.</summary>
    void Abort(string reason);

    /// <summary>After the world changed under the arm (a reset), hold where the arm now is.</summary>
    void RehomeHoldTarget();

    /// <summary>The latest measured state (a copy; callable from any thread).</summary>
    RobotStateSnapshot LatestState();
}
