using CortexBot.Core.Messages;
using CortexBot.Core.Skills;

namespace CortexBot.Cortex;

/// <summary>
/// Checks any planner's plan (rule-based or a model's) against the skill catalogue and the scene before anything moves:
/// every step names a catalogued skill, has the right number of arguments, every argument names an object present in
/// the scene, and container arguments name containers; then the plan is simulated with the catalogue's preconditions and
/// effects (<see cref="SymbolicState"/>), so a step that breaks a precondition (placing what is not held, picking with
/// full hands, stacking on an object that something already rests on) is refused with the step and the reason.
/// </summary>
public static class PlanValidator
{
    /// <summary>Longest plan accepted; guards against a runaway planner.</summary>
    public const int MaxSteps = 64;

    /// <summary>Returns <c>null</c> when <paramref name="plan"/> is valid, else a one-line reason naming the first faulty step (1-based).</summary>
    public static string? Validate(Plan plan, SkillCatalogue catalogue, SceneSnapshot scene)
    {
        ArgumentNullException.ThrowIfNull(catalogue);
        ArgumentNullException.ThrowIfNull(scene);
        if (plan is null) return "there is no plan";
        if (plan.Steps.IsDefaultOrEmpty) return "the plan has no steps";
        if (plan.Steps.Length > MaxSteps) return $"the plan has {plan.Steps.Length} steps; at most {MaxSteps} are allowed";

        for (int i = 0; i < plan.Steps.Length; i++)
        {
            var reason = ValidateStep(plan.Steps[i], catalogue, scene);
            if (reason is not null) return $"step {i + 1}: {reason}";
        }
        return SymbolicState.Simulate(plan, catalogue, scene, out _);
    }

    private static string? ValidateStep(SkillInvocation? step, SkillCatalogue catalogue, SceneSnapshot scene)
    {
        if (step is null) return "the step is empty";
        if (string.IsNullOrWhiteSpace(step.Skill)) return "the step names no skill";

        var spec = catalogue.Find(step.Skill);
        if (spec is null)
            return $"unknown skill '{step.Skill}'; known skills: {string.Join(", ", catalogue.Skills.Select(s => s.Name))}";

        var args = step.Args.IsDefault ? [] : step.Args;
        if (args.Length != spec.Args.Count)
        {
            var expected = spec.Args.Count == 0 ? "no arguments" : $"{Count(spec.Args.Count, "argument")} ({string.Join(", ", spec.Args.Select(a => a.Name))})";
            return $"{spec.Name} takes {expected}, got {args.Length}";
        }

        for (int j = 0; j < args.Length; j++)
        {
            var argSpec = spec.Args[j];
            var value = args[j];
            if (string.IsNullOrWhiteSpace(value)) return $"{spec.Name}: argument '{argSpec.Name}' is empty";
            var obj = scene.Objects.IsDefault ? null : scene.Find(value);
            if (obj is null)
                return $"{spec.Name}: there is no '{value}' in the scene; present: {Present(scene)}";
            if (argSpec.Kind == ArgKind.Container && !obj.IsContainer)
                return $"{spec.Name}: '{obj.Name}' is not a container, so it cannot be the {argSpec.Name}";
        }
        return null;
    }

    internal static string Present(SceneSnapshot scene) =>
        scene.Objects.IsDefaultOrEmpty ? "nothing" : string.Join(", ", scene.Objects.Select(o => o.Name));

    private static string Count(int n, string noun) => n == 1 ? $"1 {noun}" : $"{n} {noun}s";
}
