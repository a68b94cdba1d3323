using CortexBot.Core.Goals;
using CortexBot.Core.Instructions;
using CortexBot.Core.Messages;

namespace CortexBot.Host;

/// <summary>
/// What must be true in the world when a task is done, read from the instruction (not from whatever plan a planner
/// produced), so a model planner cannot make an episode "succeed" with a plan that does something else.
/// </summary>
public static class InstructionGoal
{
    /// <summary>
    /// The goal the <see cref="InstructionReader"/> (the rule planner's reader) reads, or null when it cannot tell: every
    /// object placed must be in its container at the end, an object stacked on its base, and an object only picked must
    /// be lifted; the last word about each object counts ("pick X and put it in Y" asks for in(X, Y), not lifted(X) too).
    /// </summary>
    public static TaskGoal? FromInstruction(string instruction, SceneSnapshot scene) => InstructionReader.Read(instruction, scene).Goal;
}
