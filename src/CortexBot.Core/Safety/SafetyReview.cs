using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using CortexBot.Core.Messages;

namespace CortexBot.Core.Safety;

/// <summary>
/// What the slow reasoning brain is asked about: a plan the fast screen flagged (and did not refuse by a rule), with the
/// policy's rules as text, the scene, the instruction and the flags. <see cref="Key"/> is a stable hash of what the verdict
/// depends on (see <see cref="SafetyReviewFlow.KeyOf"/>), under which the hippocampus remembers the answer.
/// </summary>
public sealed record SafetyCase(string Key, string PolicyVersion, string PolicyText, string Instruction, Plan Plan, SceneSnapshot Scene,
    ImmutableArray<string> Flags)
{
    /// <summary>The plan and the facts of the objects it names, one line each (what the key was made of, for people).</summary>
    public string Summary { get; init; } = "";
}

/// <summary>
/// The reasoning model's answer, the verdict object <c>{"verdict": "allow|modify|refuse", "reason": ..., "modification":
/// null | {"max_tool_speed": m/s}}</c>. A modification slows every step of the plan; it is applied through the fast screen,
/// which keeps any lower cap of its own.
/// </summary>
public sealed record ReviewVerdict(SafetyDecision Decision, string Reason, double? MaxToolSpeed = null)
{
    public string Verdict => Decision.ToString().ToLowerInvariant();

    public override string ToString() =>
        MaxToolSpeed is { } s ? string.Create(CultureInfo.InvariantCulture, $"{Verdict} (tool speed <= {s:0.###} m/s): {Reason}") : $"{Verdict}: {Reason}";
}

/// <summary>The slow reasoning brain's port: asked asynchronously, off the control path, only about flagged cases.</summary>
public interface ISafetyReviewer
{
    /// <summary>Names the reviewer in reports and remembered facts (e.g. the model file).</summary>
    string Name { get; }

    Task<ReviewVerdict> ReviewAsync(SafetyCase safetyCase, CancellationToken cancellationToken);
}

/// <summary>
/// A review remembered by the hippocampus: the case's key, the policy version and flags it was about, the verdict, who gave
/// it, how long it took, and the task (episode) that asked. The same case (same key) is answered from this fact, not asked again.
/// </summary>
public sealed record SafetyFact(string CaseKey, string PolicyVersion, ImmutableArray<string> Flags, string Case, ReviewVerdict Verdict,
    string Reviewer, double ReviewMs, Guid TaskId, DateTimeOffset DecidedAt)
{
    public bool Equals(SafetyFact? other) =>
        other is not null && CaseKey == other.CaseKey && PolicyVersion == other.PolicyVersion && Flags.SequenceEqual(other.Flags) && Case == other.Case
        && Verdict == other.Verdict && Reviewer == other.Reviewer && ReviewMs.Equals(other.ReviewMs) && TaskId == other.TaskId && DecidedAt == other.DecidedAt;

    public override int GetHashCode() => HashCode.Combine(CaseKey, TaskId);
}

/// <summary>
/// HD-Guard's two brains joined: the fast <see cref="PlanScreener"/> judges every plan; a plan it flags (and does not refuse
/// by a rule) is a <see cref="SafetyCase"/> for the slow <see cref="ISafetyReviewer"/>, whose answer passes through the
/// fast screen again (<see cref="Resolve"/>): a rule violation stays refused whatever the model says, and a modification can
/// only slow the plan further. Without a reviewer flagged plans stay refused "needs review" (unless unreviewed plans are allowed).
/// Plain code: the cortex runs <see cref="ReviewAsync"/> off its thread, `plan` awaits it.
/// </summary>
public sealed class SafetyReviewFlow(PlanScreener screener, ISafetyReviewer? reviewer = null)
{
    public PlanScreener Screener { get; } = screener ?? throw new ArgumentNullException(nameof(screener));
    public ISafetyReviewer? Reviewer { get; } = reviewer;
    public string PolicyVersion { get; } = screener.Policy.Version();
    private readonly string _policyText = screener.Policy.Describe();

