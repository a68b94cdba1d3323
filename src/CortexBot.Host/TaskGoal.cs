using CortexBot.Core.Instructions;
using CortexBot.Core.Messages;

namespace CortexBot.Host;

/// <summary>
/// What must be true in the world when a task is done, read from the instruction (not from whatever plan a planner
/// produced), so a model planner cannot make an episode "succeed" with a plan that does something else.
/// </summary>
public abstract record TaskGoal
{
    public sealed record Inside(string Object, string Container) : TaskGoal;
    public sealed record Lifted(string Object) : TaskGoal;

    /// <summary>
    /// The goal the <see cref="InstructionReader"/> (the rule planner's reader) finds, or null when it cannot tell. It is
    /// what the instruction asks for in this scene, whatever skills the catalogue offers to achieve it.
    /// </summary>
    public static TaskGoal? FromInstruction(string instruction, SceneSnapshot scene)
    {
        var last = InstructionReader.Read(instruction, scene).Plan?.Steps.LastOrDefault();
        return last switch
        {
            { Skill: SkillNames.Place, Args.Length: 2 } => new Inside(last.Args[0], last.Args[1]),
            { Skill: SkillNames.Pick, Args.Length: 1 } => new Lifted(last.Args[0]),
            _ => null,
        };
    }

    /// <summary>Judge from the scene as perceived at the end (the simulator's physics, or a perception node's detections); null reason when achieved.</summary>
    public string? Check(SceneSnapshot before, SceneSnapshot after) => this switch
    {
        Inside g => after.IsInside(g.Object, g.Container) ? null
            : after.Find(g.Object) is null ? $"{g.Object} is not in the scene at the end (not perceived)"
            : $"{g.Object} is not inside {g.Container}",
        Lifted g => before.Find(g.Object) is { } b && after.Find(g.Object) is { } a && a.Pose.Position.Z > b.Pose.Position.Z + 0.05
            ? null : $"{g.Object} is not lifted",
        _ => "unknown goal",
    };
}
