using System.Collections.Immutable;
using System.Data.Common;
using System.Text.Json;
using CortexBot.Core.Messages;
using CortexBot.Hippocampus.Recall;

namespace CortexBot.Hippocampus;

/// <summary>One recent failure reason of a semantic fact and when it was last seen.</summary>
public sealed record FactReason(string Reason, long UnixMs);

/// <summary>
/// The stored form of a <see cref="SemanticFact"/> (times in Unix milliseconds) and the consolidation rule every store
/// applies to it, so the SQLite and PostgreSQL stores distil the same facts from the same episodes. Facts are kept per
/// object, skill and tuning (the step's parameters; empty: the defaults).
/// </summary>
public sealed record SemanticFactRow(string Object, string Skill, int Successes, int Failures, int Aborts, long FirstSeen, long LastSeen,
    long? LastSuccess, long? LastFailure, ImmutableArray<FactReason> Reasons, long LastEpisodeId, string Tuning)
{
    /// <summary>How many recent failure reasons a semantic fact keeps.</summary>
    public const int MaxReasons = 3;

    /// <summary>The columns of a fact row in both stores' <c>semantic_facts</c>, in the order <see cref="Read"/> takes them.</summary>
    public const string Columns =
        "object, skill, successes, failures, aborts, first_seen_unix_ms, last_seen_unix_ms, last_success_unix_ms, " +
        "last_failure_unix_ms, failure_reasons_json, last_episode_id, tuning";

    /// <summary>Every remaining row of <paramref name="r"/> (selected as <see cref="Columns"/>) as a fact.</summary>
    public static List<SemanticFact> ReadFacts(DbDataReader r)
    {
        var facts = new List<SemanticFact>();
        while (r.Read())
            facts.Add(Read(r).ToFact());
        return facts;
    }

    /// <summary>The row at the reader's position, selected as <see cref="Columns"/>.</summary>
    public static SemanticFactRow Read(DbDataReader r) => new(
        r.GetString(0), r.GetString(1), r.GetInt32(2), r.GetInt32(3), r.GetInt32(4), r.GetInt64(5), r.GetInt64(6),
        r.IsDBNull(7) ? null : r.GetInt64(7), r.IsDBNull(8) ? null : r.GetInt64(8),
        ParseReasons(r.GetString(9)), r.GetInt64(10), r.GetString(11));

    public SemanticFact ToFact() => new(Object, Skill, Successes, Failures, Aborts,
        DateTimeOffset.FromUnixTimeMilliseconds(FirstSeen), DateTimeOffset.FromUnixTimeMilliseconds(LastSeen),
        LastSuccess is { } s ? DateTimeOffset.FromUnixTimeMilliseconds(s) : null,
        LastFailure is { } f ? DateTimeOffset.FromUnixTimeMilliseconds(f) : null,
        [.. Reasons.Select(x => x.Reason)], LastEpisodeId) { Tuning = Tuning };

    public string ReasonsJson => JsonSerializer.Serialize(Reasons);

    public static ImmutableArray<FactReason> ParseReasons(string json) => [.. JsonSerializer.Deserialize<FactReason[]>(json) ?? []];

    /// <summary>
    /// What one episode contributes to the semantic tier: for every executed step, per object named in its arguments
    /// (or "-" for none), skill and tuning, the outcome and, unless it succeeded, a reason.
    /// </summary>
    public static IEnumerable<(string Object, string Skill, string Tuning, SkillOutcome Outcome, string? Reason)> Contributions(EpisodeRecord episode)
    {
        if (episode.Steps.IsDefaultOrEmpty)
            yield break;
        foreach (var step in episode.Steps)
        {
            if (step is null)
                continue;
            var (skill, args) = PlanText.Parse(step.Skill);
            if (skill.Length == 0)
                continue;
            if (args.Length == 0 && !episode.Plan.IsDefault && step.Index >= 0 && step.Index < episode.Plan.Length)
            {
                var planned = PlanText.Parse(episode.Plan[step.Index]);
                if (planned.Skill == skill)
                    args = planned.Args;
            }
            string? reason = step.Outcome == SkillOutcome.Succeeded
                ? null
                : !string.IsNullOrWhiteSpace(step.Detail) ? step.Detail
                : !string.IsNullOrWhiteSpace(episode.FailureReason) ? episode.FailureReason
                : step.Outcome.ToString().ToLowerInvariant();
            string tuning = step.Parameters ?? "";
            foreach (var obj in args.Length == 0 ? ["-"] : args.Distinct())
                yield return (obj, skill, tuning, step.Outcome, reason);
        }
    }

    /// <summary>
    /// Folds one step outcome seen at <paramref name="t"/> in episode <paramref name="episodeId"/> into
    /// <paramref name="row"/> (null: the first for this object and skill). Order-independent, so folding episodes one by
    /// one gives the same facts as a rebuild.
    /// </summary>
    public static SemanticFactRow Fold(SemanticFactRow? row, string obj, string skill, string tuning, SkillOutcome outcome, long t, string? reason,
        long episodeId)
    {
        row ??= new SemanticFactRow(obj, skill, 0, 0, 0, t, t, null, null, [], episodeId, tuning);
        var reasons = row.Reasons.ToList();
        if (reason is not null)
        {
            reasons.RemoveAll(x => x.Reason == reason && x.UnixMs <= t);
            if (!reasons.Any(x => x.Reason == reason))
                reasons.Add(new FactReason(reason, t));
            reasons = [.. reasons.OrderByDescending(x => x.UnixMs).ThenBy(x => x.Reason, StringComparer.Ordinal).Take(MaxReasons)];
        }
        bool latest = t > row.LastSeen || (t == row.LastSeen && episodeId >= row.LastEpisodeId);
        return row with
        {
            Successes = row.Successes + (outcome == SkillOutcome.Succeeded ? 1 : 0),
            Failures = row.Failures + (outcome == SkillOutcome.Failed ? 1 : 0),
            Aborts = row.Aborts + (outcome == SkillOutcome.Aborted ? 1 : 0),
            FirstSeen = Math.Min(row.FirstSeen, t),
            LastSeen = Math.Max(row.LastSeen, t),
            LastSuccess = outcome == SkillOutcome.Succeeded ? Math.Max(row.LastSuccess ?? long.MinValue, t) : row.LastSuccess,
            LastFailure = outcome != SkillOutcome.Succeeded ? Math.Max(row.LastFailure ?? long.MinValue, t) : row.LastFailure,
            Reasons = [.. reasons],
            LastEpisodeId = latest ? episodeId : row.LastEpisodeId,
        };
    }

    /// <summary>
    /// Folds stored episode <paramref name="episodeId"/> into the tier: each touched row is read once (from
    /// <paramref name="batch"/> when a bulk write collects rows there, else through <paramref name="read"/>), folded, and
    /// kept in the batch or written back through <paramref name="write"/>. Both stores run this inside the episode's transaction.
    /// </summary>
    public static void FoldEpisode(long episodeId, EpisodeRecord episode, Dictionary<(string, string, string), SemanticFactRow>? batch,
        Func<string, string, string, SemanticFactRow?> read, Action<SemanticFactRow> write)
    {
        long t = episode.StartedAt.ToUnixTimeMilliseconds();
        foreach (var (obj, skill, tuning, outcome, reason) in Contributions(episode))
        {
            if (batch is null || !batch.TryGetValue((obj, skill, tuning), out var row))
                row = read(obj, skill, tuning);
            row = Fold(row, obj, skill, tuning, outcome, t, reason, episodeId);
            if (batch is not null)
                batch[(obj, skill, tuning)] = row;
            else
                write(row);
        }
    }

    /// <summary>The plan's objects as " a b ", so one object matches as the substring " a ".</summary>
    public static string ObjectsColumn(ImmutableArray<string> plan)
    {
        var objects = PlanText.Objects(plan.IsDefault ? null : plan);
        return objects.Length == 0 ? "" : " " + string.Join(' ', objects) + " ";
    }
}
