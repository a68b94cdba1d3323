namespace CortexBot.Hippocampus.Recall;

/// <summary>Reads the recorded plan steps, e.g. <c>place(red_cube, bin)</c> → (<c>place</c>, [<c>red_cube</c>, <c>bin</c>]).</summary>
public static class PlanText
{
    public static (string Skill, string[] Args) Parse(string? step)
    {
        if (string.IsNullOrWhiteSpace(step))
            return ("", []);
        var s = step.Trim();
        int open = s.IndexOf('(');
        if (open < 0)
            return (s.ToLowerInvariant(), []);
        var skill = s[..open].Trim().ToLowerInvariant();
        int close = s.LastIndexOf(')');
        var inner = close > open ? s[(open + 1)..close] : s[(open + 1)..];
        var args = inner.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(a => a.ToLowerInvariant())
            .ToArray();
        return (skill, args);
    }

    /// <summary>Distinct objects named as arguments anywhere in the plan, in first-seen order.</summary>
    public static string[] Objects(IEnumerable<string>? plan)
    {
        if (plan is null)
            return [];
        var seen = new List<string>();
        foreach (var step in plan)
            foreach (var a in Parse(step).Args)
                if (!seen.Contains(a))
                    seen.Add(a);
        return [.. seen];
    }
}
