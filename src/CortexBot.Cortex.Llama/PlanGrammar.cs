using System.Text;
using System.Text.Json;
using CortexBot.Core.Messages;
using CortexBot.Core.Skills;

namespace CortexBot.Cortex.Llama;

/// <summary>
/// Builds, at run time, the GBNF grammar a plan must follow: a JSON object
/// <c>{"steps": [{"skill": NAME, "args": [ARG, ...]}, ...]}</c> where NAME is a catalogued skill and every ARG is an
/// object present in the scene (containers where the skill wants a container), with exactly the skill's number of
/// arguments. An object argument named <c>object</c> is the thing the gripper holds (pick's and place's first argument),
/// so containers are left out of it (the cerebellum cannot pick up a bin). Every rule is bounded (fixed literals, at most one space between tokens, at most
/// <paramref name="maxSteps"/> steps), so a grammar-following model always finishes well within its token budget.
/// </summary>
public static class PlanGrammar
{
    public const string Root = "root";

    /// <summary>
    /// The grammar, or null when no catalogued skill can be grounded in this scene (then <paramref name="reason"/> says why).
    /// With <paramref name="trackHeld"/> the grammar also follows what the gripper holds through the plan (see
    /// <see cref="EffectOf"/>): <c>pick</c> only with empty hands, <c>place</c> only of the object held, so a plan never
    /// asks the cerebellum to place something it does not hold. It does so with one rule per (step, hand state), so the
    /// grammar grows with steps x graspable objects, and stays bounded.
    /// </summary>
    public static string? Build(SkillCatalogue catalogue, SceneSnapshot scene, int maxSteps, out string? reason, bool trackHeld = true)
    {
        ArgumentNullException.ThrowIfNull(catalogue);
        ArgumentNullException.ThrowIfNull(scene);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSteps, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxSteps, PlanValidator.MaxSteps);

        var objects = scene.Objects.IsDefault ? [] : scene.Objects.Where(o => !string.IsNullOrWhiteSpace(o.Name)).ToList();
        var containers = objects.Where(o => o.IsContainer).ToList();
        var graspables = objects.Where(o => !o.IsContainer).ToList();

        var sb = new StringBuilder();
        var stepRules = new List<string>();
        // Per skill: its generic rule, and (for skills whose first argument is the held object) one rule per graspable object.
        var generic = new Dictionary<int, string>();
        var perObject = new Dictionary<(int Skill, int Obj), string>();
        for (int i = 0; i < catalogue.Skills.Count; i++)
        {
            var skill = catalogue.Skills[i];
            bool groundable = skill.Args.All(a => Choices(a, objects, containers, graspables).Count > 0);
            if (!groundable) continue;
            var rule = $"skill{i}";
            stepRules.Add(rule);
            generic[i] = rule;
            AppendStep(sb, rule, skill, null);
            if (trackHeld && EffectOf(skill) is SkillEffect.Grasp or SkillEffect.PlaceHeld)
            {
                for (int o = 0; o < graspables.Count; o++)
                {
                    var r = $"skill{i}o{o}";
                    perObject[(i, o)] = r;
                    AppendStep(sb, r, skill, graspables[o]);
                }
            }
        }
        if (stepRules.Count == 0)
        {
            reason = objects.Count == 0
                ? "no catalogued skill can be used: the scene is empty and every skill needs an object"
                : "no catalogued skill can be grounded in this scene";
            return null;
        }

