using System.Globalization;
using System.Text.Json;
using CortexBot.Core.Safety;

namespace CortexBot.Cortex.Llama;

/// <summary>
/// The GBNF grammar a safety reviewer's answer follows, and its parser: one verdict object
/// <c>{"verdict": "allow", "reason": "...", "modification": null}</c>, <c>{"verdict": "refuse", ...}</c>, or
/// <c>{"verdict": "modify", "reason": "...", "modification": {"max_tool_speed": 0.05}}</c>. Every rule is bounded (a reason
/// of at most <see cref="MaxReasonChars"/> plain characters, a speed of 0.001 to 0.999 m/s), so a model following it always
/// ends well within its token budget, and a modify always carries the speed it means.
/// </summary>
public static class VerdictGrammar
{
    public const string Root = "root";
    public const int MaxReasonChars = 120;

    public static readonly string Gbnf = string.Create(CultureInfo.InvariantCulture, $$"""
        root ::= "{" ws "\"verdict\"" ws ":" ws ( "\"allow\"" plain | "\"refuse\"" plain | "\"modify\"" modified ) ws "}"
        plain ::= ws "," ws "\"reason\"" ws ":" ws reason ws "," ws "\"modification\"" ws ":" ws "null"
        modified ::= ws "," ws "\"reason\"" ws ":" ws reason ws "," ws "\"modification\"" ws ":" ws "{" ws "\"max_tool_speed\"" ws ":" ws speed ws "}"
        reason ::= "\"" rchar{1,{{MaxReasonChars}}} "\""
        rchar ::= [a-zA-Z0-9 ,.;:()_'/-]
        speed ::= "0." ( [1-9] [0-9]? [0-9]? | "0" [1-9] [0-9]? | "00" [1-9] )
        ws ::= " "?
        """);

    /// <summary>The verdict, or null with a one-line <paramref name="error"/>.</summary>
    public static ReviewVerdict? TryParse(string text, out string? error)
    {
        if (string.IsNullOrWhiteSpace(text)) { error = "the answer was empty"; return null; }
        try
        {
            using var doc = JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 4 });
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) { error = "the answer is not a JSON object"; return null; }
            if (!root.TryGetProperty("verdict", out var v) || v.ValueKind != JsonValueKind.String) { error = "no \"verdict\" string"; return null; }
            SafetyDecision? decision = v.GetString() switch { "allow" => SafetyDecision.Allow, "modify" => SafetyDecision.Modify, "refuse" => SafetyDecision.Refuse, _ => null };
            if (decision is null) { error = $"verdict '{v.GetString()}' is not allow, modify or refuse"; return null; }
            if (!root.TryGetProperty("reason", out var r) || r.ValueKind != JsonValueKind.String) { error = "no \"reason\" string"; return null; }
            double? speed = null;
            if (root.TryGetProperty("modification", out var m) && m.ValueKind == JsonValueKind.Object)
            {
                if (!m.TryGetProperty("max_tool_speed", out var s) || s.ValueKind != JsonValueKind.Number || !s.TryGetDouble(out var d))
                { error = "the modification has no \"max_tool_speed\" number"; return null; }
                speed = d;
            }
            if (decision == SafetyDecision.Modify && speed is null) { error = "modify without a modification"; return null; }
            error = null;
            return new ReviewVerdict(decision.Value, r.GetString()!, decision == SafetyDecision.Modify ? speed : null);
        }
        catch (JsonException e)
        {
            error = $"the answer is not complete JSON ({e.Message.Split('.')[0]})";
            return null;
        }
    }
}
