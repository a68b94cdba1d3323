using System.Collections.Immutable;
using System.Globalization;

namespace CortexBot.Core.Safety;

public enum SafetyDecision { Allow, Modify, Refuse }

/// <summary>Step <see cref="Step"/> of the plan runs with the tool no faster than <see cref="MaxToolSpeed"/> (m/s), because of <see cref="Rule"/>.</summary>
public sealed record StepSpeedCap(int Step, double MaxToolSpeed, string Rule);

/// <summary>What a <c>modify</c> verdict changes about the plan: per-step tool speed caps the safety gate applies.</summary>
public sealed record SafetyModification(ImmutableArray<StepSpeedCap> SpeedCaps)
{
    public override string ToString() => string.Join("; ", SpeedCaps.Select(c =>
        string.Create(CultureInfo.InvariantCulture, $"step {c.Step + 1}: tool speed <= {c.MaxToolSpeed:0.###} m/s ({c.Rule})")));

    public bool Equals(SafetyModification? other) => other is not null && SpeedCaps.SequenceEqual(other.SpeedCaps);
    public override int GetHashCode() => SpeedCaps.Length;
}

/// <summary>
/// The safety screen's answer about one plan, shaped as the verdict object a reasoning model will be asked for
/// (<c>{"verdict": "allow|modify|refuse", "reason": ..., "modification": ...}</c>): every reason starts with the policy key
/// of the rule it comes from (<c>keep_out_zones.operator_hand: ...</c>). <see cref="Flags"/> are what the fast screen could
/// not judge; a flagged plan without a reviewer is refused "needs review" unless unreviewed plans are allowed.
/// </summary>
public sealed record SafetyVerdict(SafetyDecision Decision, ImmutableArray<string> Reasons, SafetyModification? Modification, ImmutableArray<string> Flags)
{
    /// <summary>True when the slow reasoning brain (an <see cref="ISafetyReviewer"/>) was asked about this plan.</summary>
    public bool Escalated { get; init; }
    /// <summary>Time the slow review took (ms); 0 when not escalated.</summary>
    public double ReviewMs { get; init; }
    /// <summary>Refused only because of flags nobody reviewed ("needs review"); a reviewer may still judge it.</summary>
    public bool NeedsReview { get; init; }
    /// <summary>The review this verdict rests on: asked now (<see cref="Escalated"/>) or remembered (<see cref="Recalled"/>); null when none.</summary>
    public SafetyFact? Review { get; init; }
    /// <summary>The verdict came from a remembered review of the same case, without asking the reviewer again.</summary>
    public bool Recalled { get; init; }
    /// <summary>Why an escalation gave no verdict (the reviewer failed or timed out); null otherwise.</summary>
    public string? ReviewFailure { get; init; }
    /// <summary>Time the fast screen took (microseconds).</summary>
    public double ScreenUs { get; init; }

    /// <summary>allow, modify or refuse.</summary>
    public string Verdict => Decision.ToString().ToLowerInvariant();

    /// <summary>The reasons in one line (empty when allowed without remark).</summary>
    public string Reason => string.Join("; ", Reasons);

    public bool Refused => Decision == SafetyDecision.Refuse;

    /// <summary>The tool speed cap for plan step <paramref name="step"/>, or null.</summary>
    public double? SpeedCapFor(int step)
    {
        double? cap = null;
        if (Modification is { } m)
            foreach (var c in m.SpeedCaps)
                if (c.Step == step) cap = Math.Min(cap ?? double.PositiveInfinity, c.MaxToolSpeed);
        return cap;
    }

    /// <summary>"refuse: keep_out_zones.operator_hand: ..." - the one line a refusal prints.</summary>
    public override string ToString() => Reasons.IsEmpty ? Verdict : $"{Verdict}: {Reason}";

    public bool Equals(SafetyVerdict? other) =>
        other is not null && Decision == other.Decision && Reasons.SequenceEqual(other.Reasons) && Flags.SequenceEqual(other.Flags) && Equals(Modification, other.Modification);
    public override int GetHashCode() => HashCode.Combine(Decision, Reasons.Length, Flags.Length);
}
