using CortexBot.Core.Robot;

namespace CortexBot.Core.Ports;

/// <summary>
/// A safety gate in front of a robot link: every command passes through it and is clamped to the arm's limits or held
/// (the brainstem's SafetyGate). Integrations that drive a simulator outside the host (policy evaluation, checkpoint
/// selection) take one from a <see cref="MotionGuardFactory"/> the host or CLI passes in, so they command the arm exactly
/// as <c>run</c> does without referencing the brainstem's project. Same threading as <see cref="IRobotLink"/>.
/// </summary>
public interface IMotionGuard : IRobotLink
{
    /// <summary>Commands that had at least one value clamped to a limit.</summary>
    long ClampedCommands { get; }

    /// <summary>Take the arm's measured position as the reference for rate limiting (after start or a world reset).</summary>
    void Reanchor();

    /// <summary>
    /// Copies the command the guard last passed on to the link (clamped, slowed or held) into <paramref name="into"/>: what
    /// the arm was really told, which the control loop screens the measurement against (a hand slowed at a zone is not an
    /// obstructed one). Allocation-free; control thread.
    /// </summary>
    void CopySent(JointCommandBuffer into);
}

/// <summary>Puts a <see cref="IMotionGuard"/> in front of <paramref name="link"/> for <paramref name="arm"/> (the link stays owned by the caller).</summary>
public delegate IMotionGuard MotionGuardFactory(IRobotLink link, ArmModel arm);
