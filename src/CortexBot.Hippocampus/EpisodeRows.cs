using CortexBot.Core.Ports;
using System.Collections.Immutable;
using System.Data.Common;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using CortexBot.Core.Messages;
using CortexBot.Hippocampus.Recall;

namespace CortexBot.Hippocampus;

/// <summary>
/// The one row mapper of both stores (SQLite and PostgreSQL, CortexBot.Hippocampus.Postgres): the columns they share and
/// how a row of episodes, steps or index entries becomes a record. Over <see cref="DbDataReader"/>, so the types each
/// database keeps them in (task id TEXT or UUID, success INTEGER or BOOLEAN, a NaN stored as NULL) read alike.
/// </summary>
public static class EpisodeRows
{
    /// <summary>An episode's columns in the order <see cref="ReadEpisode"/> takes them.</summary>
    public const string Columns =
        "id, task_id, instruction, seed, started_at, duration_s, success, failure_reason, planner, plan_json, " +
        "anomalies_json, plan_latency_ms, controller_version, scene_start_json, scene_end_json, anomaly_events_json, policy_name, policy_id, " +
        "perturbations_json, goal_json, interrupted";

    /// <summary>A step's columns in the order <see cref="ReadStep"/> takes them.</summary>
    public const string StepColumns = "idx, skill, outcome, detail, started_at_s, duration_s, parameters";

    /// <summary>What the recall index loads per episode: episodes <c>e</c> left-joined with their embeddings <c>m</c>.</summary>
    public const string IndexColumns = "e.id, e.instruction, e.success, e.started_unix_ms, e.objects, m.model, m.dim, m.vector";

    /// <summary>How many episodes one page of a walk over a whole memory (export, fact rebuild, backfill) reads.</summary>
    public const int PageSize = 1000;

    /// <summary>
    /// Every episode in id order, a page at a time, so a whole memory is walked without being held: <paramref name="readPage"/>
    /// reads up to <see cref="PageSize"/> episodes (<see cref="Columns"/>) whose ids are above the one it is given.
    /// </summary>
    public static IEnumerable<List<EpisodeRecord>> Pages(Func<long, List<EpisodeRecord>> readPage)
    {
        long after = 0;
        while (true)
        {
            var page = readPage(after);
            if (page.Count == 0)
                yield break;
            yield return page;
            if (page.Count < PageSize)
                yield break;
            after = page[^1].Id;
        }
    }

    /// <summary>
    /// The conditions a <see cref="RecallFilter"/> puts on the episode columns (all must hold). <paramref name="bind"/>
    /// binds a value and returns its placeholder; <paramref name="position"/> is the database's substring search taking
    /// (text, part) and answering 0 when absent: <c>instr</c> in SQLite, <c>strpos</c> in PostgreSQL.
    /// </summary>
    public static List<string> FilterConditions(RecallFilter filter, Func<object, string> bind, string position)
    {
        var where = new List<string>();
        if (!string.IsNullOrEmpty(filter.Task))
            where.Add($"{position}(lower(instruction), lower({bind(filter.Task)})) > 0");
        if (!string.IsNullOrWhiteSpace(filter.Object))
            where.Add($"{position}(objects, {bind(" " + filter.Object.Trim().ToLowerInvariant() + " ")}) > 0");
        if (filter.Success is { } success)
            where.Add($"success = {bind(success)}");
        if (filter.Since is { } since)
            where.Add($"started_unix_ms >= {bind(since.ToUnixTimeMilliseconds())}");
        if (filter.Until is { } until)
            where.Add($"started_unix_ms < {bind(until.ToUnixTimeMilliseconds())}");
        return where;
    }

    /// <summary>The episode at the reader's position, selected as <see cref="Columns"/>; without steps and trace.</summary>
    public static EpisodeRecord ReadEpisode(DbDataReader r) => new(
        TaskId: r.GetFieldType(1) == typeof(Guid) ? r.GetGuid(1) : Guid.Parse(r.GetString(1)),
        Instruction: r.GetString(2),
        Seed: r.GetInt32(3),
        StartedAt: DateTimeOffset.ParseExact(r.GetString(4), "O", CultureInfo.InvariantCulture),
        DurationS: Real(r, 5),
        Success: Flag(r, 6),
        FailureReason: Text(r, 7),
        Planner: r.GetString(8),
        Plan: ParseList(r.GetString(9)),
        Steps: [],
        Anomalies: ParseList(r.GetString(10)),
        PlanLatencyMs: Real(r, 11),
        ControllerVersion: r.GetString(12))
    {
        Id = r.GetInt64(0),
        SceneAtStart = EpisodeDetails.ParseScene(Text(r, 13)),
        SceneAtEnd = EpisodeDetails.ParseScene(Text(r, 14)),
        AnomalyEvents = EpisodeDetails.ParseAnomalies(Text(r, 15)),
        Policy = EpisodeDetails.Policy(Text(r, 16), Text(r, 17)),
        Perturbations = EpisodeDetails.ParsePerturbations(Text(r, 18)),
        Goal = EpisodeDetails.ParseGoal(Text(r, 19)).Goal,
        Unmet = EpisodeDetails.ParseGoal(Text(r, 19)).Unmet,
        Interrupted = Flag(r, 20),
    };

