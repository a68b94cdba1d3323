namespace CortexBot.Core.Messages;

/// <summary>
/// Adjustments to an analytic skill's defaults for one object, learned from experience (what worked before, recalled
/// by the hippocampus). The text form (<c>firm_grip</c>; empty for the defaults) is what episodes store and facts are
/// keyed by, so it must stay stable.
/// </summary>
/// <param name="FirmGrip">Grasp with the gripper's full squeeze instead of the moderate default, for heavy or slippery
/// objects: more friction to hold them, at the price of more force on the object.</param>
public sealed record SkillTuning(bool FirmGrip = false)
{
    public static SkillTuning Default { get; } = new();

    public bool IsDefault => !FirmGrip;

    public override string ToString() => FirmGrip ? "firm_grip" : "";

    /// <summary>Parses the text form (keys separated by ; or ,); empty or null is the defaults. Unknown keys are errors.</summary>
    public static bool TryParse(string? text, out SkillTuning tuning, out string? error)
    {
        tuning = Default;
        error = null;
        if (string.IsNullOrWhiteSpace(text)) return true;
        bool firm = false;
        foreach (var part in text.Split([',', ';'], StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=');
            string key = eq < 0 ? part : part[..eq].Trim();
            string? value = eq < 0 ? null : part[(eq + 1)..].Trim();
            switch (key, value)
            {
                case ("firm_grip", null or "1" or "true"):
                    firm = true;
                    break;
                case ("firm_grip", "0" or "false"):
                    firm = false;
                    break;
                case ("firm_grip", _):
                    error = $"firm_grip takes no value (or true/false), not '{value}'";
                    return false;
                default:
                    error = $"unknown skill tuning '{key}' (known: firm_grip)";
                    return false;
            }
        }
        tuning = new SkillTuning(firm);
        return true;
    }

    public static SkillTuning Parse(string? text) =>
        TryParse(text, out var t, out var error) ? t : throw new FormatException(error);
}
