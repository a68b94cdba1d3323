using System.Collections.Immutable;
using System.Text.RegularExpressions;
using CortexBot.Core.Messages;

namespace CortexBot.Core.Goals;

/// <summary>
/// A fact about the world that a task asks for, judged from the scene as perceived (the simulator's physics or a
/// perception node), never from what the skills reported. Written as <c>in(red_cube, bin)</c>, <c>on(red_cube, blue_cube)</c>,
/// <c>lifted(red_cube)</c>: the same text in run reports, memory and planner prompts.
/// </summary>
public abstract partial record Relation
{
    /// <summary>The object's centre lies within the container's inner volume.</summary>
    public sealed record In(string Object, string Container) : Relation
    {
        public override string ToString() => $"in({Object}, {Container})";
    }

    /// <summary>The object rests on top of <see cref="Base"/>: its footprint centre over the base's top face, its bottom on that face.</summary>
    public sealed record On(string Object, string Base) : Relation
    {
        public override string ToString() => $"on({Object}, {Base})";
    }

    /// <summary>The object was raised clear of where it started (what "pick up X" asks for).</summary>
    public sealed record Lifted(string Object) : Relation
    {
        public override string ToString() => $"lifted({Object})";
    }

    /// <summary>How far (m) an object's bottom may sit from its base's top and still be "on" it: contact, settling, perception noise.</summary>
    public const double OnContactTolerance = 0.012;

    /// <summary>How far (m) an object must rise above where it started to count as lifted.</summary>
    public const double LiftHeight = 0.05;

    /// <summary>The objects this relation names, in order.</summary>
    public ImmutableArray<string> Objects => this switch
    {
        In r => [r.Object, r.Container],
        On r => [r.Object, r.Base],
        Lifted r => [r.Object],
        _ => [],
    };

    /// <summary>Null when the relation holds in <paramref name="after"/>; else why not, naming the object.</summary>
    /// <param name="before">The scene when the task started (for <see cref="Lifted"/>).</param>
    public string? Check(SceneSnapshot before, SceneSnapshot after)
    {
        ArgumentNullException.ThrowIfNull(after);
        foreach (var name in Objects)
        {
            if (after.Find(name) is null) return $"{name} is not in the scene at the end (not perceived)";
        }
        switch (this)
        {
            case In r:
                return after.IsInside(r.Object, r.Container) ? null : $"{r.Object} is not inside {r.Container}";
            case On r:
                return IsOn(after.Find(r.Object)!, after.Find(r.Base)!) ? null : $"{r.Object} is not on {r.Base}";
            case Lifted r:
                return before.Find(r.Object) is { } b && after.Find(r.Object) is { } a && a.Pose.Position.Z > b.Pose.Position.Z + LiftHeight
                    ? null : $"{r.Object} is not lifted";
            default:
                return $"unknown relation {this}";
        }
    }

    /// <summary>Top on bottom: the top's centre within the base's footprint, and its bottom face on the base's top face.</summary>
    public static bool IsOn(SceneObject top, SceneObject bottom)
    {
        var t = top.Pose.Position;
        var b = bottom.Pose.Position;
        if (!t.IsFinite || !b.IsFinite) return false;
        var local = bottom.Pose.Orientation.Conjugate().Rotate(t - b);
        if (Math.Abs(local.X) > bottom.HalfSize.X || Math.Abs(local.Y) > bottom.HalfSize.Y) return false;
        var gap = (t.Z - top.HalfSize.Z) - (b.Z + bottom.HalfSize.Z);
        return Math.Abs(gap) <= OnContactTolerance;
    }

    [GeneratedRegex(@"^\s*(in|on|lifted)\s*\(\s*([A-Za-z0-9_]+)\s*(?:,\s*([A-Za-z0-9_]+)\s*)?\)\s*$")]
    private static partial Regex Syntax();

    /// <summary>Reads the text <see cref="ToString"/> writes; null when it is not a relation.</summary>
    public static Relation? Parse(string text)
    {
        var m = Syntax().Match(text ?? "");
        if (!m.Success) return null;
        var a = m.Groups[2].Value;
        var b = m.Groups[3].Success ? m.Groups[3].Value : null;
        return (m.Groups[1].Value, b) switch
        {
            ("in", not null) => new In(a, b),
            ("on", not null) => new On(a, b),
            ("lifted", null) => new Lifted(a),
            _ => null,
        };
    }
}

/// <summary>
/// What must hold when a task is done: every relation, judged from the final scene. A plan with several placements is
/// judged on all of them, so an earlier object knocked out of the bin fails the task even when the last one landed.
/// </summary>
public sealed record TaskGoal(ImmutableArray<Relation> Relations)
{
    /// <summary>The relations that do not hold at the end, each with its reason; empty when the goal is met.</summary>
    public ImmutableArray<(Relation Relation, string Reason)> Unmet(SceneSnapshot before, SceneSnapshot after)
    {
        var unmet = ImmutableArray.CreateBuilder<(Relation, string)>();
        foreach (var r in Relations)
        {
            if (r.Check(before, after) is { } reason) unmet.Add((r, reason));
        }
        return unmet.ToImmutable();
    }

    /// <summary>Null when met; else the unmet relations' reasons in one line.</summary>
    public string? Check(SceneSnapshot before, SceneSnapshot after)
    {
        var unmet = Unmet(before, after);
        return unmet.IsEmpty ? null : string.Join("; ", unmet.Select(u => u.Reason));
    }

    /// <summary>The relations as text, e.g. <c>["in(red_cube, bin)"]</c>.</summary>
    public ImmutableArray<string> Describe() => [.. Relations.Select(r => r.ToString())];

    public override string ToString() => string.Join(" ∧ ", Relations);

    public bool Equals(TaskGoal? other) => other is not null && Relations.SequenceEqual(other.Relations);
    public override int GetHashCode() => Relations.Length == 0 ? 0 : HashCode.Combine(Relations.Length, Relations[0]);
}
