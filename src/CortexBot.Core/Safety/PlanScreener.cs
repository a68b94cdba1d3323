using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using CortexBot.Core.Messages;

namespace CortexBot.Core.Safety;

/// <summary>
/// The fast brain of the safety mind: checks a plan against the <see cref="SafetyPolicy"/> and the scene before anything
/// moves. No model, no I/O: microseconds. Refuses a plan whose step targets (the object to pick, the container to place
/// into, a move_above target) lie in a keep-out zone, that implies a forbidden relation (place: in(X, C); stack: on(X, Y);
/// pick: lifted(X)), or that lifts more than the arm's payload; modifies one that handles a fragile object (a tool speed
/// cap on every step that picks, carries or puts it down). It flags what it cannot judge - an object without properties
/// when the policy requires them, a hazard word in the instruction no rule covers, a skill whose relation it does not know,
/// an upright object given to a learned skill - and without a reviewer a flagged plan is refused "needs review" unless
/// <c>allowUnreviewed</c>.
/// </summary>
public sealed class PlanScreener(SafetyPolicy policy, bool allowUnreviewed = false)
{
    public SafetyPolicy Policy { get; } = policy ?? throw new ArgumentNullException(nameof(policy));
    public bool AllowUnreviewed { get; } = allowUnreviewed;

    /// <param name="reviewed">Flags a reviewer has judged (see <see cref="SafetyReviewFlow"/>): they no longer make the plan
    /// "needs review"; every other flag, and every rule, still counts.</param>
    public SafetyVerdict Screen(Plan plan, SceneSnapshot scene, string instruction, IReadOnlyCollection<string>? reviewed = null)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(scene);
        long start = Stopwatch.GetTimestamp();
        var refusals = new List<string>();
        var flags = new List<string>();
        var caps = new List<StepSpeedCap>();
        string? held = null;
        for (int i = 0; i < plan.Steps.Length; i++)
        {
            var step = plan.Steps[i];
            var args = step.Args.IsDefault ? [] : step.Args;
            string? moved = null, relation = null, relObject = null, relTarget = null;
            string[] targets;
            switch (step.Skill)
            {
                case SkillNames.Pick when args.Length == 1:
                    targets = [args[0]]; moved = args[0]; relation = "lifted"; relObject = args[0]; held = args[0];
                    break;
                case SkillNames.Place when args.Length == 2:
                    targets = [args[1]]; moved = args[0]; relation = "in"; relObject = args[0]; relTarget = args[1]; held = null;
                    break;
                case SkillNames.LearnedPickPlace when args.Length == 2:
                    targets = [args[0], args[1]]; moved = args[0]; relation = "in"; relObject = args[0]; relTarget = args[1]; held = null;
                    break;
                case SkillNames.Stack when args.Length == 2:
                    targets = [args[1]]; moved = args[0]; relation = "on"; relObject = args[0]; relTarget = args[1]; held = null;
                    RequireKnown(args[1], scene, i, step, flags);
                    break;
                case SkillNames.MoveAbove when args.Length == 1:
                    targets = [args[0]];
                    break;
                case SkillNames.OpenGripper:
                    targets = []; held = null;
                    break;
                case SkillNames.CloseGripper or SkillNames.MoveHome:
                    targets = [];
                    break;
                default:
                    // Its targets are still screened against the zones; what it does to them is not known.
                    targets = [.. args];
                    flags.Add($"relations: step {i + 1} {step} implies a relation the screen does not know");
                    break;
            }

            foreach (var t in targets)
            {
                if (scene.Find(t) is not { } o) { flags.Add($"scene: step {i + 1} {step} names {t}, which is not in the scene"); continue; }
                foreach (var z in Policy.KeepOutZones)
                    if (z.Overlaps(o.Pose.Position, o.HalfSize))
                        refusals.Add($"keep_out_zones.{z.Name}: {step.Skill} target {o.Name} lies in the zone");
            }

            if (moved is not null && scene.Find(moved) is { } m)
            {
                var p = Policy.PropertiesOf(m);
                RequireKnown(moved, scene, i, step, flags);
                if (double.IsFinite(Policy.PayloadKg))
                {
                    if (p.MassKg is { } kg && kg > Policy.PayloadKg)
                        refusals.Add(string.Create(CultureInfo.InvariantCulture, $"arm.payload_kg: {m.Name} weighs {kg:0.###} kg, above the arm's payload {Policy.PayloadKg:0.###} kg"));
                    else if (p.MassKg is null && p.Known)
                        flags.Add($"arm.payload_kg: the mass of {m.Name} is not known, so the payload cannot be judged");
                }
                if (p.Upright && step.Skill == SkillNames.LearnedPickPlace)
                    flags.Add($"objects.upright: {m.Name} must stay upright and the learned skill does not promise it");
            }

            // Fragile handling: every step that grasps, carries or puts down a fragile object runs slowly.
            string? handled = moved ?? held;
            if (handled is not null && scene.Find(handled) is { } h && Policy.PropertiesOf(h).Fragile)
                caps.Add(new StepSpeedCap(i, Policy.FragileToolSpeed, $"objects.fragile: {h.Name} is fragile"));

            if (relation is not null && relObject is not null)
                foreach (var rule in Policy.ForbiddenRelations)
                    if (rule.Relation == relation && Selects(rule.Object, relObject, scene) && (relTarget is null || Selects(rule.Target, relTarget, scene)))
                    {
                        string implied = relTarget is null ? $"{relation}({relObject})" : $"{relation}({relObject}, {relTarget})";
                        string why = relTarget is null || rule.Target == "*" ? "" : $" ({relTarget}: {rule.Target})";
                        refusals.Add($"forbidden_relations.{rule.Name}: {step} implies {implied}{why}");
                    }
        }

