using System.Collections.Immutable;
using CortexBot.Core.Messages;

namespace CortexBot.Core.Safety;

/// <summary>
/// The fast screen while a plan executes (HD-Guard's screen runs continuously, not only before the plan): compares the
/// scene as perceived now with the scene the plan was screened on. An object that was not there then and now lies in a
/// keep-out zone, or an object the policy has no properties for that came near the plan's targets, is a new flag: the arm
/// slows to <see cref="SlowToolSpeed"/> and waits for the slow reviewer (<see cref="SafetyReviewFlow"/>). No model, no I/O.
/// </summary>
public static class MidPlanScreen
{
    /// <summary>How close (m, centre to box surface) an unknown object must come to a plan target to be flagged.</summary>
    public const double NearTarget = 0.10;

    /// <summary>The flags <paramref name="now"/> raises that <paramref name="screened"/> did not, for the steps left in <paramref name="rest"/>.</summary>
    public static ImmutableArray<string> NewFlags(SafetyPolicy policy, SceneSnapshot screened, SceneSnapshot now, Plan rest)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(screened);
        ArgumentNullException.ThrowIfNull(now);
        ArgumentNullException.ThrowIfNull(rest);
        var flags = new List<string>();
        var targets = rest.Steps.SelectMany(s => s.Args.IsDefault ? [] : s.Args).Select(now.Find).OfType<SceneObject>().ToList();
        foreach (var o in now.Objects)
        {
            bool isNew = screened.Find(o.Name) is null;
            if (isNew)
                foreach (var z in policy.KeepOutZones)
                    if (z.Overlaps(o.Pose.Position, o.HalfSize))
                        flags.Add($"keep_out_zones.{z.Name}: {o.Name} (kind {o.Kind}) appeared in the zone while the plan ran");
            if (policy.PropertiesOf(o).Known || targets.Any(t => t.Name == o.Name)) continue;
            // an unknown object newly near a target: new in the scene, or moved there since the plan was screened
            var near = targets.FirstOrDefault(t => Near(o, t));
            if (near is not null && (isNew || !Near(screened.Find(o.Name)!, screened.Find(near.Name) ?? near)))
                flags.Add($"objects: no properties for {o.Name} (kind {o.Kind}), which came near {near.Name} while the plan ran");
        }
        return [.. flags.Distinct()];
    }

    private static bool Near(SceneObject o, SceneObject target)
    {
        var d = o.Pose.Position - target.Pose.Position;
        double gx = Math.Max(0, Math.Abs(d.X) - target.HalfSize.X - o.HalfSize.X);
        double gy = Math.Max(0, Math.Abs(d.Y) - target.HalfSize.Y - o.HalfSize.Y);
        double gz = Math.Max(0, Math.Abs(d.Z) - target.HalfSize.Z - o.HalfSize.Z);
        return Math.Sqrt(gx * gx + gy * gy + gz * gz) <= NearTarget;
    }

    /// <summary>The tool speed (m/s) the arm keeps while a new flag is reviewed: the policy's lowest speed-zone limit or fragile speed.</summary>
    public static double SlowToolSpeed(SafetyPolicy policy) =>
        policy.SpeedZones.Select(z => z.MaxToolSpeed).Append(policy.FragileToolSpeed).Min();

    /// <summary>The verdict with no reviewer: "needs review" for each flag (refused unless unreviewed plans are allowed).</summary>
    public static SafetyVerdict Unreviewed(ImmutableArray<string> flags, bool allowUnreviewed) => allowUnreviewed
        ? new SafetyVerdict(SafetyDecision.Allow, [], null, flags)
        : new SafetyVerdict(SafetyDecision.Refuse, [.. flags.Select(f => $"needs review: {f}")], null, flags) { NeedsReview = true };

    /// <summary>The tool speed cap a verdict leaves on the rest of the plan: the slow speed for modify (or the review's lower one), none otherwise.</summary>
    public static double? CapAfter(SafetyVerdict verdict, double slow) => verdict.Decision == SafetyDecision.Modify
        ? Math.Min(slow, verdict.SpeedCapFor(0) ?? double.PositiveInfinity) : null;
}
