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
    /// The goal the <see cref="InstructionReader"/> (the rule planner's reader) finds, or null when it cannot tell: every
    /// object the read plan places must be in its container at the end, and an object only picked must be lifted.
    /// </summary>
    public static TaskGoal? FromInstruction(string instruction, SceneSnapshot scene)
    {
        var steps = InstructionReader.Read(instruction, scene).Plan?.Steps ?? [];
        var relations = new List<Relation>();
        foreach (var s in steps)
        {
            switch (s)
            {
                case { Skill: SkillNames.Place or SkillNames.LearnedPickPlace, Args.Length: 2 }:
                    relations.RemoveAll(r => r.Objects[0] == s.Args[0]);
                    relations.Add(new Relation.In(s.Args[0], s.Args[1]));
                    break;
                case { Skill: SkillNames.Pick, Args.Length: 1 }:
                    relations.RemoveAll(r => r.Objects[0] == s.Args[0]);
                    relations.Add(new Relation.Lifted(s.Args[0]));
                    break;
                case { Skill: SkillNames.OpenGripper }:
                    relations.RemoveAll(r => r is Relation.Lifted); // let go: nothing stays lifted
                    break;
            }
        }
        // the last word about each object counts: "pick X and put it in Y" asks for in(X, Y), not lifted(X) too
        return relations.Count == 0 ? null : new TaskGoal([.. relations]);
    }
}
