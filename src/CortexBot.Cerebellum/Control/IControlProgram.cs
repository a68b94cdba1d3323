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

    /// <summary>Called on the control thread at the tick the program is adopted, with that tick's measured state.</summary>
    void Begin(long tick, RobotStateBuffer state);

    /// <summary>Compute this tick's command into <paramref name="command"/>.</summary>
    ProgramStatus Step(long tick, double period, RobotStateBuffer state, JointCommandBuffer command);
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
