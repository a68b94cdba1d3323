using System.Collections.Immutable;
using CortexBot.Core.Messages;

namespace CortexBot.Core.Goals;

/// <summary>
/// A goal up to which objects are bound: its relations in order with every name replaced by a variable numbered by first
/// appearance and typed by its role (<c>?c</c> a container, <c>?o</c> anything else), e.g.
/// <c>in(?o1, ?c1) ∧ in(?o2, ?c1)</c> for "put the red and the green cube in the bin". Two goals with the same key can be
/// planned alike: the plan of one is the plan of the other with the names swapped by <see cref="Bind"/>.
/// </summary>
public static class GoalStructure
{
    /// <summary>The canonical key of <paramref name="goal"/>; empty for a goal with no relations.</summary>
    public static string Of(TaskGoal goal)
    {
        ArgumentNullException.ThrowIfNull(goal);
        var vars = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        int objects = 0, containers = 0;
        string Var(string name, bool container)
        {
            if (!vars.TryGetValue(name, out var v))
            {
                v = container ? $"?c{++containers}" : $"?o{++objects}";
                vars[name] = v;
            }
            return v;
        }
        return string.Join(" ∧ ", goal.Relations.Select(r => r switch
        {
            Relation.In i => $"in({Var(i.Object, false)}, {Var(i.Container, true)})",
            Relation.On o => $"on({Var(o.Object, false)}, {Var(o.Base, false)})",
            Relation.Lifted l => $"lifted({Var(l.Object, false)})",
            _ => r.ToString(),
        }));
    }

    /// <summary>The key of a goal stored as text (<see cref="TaskGoal.Describe"/>); null when a relation does not parse or there is none.</summary>
    public static string? Of(IReadOnlyList<string> relations)
    {
        if (relations is null || relations.Count == 0) return null;
        var parsed = relations.Select(Relation.Parse).ToList();
        return parsed.Any(r => r is null) ? null : Of(new TaskGoal([.. parsed!]));
    }

    /// <summary>
    /// The binding that maps <paramref name="remembered"/>'s names onto <paramref name="current"/>'s, relation by relation;
    /// null (with why) when the goals differ in structure or a name would map to two (a binding is one-to-one).
    /// </summary>
    public static IReadOnlyDictionary<string, string>? Bind(TaskGoal remembered, TaskGoal current, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(remembered);
        ArgumentNullException.ThrowIfNull(current);
        if (Of(remembered) != Of(current))
        {
            reason = $"the remembered goal {remembered} has another structure than {current}";
            return null;
        }
        var map = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var image = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < remembered.Relations.Length; i++)
        {
            var from = remembered.Relations[i].Objects;
            var to = current.Relations[i].Objects;
            for (int j = 0; j < from.Length; j++)
            {
                // Equal keys make this consistent already; checked anyway so a hand-made pair cannot bind one name twice.
                if ((map.TryGetValue(from[j], out var m) && !string.Equals(m, to[j], StringComparison.OrdinalIgnoreCase))
                    || (image.TryGetValue(to[j], out var back) && !string.Equals(back, from[j], StringComparison.OrdinalIgnoreCase)))
                {
                    reason = $"{from[j]} cannot be bound to {to[j]}";
                    return null;
                }
                map[from[j]] = to[j];
                image[to[j]] = from[j];
            }
        }
        reason = null;
        return map;
    }

    /// <summary>
    /// The remembered <paramref name="plan"/> for <paramref name="remembered"/> rewritten for <paramref name="current"/> in
    /// <paramref name="scene"/>: names bound by the goals are swapped; a name the goal does not bind is kept only when the
    /// current scene has it and no bound name maps onto it. Null, with why, when the plan cannot be carried over.
    /// Checking the result against the catalogue and the scene is the caller's (the plan validator's) work.
    /// </summary>
    public static Plan? Ground(Plan plan, TaskGoal remembered, TaskGoal current, SceneSnapshot scene, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(scene);
        if (plan.Steps.IsDefaultOrEmpty)
        {
            reason = "the remembered plan has no steps";
            return null;
        }
        if (Bind(remembered, current, out reason) is not { } map) return null;
        var taken = new HashSet<string>(map.Values, StringComparer.OrdinalIgnoreCase);
        var steps = ImmutableArray.CreateBuilder<SkillInvocation>(plan.Steps.Length);
        foreach (var step in plan.Steps)
        {
            var args = step.Args.IsDefault ? [] : step.Args;
            var bound = new string[args.Length];
            for (int i = 0; i < args.Length; i++)
            {
                if (map.TryGetValue(args[i], out var to)) bound[i] = to;
                else if (scene.Find(args[i]) is null || taken.Contains(args[i]))
                {
                    reason = $"{step} names {args[i]}, which the goal does not bind and the scene cannot stand for";
                    return null;
                }
                else bound[i] = args[i];
            }
            steps.Add(new SkillInvocation(step.Skill, [.. bound]));
        }
        reason = null;
        return new Plan(steps.MoveToImmutable());
    }
}
