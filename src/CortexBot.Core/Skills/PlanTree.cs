using System.Collections.Immutable;
using CortexBot.Core.Goals;
using CortexBot.Core.Messages;

namespace CortexBot.Core.Skills;

/// <summary>
/// A node of the execution tree under the task: the plan's steps <see cref="First"/>..<see cref="Last"/> (inclusive) that
/// bring about <see cref="Relation"/> (e.g. pick + place = in(X, C)); null for steps that bring about no relation
/// (e.g. a trailing move_home).
/// </summary>
public sealed record Subgoal(Relation? Relation, int First, int Last)
{
    public bool Contains(int step) => step >= First && step <= Last;
    public override string ToString() => $"{Relation?.ToString() ?? "(no relation)"}: steps {First + 1}-{Last + 1}";
}

/// <summary>
/// The execution tree of a plan (task, then subgoals, then skills), read from the catalogue's effects, and the local
/// repair of one subgoal: the skills that bring about its relation from the current scene, without the planner.
/// </summary>
public static class PlanTree
{
    /// <summary>
    /// Groups <paramref name="plan"/>'s steps into subgoals: each step whose catalogued effects bring about an in/on
    /// relation closes a subgoal holding it and the steps since the previous one; steps after the last such step form
    /// one subgoal without a relation.
    /// </summary>
    public static ImmutableArray<Subgoal> Group(Plan plan, SkillCatalogue catalogue)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(catalogue);
        var steps = plan.Steps.IsDefault ? [] : plan.Steps;
        var groups = ImmutableArray.CreateBuilder<Subgoal>();
        int first = 0;
        for (int i = 0; i < steps.Length; i++)
        {
            if (Achieves(steps[i], catalogue) is { } relation)
            {
                groups.Add(new Subgoal(relation, first, i));
                first = i + 1;
            }
        }
        if (first < steps.Length) groups.Add(new Subgoal(null, first, steps.Length - 1));
        return groups.ToImmutable();
    }

    /// <summary>The in/on relation a step brings about by its catalogued effects, or null.</summary>
    public static Relation? Achieves(SkillInvocation step, SkillCatalogue catalogue)
    {
        if (catalogue.Find(step.Skill) is not { } spec || step.Args.IsDefault || step.Args.Length != spec.Args.Count) return null;
        foreach (var c in spec.Postconditions)
        {
            if (c.Negated || c.Predicate is not (Predicate.In or Predicate.On)) continue;
            string Bind(string name) => step.Args[spec.Args.ToList().FindIndex(a => a.Name == name)];
            return c.Predicate == Predicate.In ? new Relation.In(Bind(c.Args[0]), Bind(c.Args[1])) : new Relation.On(Bind(c.Args[0]), Bind(c.Args[1]));
        }
        return null;
    }

    /// <summary>
    /// The steps that bring about <paramref name="relation"/> from <paramref name="scene"/> (hand empty): a catalogued skill
    /// whose effects add it, preceded by the skill that grasps what it must hold; the first, in catalogue order, whose
    /// preconditions all hold when simulated. Null with <paramref name="reason"/> when none does.
    /// </summary>
    public static Plan? Repair(Relation relation, SceneSnapshot scene, SkillCatalogue catalogue, out string? reason)
    {
        ArgumentNullException.ThrowIfNull(relation);
        ArgumentNullException.ThrowIfNull(scene);
        ArgumentNullException.ThrowIfNull(catalogue);
        var predicate = relation switch { Relation.In => Predicate.In, Relation.On => Predicate.On, _ => (Predicate?)null };
        reason = predicate is null ? $"no skill brings about {relation}" : null;
        if (predicate is null) return null;
        foreach (var spec in catalogue.Skills)
        {
            var effect = spec.Postconditions.FirstOrDefault(c => !c.Negated && c.Predicate == predicate);
            if (effect is null) continue;
            // bind the skill's arguments from the relation; a skill with arguments the relation does not name cannot be used
            var args = spec.Args.Select(a => a.Name == effect.Args[0] ? relation.Objects[0] : a.Name == effect.Args[1] ? relation.Objects[1] : null).ToArray();
            if (args.Any(a => a is null)) continue;
            var steps = new List<SkillInvocation>();
            if (spec.NeedsHeldArg >= 0)
            {
                var held = args[spec.NeedsHeldArg]!;
                var grasp = catalogue.Skills.FirstOrDefault(g => g.GraspsArg >= 0 && g.Args.Count == 1);
                if (grasp is null) { reason = $"no skill grasps {held} for {spec.Name}"; continue; }
                steps.Add(SkillInvocation.Of(grasp.Name, held));
            }
            steps.Add(SkillInvocation.Of(spec.Name, args!));
            var plan = new Plan([.. steps]);
            var broken = SymbolicState.Simulate(plan, catalogue, scene, out _);
            if (broken is null) return plan;
            reason = broken;
        }
        reason ??= $"no catalogued skill brings about {relation}";
        return null;
    }
}