        var head = new StringBuilder();
        if (!trackHeld)
        {
            head.Append($"{Root} ::= \"{{\" ws ").Append(Literal("\"steps\"")).Append(" ws \":\" ws \"[\" ws step");
            if (maxSteps > 1) head.Append($" (ws \",\" ws step){{0,{maxSteps - 1}}}");
            head.Append(" ws \"]\" ws \"}\"\n");
            head.Append("step ::= ").Append(string.Join(" | ", stepRules)).Append('\n');
        }
        else
        {
            head.Append($"{Root} ::= \"{{\" ws ").Append(Literal("\"steps\"")).Append(" ws \":\" ws \"[\" ws s0e ws \"]\" ws \"}\"\n");
            // sKe: step K with empty hands; sKhO: step K holding graspable O. Each step is one of the allowed skills,
            // optionally followed by the next step in the state that skill leads to; the last step has no continuation.
            for (int k = 0; k < maxSteps; k++)
            {
                string Next(string state) => k + 1 < maxSteps ? $" (ws \",\" ws s{k + 1}{state})?" : "";
                var empty = new List<string>();
                foreach (var (i, rule) in generic)
                {
                    switch (EffectOf(catalogue.Skills[i]))
                    {
                        case SkillEffect.Neutral: empty.Add(rule + Next("e")); break;
                        case SkillEffect.Release: empty.Add(rule + Next("e")); break;
                        case SkillEffect.Grasp:
                            for (int o = 0; o < graspables.Count; o++) empty.Add(perObject[(i, o)] + Next($"h{o}"));
                            break;
                        case SkillEffect.PlaceHeld: break; // nothing to place
                    }
                }
                if (empty.Count == 0)
                {
                    reason = "no catalogued skill can start a plan in this scene";
                    return null;
                }
                head.Append($"s{k}e ::= ").Append(string.Join(" | ", empty)).Append('\n');
                for (int o = 0; o < graspables.Count; o++)
                {
                    var holding = new List<string>();
                    foreach (var (i, rule) in generic)
                    {
                        switch (EffectOf(catalogue.Skills[i]))
                        {
                            case SkillEffect.Neutral: holding.Add(rule + Next($"h{o}")); break;
                            case SkillEffect.Release: holding.Add(rule + Next("e")); break;
                            case SkillEffect.Grasp: break; // hands are full
                            case SkillEffect.PlaceHeld: holding.Add(perObject[(i, o)] + Next("e")); break;
                        }
                    }
                    // Some step is always possible while holding unless the catalogue has only grasping skills.
                    head.Append($"s{k}h{o} ::= ").Append(holding.Count > 0 ? string.Join(" | ", holding) : "\"\"").Append('\n');
                }
            }
        }
        if (objects.Count > 0)
            head.Append("object ::= ").Append(string.Join(" | ", objects.Select(o => Literal(JsonSerializer.Serialize(o.Name))))).Append('\n');
        if (graspables.Count > 0)
            head.Append("graspable ::= ").Append(string.Join(" | ", graspables.Select(o => Literal(JsonSerializer.Serialize(o.Name))))).Append('\n');
        if (containers.Count > 0)
            head.Append("container ::= ").Append(string.Join(" | ", containers.Select(o => Literal(JsonSerializer.Serialize(o.Name))))).Append('\n');
        head.Append("ws ::= \" \"?\n");
        reason = null;
        return head.Append(sb).ToString();
    }

    private static void AppendStep(StringBuilder sb, string rule, SkillSpec skill, SceneObject? firstArg)
    {
        sb.Append(rule).Append(" ::= \"{\" ws ").Append(Literal("\"skill\"")).Append(" ws \":\" ws ")
          .Append(Literal(JsonSerializer.Serialize(skill.Name))).Append(" ws \",\" ws ").Append(Literal("\"args\""))
          .Append(" ws \":\" ws \"[\" ws ");
        for (int a = 0; a < skill.Args.Count; a++)
        {
            if (a > 0) sb.Append("ws \",\" ws ");
            if (a == 0 && firstArg is not null) sb.Append(Literal(JsonSerializer.Serialize(firstArg.Name)));
            else sb.Append(RuleFor(skill.Args[a]));
            sb.Append(' ');
        }
        sb.Append("ws \"]\" ws \"}\"\n");
    }

    /// <summary>What a skill does to the gripper's load, as far as planning needs to know.</summary>
    public enum SkillEffect { Neutral, Grasp, Release, PlaceHeld }

    /// <summary>
    /// The effect of a catalogued skill on what the gripper holds: <c>pick</c> grasps its object (needs empty hands),
    /// <c>place</c> puts down the held object (needs to hold it), <c>open_gripper</c> lets go; any other skill is neutral.
    /// (The catalogue does not describe effects yet; these are the cerebellum's skills of the same names.)
    /// </summary>
    public static SkillEffect EffectOf(SkillSpec skill) => skill.Name switch
    {
        SkillNames.Pick when skill.Args.Count >= 1 && IsHeldObject(skill.Args[0]) => SkillEffect.Grasp,
        SkillNames.Place when skill.Args.Count >= 1 && IsHeldObject(skill.Args[0]) => SkillEffect.PlaceHeld,
        SkillNames.OpenGripper => SkillEffect.Release,
        _ => SkillEffect.Neutral,
    };

    /// <summary>Null when the plan's pick/place sequence is consistent with what the gripper holds (the rule the grammar enforces), else the reason.</summary>
    public static string? CheckHeldSequence(Plan plan, SkillCatalogue catalogue)
    {
        string? held = null;
        for (int i = 0; i < plan.Steps.Length; i++)
        {
            var step = plan.Steps[i];
            if (catalogue.Find(step.Skill) is not { } spec) continue;
            var first = step.Args.IsDefaultOrEmpty ? null : step.Args[0];
            switch (EffectOf(spec))
            {
                case SkillEffect.Grasp:
                    if (held is not null) return $"step {i + 1}: {spec.Name}({first}) while still holding {held}; place or release it first";
                    held = first;
                    break;
                case SkillEffect.PlaceHeld:
                    if (held is null) return $"step {i + 1}: {spec.Name}({first}, ...) but the gripper holds nothing; pick {first} first";
                    if (!string.Equals(held, first, StringComparison.OrdinalIgnoreCase)) return $"step {i + 1}: {spec.Name}({first}, ...) but the gripper holds {held}";
                    held = null;
                    break;
                case SkillEffect.Release:
                    held = null;
                    break;
            }
        }
        return null;
    }

    /// <summary>True for an argument naming the thing the gripper holds: containers cannot be that.</summary>
    public static bool IsHeldObject(SkillArg arg) => arg.Kind == ArgKind.Object && arg.Name == "object";

    private static string RuleFor(SkillArg arg) => arg.Kind == ArgKind.Container ? "container" : IsHeldObject(arg) ? "graspable" : "object";

    private static List<SceneObject> Choices(SkillArg arg, List<SceneObject> objects, List<SceneObject> containers, List<SceneObject> graspables) =>
        arg.Kind == ArgKind.Container ? containers : IsHeldObject(arg) ? graspables : objects;

    /// <summary>Null when no step asks the gripper to hold a container, else the reason (the same rule the grammar applies).</summary>
    public static string? CheckHeldObjects(Plan plan, SkillCatalogue catalogue, SceneSnapshot scene)
    {
        for (int i = 0; i < plan.Steps.Length; i++)
        {
            var step = plan.Steps[i];
            if (catalogue.Find(step.Skill) is not { } spec || step.Args.IsDefault) continue;
            for (int a = 0; a < spec.Args.Count && a < step.Args.Length; a++)
                if (IsHeldObject(spec.Args[a]) && scene.Find(step.Args[a]) is { IsContainer: true } c)
                    return $"step {i + 1}: {spec.Name}: '{c.Name}' is a container and cannot be held";
        }
        return null;
    }

    /// <summary>A GBNF string literal matching exactly <paramref name="text"/>.</summary>
    public static string Literal(string text)
    {
        var sb = new StringBuilder(text.Length + 2).Append('"');
        foreach (var c in text)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '[': case ']': sb.Append(c); break;
                default:
                    if (c < 0x20) sb.Append($"\\x{(int)c:X2}");
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append('"').ToString();
    }
}
