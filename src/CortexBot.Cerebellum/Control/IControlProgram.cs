using CortexBot.Cerebellum.Skills;
using CortexBot.Core.Ports;

namespace CortexBot.Cerebellum.Control;

/// <summary>
/// What the control loop runs tick by tick: a compiled analytic skill (<see cref="SkillProgram"/>) or a learned one.
/// <see cref="Begin"/> and <see cref="Step"/> run on the control thread; <see cref="Step"/> must not allocate, lock
/// against slow code or wait on I/O. Failure strings are prepared before the program starts.
/// </summary>
public interface IControlProgram
{
    string Name { get; }
    string? FailureKind { get; }
    string? FailureDetail { get; }

    /// <summary>
    /// Whether the loop's screen checks this program's commands for obstruction (tracking error, speed shortfall). Meant
    /// for smooth, feasible trajectories; a program whose commands jump and are rate-limited by the safety gate (a learned
    /// policy at chunk seams) opts out and relies on the other checks and its own timeout.
    /// </summary>
    bool ScreenTracking => true;

    /// <summary>Called on the control thread at the tick the program is adopted, with that tick's measured state.</summary>
    void Begin(long tick, RobotStateBuffer state);

    /// <summary>Compute this tick's command into <paramref name="command"/>.</summary>
    ProgramStatus Step(long tick, double period, RobotStateBuffer state, JointCommandBuffer command);

    /// <summary>
    /// The motion that begins at this tick as a whole trajectory (a skill's segment, a policy's chunk), or null; taken
    /// once, right after <see cref="Step"/>, by a loop whose link takes trajectories (<see cref="ITrajectoryLink"/>). The
    /// program keeps computing the same motion tick by tick in <see cref="Step"/>: that is what the loop screens the
    /// measured state against. Prepared before it is needed (at compile time, or in place): taking it allocates nothing.
    /// </summary>
    ArmTrajectory? TakeTrajectory() => null;
}

/// <summary>
/// A plug-in source of skills the analytic compiler does not know (e.g. learned policies). Compile runs off the control
/// thread, in the cerebellum actor.
/// </summary>
public interface ISkillFactory
{
    bool Handles(string skill);
    CompiledSkill Compile(Core.Messages.SkillInvocation skill, Core.Messages.SceneSnapshot scene, ArmContext arm);
}