    /// <summary>Every remaining row of <paramref name="r"/> as an episode (see <see cref="ReadEpisode"/>).</summary>
    public static List<EpisodeRecord> ReadEpisodes(DbDataReader r)
    {
        var rows = new List<EpisodeRecord>();
        while (r.Read())
            rows.Add(ReadEpisode(r));
        return rows;
    }

    /// <summary>The step at the reader's position, selected as <see cref="StepColumns"/> from column <paramref name="first"/> on.</summary>
    /// <exception cref="EpisodeStoreException">The stored outcome is not one this code knows.</exception>
    public static StepRecord ReadStep(DbDataReader r, int first, long episodeId, string location)
    {
        var outcomeText = r.GetString(first + 2);
        if (!Enum.TryParse<SkillOutcome>(outcomeText, ignoreCase: false, out var outcome))
            throw new EpisodeStoreException($"Episode {episodeId} in {location} has a step with unknown outcome '{outcomeText}'.");
        return new StepRecord(r.GetInt32(first), r.GetString(first + 1), outcome, Text(r, first + 3), Real(r, first + 4), Real(r, first + 5),
            Text(r, first + 6));
    }

    /// <summary>
    /// Loads the index entries <paramref name="r"/> selects (<see cref="IndexColumns"/>) into <paramref name="index"/>.
    /// Only vectors of <paramref name="embedder"/>'s space go in; an episode stored without one, or with another model's,
    /// goes to <paramref name="stale"/> to be embedded again.
    /// </summary>
    public static void LoadIndex(DbDataReader r, IEpisodeEmbedder embedder, EpisodeVectorIndex index, List<EpisodeMeta> stale)
    {
        while (r.Read())
        {
            var meta = new EpisodeMeta(r.GetInt64(0), r.GetString(1), Flag(r, 2), r.GetInt64(3),
                r.GetString(4).Split(' ', StringSplitOptions.RemoveEmptyEntries));
            if (!r.IsDBNull(5) && r.GetString(5) == embedder.Model && r.GetInt32(6) == embedder.Dimension)
                index.Add(meta, MemoryMarshal.Cast<byte, float>(((byte[])r.GetValue(7)).AsSpan()));
            else
                stale.Add(meta);
        }
    }

    /// <summary>The rows of a most-frequent-tasks query: instruction, episodes, successes.</summary>
    public static List<TaskStat> ReadTaskStats(DbDataReader r)
    {
        var top = new List<TaskStat>();
        while (r.Read())
            top.Add(new TaskStat(r.GetString(0), r.GetInt64(1), r.GetInt64(2)));
        return top;
    }

    /// <summary>A plan or anomaly list as its JSON column.</summary>
    public static string ListJson(ImmutableArray<string> items) => JsonSerializer.Serialize(items.IsDefault ? [] : items.ToArray());

    public static ImmutableArray<string> ParseList(string json) => [.. JsonSerializer.Deserialize<string[]>(json) ?? []];

    private static string? Text(DbDataReader r, int ordinal) => r.IsDBNull(ordinal) ? null : r.GetString(ordinal);

    /// <summary>SQLite stores NaN as NULL; NULL reads back as NaN so odd values still round-trip.</summary>
    private static double Real(DbDataReader r, int ordinal) => r.IsDBNull(ordinal) ? double.NaN : r.GetDouble(ordinal);

    /// <summary>A BOOLEAN (PostgreSQL) or a 0/1 INTEGER (SQLite).</summary>
    private static bool Flag(DbDataReader r, int ordinal) => r.GetFieldType(ordinal) == typeof(bool) ? r.GetBoolean(ordinal) : r.GetInt64(ordinal) != 0;
}
