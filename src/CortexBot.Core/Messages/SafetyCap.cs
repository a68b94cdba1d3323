namespace CortexBot.Core.Messages;

/// <summary>
/// To the cerebellum between skills: hold the gate's tool speed cap at <paramref name="MetresPerSecond"/> (infinite lifts
/// it) - the arm slows while a new safety flag is reviewed. The next skill sets its own cap when it starts.
/// </summary>
public sealed record CapToolSpeed(double MetresPerSecond);
