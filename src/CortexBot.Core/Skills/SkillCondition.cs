using System.Collections.Immutable;
using System.Text.RegularExpressions;

namespace CortexBot.Core.Skills;

/// <summary>The facts a skill's preconditions and effects speak about (see agents/skills.json).</summary>
public enum Predicate
{
    /// <summary>The gripper holds nothing.</summary>
    HandEmpty,
    /// <summary>The gripper holds the argument.</summary>
    Holding,
    /// <summary>Nothing rests on the argument (a precondition only).</summary>
    Clear,
    /// <summary>The argument is not a container (a precondition only).</summary>
    Graspable,
    /// <summary>in(object, container).</summary>
    In,
    /// <summary>on(object, base).</summary>
    On,
}

/// <summary>
/// One precondition or effect of a skill, over the skill's argument names: <c>holding(object)</c>, <c>not on(object, *)</c>.
/// <see cref="Any"/> (<c>*</c>) stands for any object, only in negated effects ("picking X ends every on(X, _)").
/// </summary>
public sealed partial record SkillCondition(Predicate Predicate, bool Negated, ImmutableArray<string> Args)
{
    public const string Any = "*";

    private static readonly Dictionary<string, (Predicate Predicate, int Arity)> Names = new(StringComparer.Ordinal)
    {
        ["hand_empty"] = (Predicate.HandEmpty, 0),
        ["holding"] = (Predicate.Holding, 1),
        ["clear"] = (Predicate.Clear, 1),
        ["graspable"] = (Predicate.Graspable, 1),
        ["in"] = (Predicate.In, 2),
        ["on"] = (Predicate.On, 2),
    };

    public static string Vocabulary => "hand_empty, holding(a), clear(a), graspable(a), in(a, b), on(a, b), each optionally preceded by 'not'";

    [GeneratedRegex(@"^\s*(not\s+)?([a-z_]+)\s*(?:\(\s*([^()]*?)\s*\))?\s*$")]
    private static partial Regex Syntax();

    /// <summary>Parses one condition; null with <paramref name="error"/> when it is not one this code understands.</summary>
    /// <param name="argNames">The skill's argument names, which the condition may use.</param>
    /// <param name="effect">Effects may not state clear/graspable (they are derived), and only negated effects may use <c>*</c>.</param>
    public static SkillCondition? Parse(string? text, IReadOnlyCollection<string> argNames, bool effect, out string? error)
    {
        var m = Syntax().Match(text ?? "");
        if (!m.Success || !Names.TryGetValue(m.Groups[2].Value, out var name))
        {
            error = $"'{text}' is not a condition; known: {Vocabulary}";
            return null;
        }
        bool negated = m.Groups[1].Success;
        var args = m.Groups[3].Success && m.Groups[3].Value.Length > 0
            ? m.Groups[3].Value.Split(',').Select(a => a.Trim()).ToImmutableArray()
            : [];
        if (args.Length != name.Arity)
        {
            error = $"'{text}': {m.Groups[2].Value} takes {name.Arity} argument(s), got {args.Length}";
            return null;
        }
        foreach (var a in args)
        {
            if (a == Any)
            {
                if (!(effect && negated && name.Predicate is Predicate.In or Predicate.On))
                {
                    error = $"'{text}': '*' is only allowed in an effect that ends relations (not in / not on)";
                    return null;
                }
                continue;
            }
            if (!argNames.Contains(a))
            {
                error = $"'{text}' names '{a}', which is not an argument of the skill (arguments: {(argNames.Count == 0 ? "none" : string.Join(", ", argNames))})";
                return null;
            }
        }
        if (effect && name.Predicate is Predicate.Clear or Predicate.Graspable)
        {
            error = $"'{text}': {m.Groups[2].Value} can only be required, it is not an effect";
            return null;
        }
        if (effect && negated && name.Predicate is Predicate.HandEmpty or Predicate.Holding)
        {
            error = $"'{text}': say what the hand holds after the skill (hand_empty or holding(a)), not what it does not";
            return null;
        }
        if (name.Predicate is Predicate.In or Predicate.On && args[0] == Any && args[1] == Any)
        {
            error = $"'{text}': at least one argument must name the skill's argument";
            return null;
        }
        error = null;
        return new SkillCondition(name.Predicate, negated, args);
    }

    public override string ToString()
    {
        var name = Names.First(n => n.Value.Predicate == Predicate).Key;
        var text = Args.Length == 0 ? name : $"{name}({string.Join(", ", Args)})";
        return Negated ? "not " + text : text;
    }

    public bool Equals(SkillCondition? other) =>
        other is not null && Predicate == other.Predicate && Negated == other.Negated && Args.AsSpan().SequenceEqual(other.Args.AsSpan());

    public override int GetHashCode() => HashCode.Combine(Predicate, Negated, Args.Length);
}
