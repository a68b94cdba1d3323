using System.Text;
using System.Text.Json;
using CortexBot.Core.Messages;
using CortexBot.Core.Skills;

namespace CortexBot.Cortex.Llama;

/// <summary>
/// Builds, at run time, the GBNF grammar a plan must follow: a JSON object
/// <c>{"steps": [{"skill": NAME, "args": [ARG, ...]}, ...]}</c> where NAME is a catalogued skill and every ARG is an
/// object present in the scene (containers where the skill wants a container), with exactly the skill's number of
/// arguments. An argument the catalogue says must be held or graspable (<c>holding(a)</c>, <c>graspable(a)</c>) is
/// limited to objects that are not containers (the cerebellum cannot pick up a bin). Every rule is bounded (fixed
/// literals, at most one space between tokens, at most <paramref name="maxSteps"/> steps), so a grammar-following model
/// always finishes well within its token budget. What the grammar cannot follow (which object rests on which) the plan
/// validator's symbolic simulation checks after generation, and its reason goes back to the model.
/// </summary>
public static class PlanGrammar
{
    public const string Root = "root";

    /// <summary>
    /// The grammar, or null when no catalogued skill can be grounded in this scene (then <paramref name="reason"/> says why).
    /// With <paramref name="trackHeld"/> the grammar also follows what the gripper holds through the plan, as the
    /// catalogue's conditions say (see <see cref="EffectOf"/>): <c>pick</c> only with empty hands, <c>place</c> and
    /// <c>stack</c> only of the object held, so a plan never asks the cerebellum to place something it does not hold. It does so with one rule per (step, hand state), so the
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
        // Per skill: its generic rule, and (for skills that grasp or need a held object) one rule per graspable object
        // with that argument fixed to it.
        var generic = new Dictionary<int, string>();
        var perObject = new Dictionary<(int Skill, int Obj), string>();
        // "graspable"/"object" rules without one graspable object, for the other arguments of per-object rules
        var excluding = new HashSet<(string Rule, int Obj)>();
        for (int i = 0; i < catalogue.Skills.Count; i++)
        {
            var skill = catalogue.Skills[i];
            bool groundable = Enumerable.Range(0, skill.Args.Count).All(a => Choices(skill, a, objects, containers, graspables).Count > 0);
            if (!groundable) continue;
            var rule = $"skill{i}";
            stepRules.Add(rule);
            generic[i] = rule;
            AppendStep(sb, rule, skill, -1, null);
            if (trackHeld && HeldArg(skill) is var held and >= 0)
            {
                for (int o = 0; o < graspables.Count; o++)
                {
                    // the held object fixed, the other arguments any other object (a step never names one object twice)
                    int fixedIndex = o;
                    bool otherArgsGroundable = Enumerable.Range(0, skill.Args.Count)
                        .All(a => a == held || Choices(skill, a, objects, containers, graspables).Any(c => !ReferenceEquals(c, graspables[fixedIndex])));
                    if (!otherArgsGroundable) continue;
                    var r = $"skill{i}o{o}";
                    perObject[(i, o)] = r;
                    AppendStep(sb, r, skill, held, graspables[o], o);
                    for (int a = 0; a < skill.Args.Count; a++)
                        if (a != held && skill.Args[a].Kind != ArgKind.Container) excluding.Add((RuleFor(skill, a), o));
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
                        case SkillEffect.Neutral or SkillEffect.Release or SkillEffect.NeedsEmpty: empty.Add(rule + Next("e")); break;
                        case SkillEffect.Grasp:
                            for (int o = 0; o < graspables.Count; o++)
                                if (perObject.TryGetValue((i, o), out var grasp)) empty.Add(grasp + Next($"h{o}"));
                            break;
                        case SkillEffect.PlaceHeld or SkillEffect.UseHeld: break; // nothing held
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
                            case SkillEffect.Grasp or SkillEffect.NeedsEmpty: break; // hands are full
                            case SkillEffect.PlaceHeld when perObject.TryGetValue((i, o), out var put): holding.Add(put + Next("e")); break;
                            case SkillEffect.UseHeld when perObject.TryGetValue((i, o), out var use): holding.Add(use + Next($"h{o}")); break;
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
        foreach (var (rule, o) in excluding.OrderBy(e => e.Obj).ThenBy(e => e.Rule, StringComparer.Ordinal))
        {
            var pool = rule == "graspable" ? graspables : objects;
            head.Append($"{rule}not{o} ::= ")
                .Append(string.Join(" | ", pool.Where(x => !ReferenceEquals(x, graspables[o])).Select(x => Literal(JsonSerializer.Serialize(x.Name))))).Append('\n');
        }
        head.Append("ws ::= \" \"?\n");
        reason = null;
        return head.Append(sb).ToString();
    }

    private static void AppendStep(StringBuilder sb, string rule, SkillSpec skill, int fixedArg, SceneObject? fixedObject, int fixedIndex = -1)
    {
        sb.Append(rule).Append(" ::= \"{\" ws ").Append(Literal("\"skill\"")).Append(" ws \":\" ws ")
          .Append(Literal(JsonSerializer.Serialize(skill.Name))).Append(" ws \",\" ws ").Append(Literal("\"args\""))
          .Append(" ws \":\" ws \"[\" ws ");
        for (int a = 0; a < skill.Args.Count; a++)
        {
            if (a > 0) sb.Append("ws \",\" ws ");
            if (a == fixedArg && fixedObject is not null) sb.Append(Literal(JsonSerializer.Serialize(fixedObject.Name)));
            else if (fixedObject is not null && skill.Args[a].Kind != ArgKind.Container) sb.Append($"{RuleFor(skill, a)}not{fixedIndex}");
            else sb.Append(RuleFor(skill, a));
            sb.Append(' ');
        }
        sb.Append("ws \"]\" ws \"}\"\n");
    }

    /// <summary>What a skill does to the gripper's load, as far as the grammar follows it.</summary>
    public enum SkillEffect
    {
        /// <summary>Leaves the hand as it is, empty or holding.</summary>
        Neutral,
        /// <summary>Needs empty hands and ends holding one of its arguments.</summary>
        Grasp,
        /// <summary>Ends with empty hands whatever was held.</summary>
        Release,
        /// <summary>Needs to hold one of its arguments and ends with empty hands.</summary>
        PlaceHeld,
        /// <summary>Needs to hold one of its arguments and keeps holding it.</summary>
        UseHeld,
        /// <summary>Needs empty hands and leaves them empty.</summary>
        NeedsEmpty,
    }

    /// <summary>
    /// The effect of a catalogued skill on what the gripper holds, read from its preconditions and effects in the
    /// catalogue (<c>hand_empty</c>, <c>holding(a)</c>): e.g. <c>pick</c> grasps, <c>place</c> and <c>stack</c> put down
    /// the held object, <c>open_gripper</c> lets go, <c>learned_pick_place</c> needs empty hands.
    /// </summary>
    public static SkillEffect EffectOf(SkillSpec skill)
    {
        ArgumentNullException.ThrowIfNull(skill);
        if (skill.GraspsArg >= 0) return SkillEffect.Grasp;
        if (skill.NeedsHeldArg >= 0) return skill.EmptiesHand ? SkillEffect.PlaceHeld : SkillEffect.UseHeld;
        if (skill.EmptiesHand) return SkillEffect.Release;
        return skill.NeedsEmptyHand ? SkillEffect.NeedsEmpty : SkillEffect.Neutral;
    }

    /// <summary>The argument the grammar fixes per held object: the one grasped, or the one that must be held; -1 for none.</summary>
    private static int HeldArg(SkillSpec skill) => EffectOf(skill) switch
    {
        SkillEffect.Grasp => skill.GraspsArg,
        SkillEffect.PlaceHeld or SkillEffect.UseHeld => skill.NeedsHeldArg,
        _ => -1,
    };

    private static string RuleFor(SkillSpec skill, int arg) =>
        skill.Args[arg].Kind == ArgKind.Container ? "container" : skill.IsGraspableArg(arg) ? "graspable" : "object";

    private static List<SceneObject> Choices(SkillSpec skill, int arg, List<SceneObject> objects, List<SceneObject> containers, List<SceneObject> graspables) =>
        skill.Args[arg].Kind == ArgKind.Container ? containers : skill.IsGraspableArg(arg) ? graspables : objects;

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
