using System.Collections.Immutable;
using System.Data.Common;
using System.Globalization;
using System.Text.Json;
using CortexBot.Core.Safety;

namespace CortexBot.Hippocampus;

/// <summary>
/// How both stores keep remembered safety reviews (SQLite schema 9, PostgreSQL 8): one row per case key (a later review of
/// the same case replaces it), the flags as a JSON array, the task that asked as text.
/// </summary>
public static class SafetyFactRow
{
    public const string Columns = "case_key, policy_version, flags_json, case_text, verdict, reason, max_tool_speed, reviewer, review_ms, task_id, decided_unix_ms";

    /// <summary>The values in <see cref="Columns"/> order.</summary>
    public static object[] Values(SafetyFact f) =>
    [
        f.CaseKey, f.PolicyVersion, JsonSerializer.Serialize(f.Flags.IsDefault ? [] : f.Flags.ToArray()), f.Case, f.Verdict.Verdict, f.Verdict.Reason,
        f.Verdict.MaxToolSpeed is { } s ? s : DBNull.Value, f.Reviewer, f.ReviewMs, f.TaskId.ToString("D"), f.DecidedAt.ToUnixTimeMilliseconds(),
    ];

    /// <summary>Refuses a fact a store must not keep (a reviewer's answer is outside input to the store).</summary>
    public static void Check(SafetyFact f)
    {
        ArgumentNullException.ThrowIfNull(f);
        if (string.IsNullOrWhiteSpace(f.CaseKey) || string.IsNullOrWhiteSpace(f.PolicyVersion)) throw new ArgumentException("a safety fact needs its case key and policy version");
        if (f.Verdict is null || !Enum.IsDefined(f.Verdict.Decision)) throw new ArgumentException("a safety fact needs a verdict");
        if (f.Verdict.MaxToolSpeed is { } s && !(double.IsFinite(s) && s > 0)) throw new ArgumentException($"a safety fact's tool speed must be above 0, not {s}");
        if (!double.IsFinite(f.ReviewMs) || f.ReviewMs < 0) throw new ArgumentException($"a safety fact's review time must be 0 or more, not {f.ReviewMs}");
    }

    public static List<SafetyFact> Read(DbDataReader r)
    {
        var list = new List<SafetyFact>();
        while (r.Read())
        {
            var flags = JsonSerializer.Deserialize<string[]>(r.GetString(2)) ?? throw new JsonException("the stored flags are null");
            var decision = r.GetString(4) switch
            {
                "allow" => SafetyDecision.Allow, "modify" => SafetyDecision.Modify, "refuse" => SafetyDecision.Refuse,
                var v => throw new FormatException($"stored verdict '{v}' is not allow, modify or refuse"),
            };
            list.Add(new SafetyFact(r.GetString(0), r.GetString(1), [.. flags], r.GetString(3),
                new ReviewVerdict(decision, r.GetString(5), r.IsDBNull(6) ? null : r.GetDouble(6)), r.GetString(7), r.GetDouble(8),
                Guid.Parse(r.GetString(9)), DateTimeOffset.FromUnixTimeMilliseconds(r.GetInt64(10))));
        }
        return list;
    }
}
