using CortexBot.Core.Messages;

namespace CortexBot.Cerebellum.Skills;

/// <summary>An earlier attempt in the same episode: the skill, the tuning it ran with, and the anomaly it ended with.</summary>
public sealed record TuningAttempt(SkillInvocation Skill, SkillTuning Tuning, SkillOutcome Outcome, string? AnomalyKind);

/// <summary>A tuning and why it was chosen (for logs and the episode record).</summary>
public sealed record TuningAdvice(SkillTuning Tuning, string Reason);

/// <summary>
/// Chooses how to run a grasping skill on an object from experience: the semantic facts the hippocampus distilled (per
/// object, skill and tuning: successes, failures and their reasons) and the attempts earlier in this episode.
/// A grasp that let the object slip (<see cref="AnomalyKinds.ObjectDropped"/>) under the default grip is tried firmly
/// next; a tuning that has carried the object to its goal before is reused. Plain code, so the choice is testable
/// without actors; only <c>pick</c> takes a tuning (the grip set at the grasp holds through the place).
/// </summary>
public static class SkillTuningAdvisor
{
    private static readonly SkillTuning Firm = new(FirmGrip: true);

    public static TuningAdvice Advise(SkillInvocation skill, IReadOnlyList<SemanticFact> facts, IReadOnlyList<TuningAttempt> earlier)
    {
        if (skill.Skill != SkillNames.Pick || skill.Args.Length != 1) return new(SkillTuning.Default, "defaults");
        string obj = skill.Args[0];

        // Working memory first: this episode already saw the object slip with some grip.
        for (int i = earlier.Count - 1; i >= 0; i--)
        {
            var a = earlier[i];
            if (a.Skill.Args.Length == 0 || a.Skill.Args[0] != obj || a.Skill.Skill is not (SkillNames.Pick or SkillNames.Place)) continue;
            if (a.AnomalyKind == AnomalyKinds.ObjectDropped && !a.Tuning.FirmGrip)
                return new(Firm, $"{obj} slipped out of the default grip earlier in this episode");
            break;
        }

        // Long-term memory: how each grip has fared with this object, over picks and the places that followed them.
        var byTuning = new Dictionary<string, (int Carried, int Slipped, DateTimeOffset LastCarried)>();
        foreach (var f in facts)
        {
            if (f.Object != obj || f.Skill is not (SkillNames.Pick or SkillNames.Place)) continue;
            byTuning.TryGetValue(f.Tuning, out var t);
            if (f.Skill == SkillNames.Place && f.Successes > 0)
            {
                t.Carried += f.Successes;
                if (f.LastSuccess is { } s && s > t.LastCarried) t.LastCarried = s;
            }
            t.Slipped += f.RecentFailureReasons.Count(r => r.StartsWith(AnomalyKinds.ObjectDropped, StringComparison.Ordinal));
            byTuning[f.Tuning] = t;
        }
        if (byTuning.Count == 0) return new(SkillTuning.Default, $"nothing remembered about {obj}");

        var best = byTuning.Where(kv => kv.Value.Carried > 0)
            .OrderByDescending(kv => kv.Value.Carried / (double)(kv.Value.Carried + kv.Value.Slipped))
            .ThenByDescending(kv => kv.Value.LastCarried)
            .Select(kv => (Tuning: kv.Key, kv.Value.Carried, kv.Value.Slipped))
            .FirstOrDefault();
        if (best.Tuning is not null && SkillTuning.TryParse(best.Tuning, out var proven, out _))
        {
            // A proven grip is kept unless it slips more often than it carries.
            if (best.Slipped <= best.Carried)
                return new(proven, $"{(proven.IsDefault ? "the default grip" : proven.ToString())} carried {obj} {best.Carried} time(s) before");
        }
        if (byTuning.TryGetValue("", out var plain) && plain.Slipped > 0)
        {
            var firm = byTuning.GetValueOrDefault(Firm.ToString());
            if (firm.Slipped < plain.Slipped || firm.Carried > 0)
                return new(Firm, $"{obj} slipped out of the default grip {plain.Slipped} time(s) before");
        }
        return new(SkillTuning.Default, $"no grip has worked better for {obj}");
    }
}