    /// <summary>The fast screen.</summary>
    public SafetyVerdict Screen(Plan plan, SceneSnapshot scene, string instruction) => Screener.Screen(plan, scene, instruction);

    /// <summary>
    /// Whether <paramref name="fast"/> is a case for the slow brain: flagged, not refused by a rule. Without a reviewer no
    /// case is (and the fast verdict stands: "needs review", or allowed with --allow-unreviewed).
    /// </summary>
    public static bool Reviewable(SafetyVerdict fast) => !fast.Flags.IsEmpty && (fast.NeedsReview || !fast.Refused);

    /// <summary>The case the reviewer is asked about, keyed by <see cref="KeyOf"/>.</summary>
    public SafetyCase CaseOf(Plan plan, SceneSnapshot scene, string instruction, SafetyVerdict fast)
    {
        var summary = Summarise(plan, scene, Screener.Policy);
        var flags = fast.Flags.Order(StringComparer.Ordinal).ToImmutableArray();
        return new SafetyCase(KeyOf(PolicyVersion, flags, instruction, summary), PolicyVersion, _policyText, instruction, plan, scene, flags)
            { Summary = summary };
    }

    /// <summary>
    /// The stable hash of a flagged case: the policy version, the flags, the instruction (lower case, single spaces) and the
    /// plan with the facts the rules read about each object it names (kind, colour, properties, zone) - not where exactly
    /// the objects lie, so the same case in another seed's scene is the same question.
    /// </summary>
    public static string KeyOf(string policyVersion, IEnumerable<string> flags, string instruction, string summary)
    {
        var text = new StringBuilder()
            .Append("policy ").Append(policyVersion).Append('\n')
            .Append("instruction ").Append(string.Join(' ', (instruction ?? "").ToLowerInvariant().Split((char[])[' ', '\t', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries))).Append('\n');
        foreach (var f in flags.Order(StringComparer.Ordinal)) text.Append("flag ").Append(f).Append('\n');
        text.Append(summary);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())))[..32];
    }

    private static string Summarise(Plan plan, SceneSnapshot scene, SafetyPolicy policy)
    {
        var sb = new StringBuilder();
        sb.Append("plan ").Append(string.Join(", ", plan.Describe())).Append('\n');
        var named = plan.Steps.SelectMany(s => s.Args.IsDefault ? [] : s.Args).Distinct(StringComparer.OrdinalIgnoreCase).Order(StringComparer.OrdinalIgnoreCase);
        foreach (var name in named)
        {
            if (scene.Find(name) is not { } o) { sb.Append("object ").Append(name).Append(": not in the scene\n"); continue; }
            var p = policy.PropertiesOf(o);
            sb.Append(CultureInfo.InvariantCulture, $"object {o.Name}: kind {o.Kind}, color {o.Color ?? "none"}, ")
              .Append(p.Known ? string.Create(CultureInfo.InvariantCulture, $"fragile {p.Fragile}, mass {(p.MassKg is { } m ? m.ToString("0.###", CultureInfo.InvariantCulture) : "unknown")}, upright {p.Upright}") : "no properties")
              .Append(", zone ").Append(policy.ZoneOf(o) ?? "none").Append('\n');
        }
        return sb.ToString();
    }

    /// <summary>
    /// Asks the reviewer and resolves its answer through the fast screen. A reviewer that fails or is cancelled gives no
    /// verdict: the fast one stands (refused "needs review" unless unreviewed plans are allowed), with the reason.
    /// </summary>
    public async Task<(SafetyVerdict Verdict, SafetyFact? Fact)> ReviewAsync(SafetyCase safetyCase, Guid taskId, CancellationToken cancellationToken)
    {
        var reviewer = Reviewer ?? throw new InvalidOperationException("no safety reviewer is configured");
        long start = System.Diagnostics.Stopwatch.GetTimestamp();
        ReviewVerdict answer;
        try
        {
            answer = await reviewer.ReviewAsync(safetyCase, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            double failedMs = Math.Round(System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds, 3);
            var fast = Screener.Screen(safetyCase.Plan, safetyCase.Scene, safetyCase.Instruction);
            var why = $"the safety reviewer '{reviewer.Name}' failed: {e.GetBaseException().Message}";
            return (fast with
            {
                Reasons = fast.Refused ? [.. fast.Reasons, $"review: {why}"] : fast.Reasons,
                Escalated = true, ReviewMs = failedMs, ReviewFailure = why,
            }, null);
        }
        double ms = Math.Round(System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds, 3);
        var fact = new SafetyFact(safetyCase.Key, safetyCase.PolicyVersion, safetyCase.Flags, safetyCase.Summary, answer, reviewer.Name, ms, taskId, DateTimeOffset.UtcNow);
        return (Resolve(safetyCase, answer) with { Escalated = true, ReviewMs = ms, Review = fact }, fact);
    }

    /// <summary>
    /// The remembered verdict for <paramref name="safetyCase"/> among <paramref name="facts"/> (same key; the latest), resolved
    /// through the fast screen as a fresh one would be; null when the case was never reviewed.
    /// </summary>
    public SafetyVerdict? Recall(SafetyCase safetyCase, IEnumerable<SafetyFact> facts)
    {
        var fact = facts.Where(f => f.CaseKey == safetyCase.Key && f.PolicyVersion == safetyCase.PolicyVersion).MaxBy(f => f.DecidedAt);
        return fact is null ? null : Resolve(safetyCase, fact.Verdict) with { Review = fact, Recalled = true };
    }

    /// <summary>
    /// The reviewer's answer passed through the fast screen again, with the case's flags counted as reviewed: a rule the plan
    /// breaks refuses it whatever the answer (the model can only make a plan safer); a flag the review was not asked about
    /// still needs review; a refusal refuses; a modification's tool speed cap joins the screen's own (the lower wins); an
    /// allow leaves the screen's verdict (with its fragile-handling caps).
    /// </summary>
    public SafetyVerdict Resolve(SafetyCase safetyCase, ReviewVerdict review)
    {
        ArgumentNullException.ThrowIfNull(safetyCase);
        ArgumentNullException.ThrowIfNull(review);
        var again = Screener.Screen(safetyCase.Plan, safetyCase.Scene, safetyCase.Instruction, reviewed: safetyCase.Flags);
        if (again.Refused) return again; // a rule, or a flag the review did not cover
        string said = string.IsNullOrWhiteSpace(review.Reason) ? "(no reason given)" : review.Reason.Trim();
        switch (review.Decision)
        {
            case SafetyDecision.Refuse:
                return new SafetyVerdict(SafetyDecision.Refuse, [$"review: {said}"], null, again.Flags) { ScreenUs = again.ScreenUs };
            case SafetyDecision.Modify:
                if (review.MaxToolSpeed is not { } cap || !double.IsFinite(cap) || cap <= 0)
                    return new SafetyVerdict(SafetyDecision.Refuse, [$"review: modify without a tool speed above 0 m/s ({said})"], null, again.Flags) { ScreenUs = again.ScreenUs };
                var rule = $"review: {said}";
                var caps = (again.Modification?.SpeedCaps ?? []).AddRange(Enumerable.Range(0, safetyCase.Plan.Steps.Length).Select(i => new StepSpeedCap(i, cap, rule)));
                return new SafetyVerdict(SafetyDecision.Modify,
                    [.. again.Reasons, string.Create(CultureInfo.InvariantCulture, $"{rule}: tool speed <= {cap:0.###} m/s")], new SafetyModification(caps), again.Flags)
                    { ScreenUs = again.ScreenUs };
            default:
                return again with { Reasons = [.. again.Reasons, $"review: {said}"] };
        }
    }
}
