namespace CortexBot.Core.Ports;

/// <summary>
/// A tool speed cap below the safety envelope's, for one skill at a time: what a <c>modify</c> verdict of the safety
/// screen asks for (e.g. 0.1 m/s while a fragile object is handled). The safety gate implements it and enforces the cap on
/// every command; the cerebellum sets it when it starts a capped skill and lifts it when the skill ends.
/// Thread-safe (set from an actor, read on the control thread).
/// </summary>
public interface IToolSpeedCap
{
    /// <summary>Caps the tool speed (m/s); <see cref="double.PositiveInfinity"/> lifts the cap.</summary>
    void CapToolSpeed(double metresPerSecond);

    /// <summary>The cap in force (m/s); infinite when none.</summary>
    double ToolSpeedCap { get; }
}