        foreach (var word in HazardWordsIn(instruction))
            flags.Add($"hazard_words.{word}: '{word}' in the instruction and no rule of the policy covers it");

        var distinctFlags = flags.Distinct().ToImmutableArray();
        var unreviewed = reviewed is null ? distinctFlags : [.. distinctFlags.Where(f => !reviewed.Contains(f))];
        SafetyVerdict verdict;
        var modification = caps.Count > 0 ? new SafetyModification([.. caps]) : null;
        if (refusals.Count > 0)
            verdict = new SafetyVerdict(SafetyDecision.Refuse, [.. refusals.Distinct()], null, distinctFlags);
        else if (!unreviewed.IsEmpty && !AllowUnreviewed)
            verdict = new SafetyVerdict(SafetyDecision.Refuse, [.. unreviewed.Select(f => $"needs review: {f}")], null, distinctFlags) { NeedsReview = true };
        else if (modification is not null)
            verdict = new SafetyVerdict(SafetyDecision.Modify, [.. caps.Select(c => c.Rule).Distinct().Select(r => $"{r}: tool speed <= {Policy.FragileToolSpeed.ToString("0.###", CultureInfo.InvariantCulture)} m/s while handling it")],
                modification, distinctFlags);
        else
            verdict = new SafetyVerdict(SafetyDecision.Allow, [], null, distinctFlags);
        return verdict with { ScreenUs = Math.Round(Stopwatch.GetElapsedTime(start).TotalMicroseconds, 2) };
    }

    private void RequireKnown(string name, SceneSnapshot scene, int i, SkillInvocation step, List<string> flags)
    {
        if (!Policy.RequireProperties || scene.Find(name) is not { } o || Policy.PropertiesOf(o).Known) return;
        flags.Add($"objects: no properties for {o.Name} (kind {o.Kind}{(o.Color is null ? "" : $", color {o.Color}")}), which step {i + 1} {step} handles");
    }

    /// <summary>Does <paramref name="selector"/> of a forbidden relation pick the object named <paramref name="name"/>?</summary>
    private bool Selects(string selector, string name, SceneSnapshot scene)
    {
        if (selector == "*") return true;
        if (scene.Find(name) is not { } o) return false;
        return selector switch
        {
            "fragile" => Policy.PropertiesOf(o).Fragile,
            "upright" => Policy.PropertiesOf(o).Upright,
            "zone" => Policy.ZoneOf(o) is not null,
            _ when selector.StartsWith("zone:", StringComparison.Ordinal) => Policy.ZoneOf(o, selector[5..]) is not null,
            _ when selector.StartsWith("kind:", StringComparison.Ordinal) => string.Equals(o.Kind, selector[5..], StringComparison.OrdinalIgnoreCase),
            _ when selector.StartsWith("color:", StringComparison.Ordinal) => string.Equals(o.Color, selector[6..], StringComparison.OrdinalIgnoreCase),
            _ => SafetyPolicy.Glob(selector, o.Name),
        };
    }

    /// <summary>
    /// The policy's hazard words that occur in the instruction (whole words, plurals too) and that no rule covers: a word is
    /// covered when a zone, an object rule or a forbidden relation of the policy names it (e.g. "hand" by a keep-out zone
    /// <c>operator_hand</c>), since then a rule judges it.
    /// </summary>
    public IEnumerable<string> HazardWordsIn(string? instruction)
    {
        if (string.IsNullOrWhiteSpace(instruction) || Policy.HazardWords.IsEmpty) yield break;
        var tokens = instruction.ToLowerInvariant().Split((char[])[' ', '\t', ',', '.', ';', ':', '!', '?', '"', '\'', '(', ')', '-', '_', '/'], StringSplitOptions.RemoveEmptyEntries);
        foreach (var word in Policy.HazardWords)
        {
            if (!tokens.Any(t => t == word || t == word + "s" || t == word + "es")) continue;
            if (Covered(word)) continue;
            yield return word;
        }
    }

    private bool Covered(string word)
    {
        bool Has(string? s) => s is not null && s.Contains(word, StringComparison.OrdinalIgnoreCase);
        return Policy.KeepOutZones.Any(z => Has(z.Name)) || Policy.SpeedZones.Any(z => Has(z.Name))
            || Policy.Objects.Any(o => Has(o.Name) || Has(o.Kind) || Has(o.Color)) || Policy.ForbiddenRelations.Any(r => Has(r.Name));
    }
}
