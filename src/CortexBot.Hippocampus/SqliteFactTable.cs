using CortexBot.Core.Messages;
using Microsoft.Data.Sqlite;

namespace CortexBot.Hippocampus;

/// <summary>
/// The semantic tier of a <see cref="SqliteEpisodeStore"/>: the <c>semantic_facts</c> rows, read and written on the
/// store's connection inside the caller's transaction (the store's lock serialises callers). The consolidation rule
/// itself is <see cref="SemanticFactRow"/>'s, shared with the PostgreSQL store.
/// </summary>
internal sealed class SqliteFactTable(SqliteConnection connection)
{
    /// <summary>While a bulk write (import, rebuild, migration) runs: the rows it touched, written once at the end.</summary>
    private Dictionary<(string Object, string Skill, string Tuning), SemanticFactRow>? _batch;

    /// <summary>The facts, all or those about one object, by object, skill and tuning.</summary>
    public List<SemanticFact> Read(string? objectName)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT {SemanticFactRow.Columns} FROM semantic_facts" +
            (string.IsNullOrWhiteSpace(objectName) ? "" : " WHERE object = $object") + " ORDER BY object, skill, tuning";
        if (!string.IsNullOrWhiteSpace(objectName))
            cmd.Parameters.AddWithValue("$object", objectName.Trim().ToLowerInvariant());
        using var r = cmd.ExecuteReader();
        return SemanticFactRow.ReadFacts(r);
    }

    /// <summary>Folds one stored episode into the tier (into the batch while one runs).</summary>
    public void Fold(long id, EpisodeRecord episode, SqliteTransaction tx) =>
        SemanticFactRow.FoldEpisode(id, episode, _batch, (o, s, t) => ReadRow(o, s, t, tx), row => Write(row, tx));

    public void BeginBatch() => _batch = [];

    /// <summary>Ends the batch, writing its rows when <paramref name="write"/> (the bulk write went through).</summary>
    public void EndBatch(SqliteTransaction tx, bool write)
    {
        var batch = _batch;
        _batch = null;
        if (write && batch is not null)
            foreach (var row in batch.Values)
                Write(row, tx);
    }

    /// <summary>Recomputes the whole tier from <paramref name="episodes"/> (after a prune, and when migrating).</summary>
    public void Rebuild(IEnumerable<EpisodeRecord> episodes, SqliteTransaction tx)
    {
        using (var clear = connection.CreateCommand())
        {
            clear.Transaction = tx;
            clear.CommandText = "DELETE FROM semantic_facts";
            clear.ExecuteNonQuery();
        }
        BeginBatch();
        bool ok = false;
        try
        {
            foreach (var e in episodes)
                Fold(e.Id, e, tx);
            ok = true;
        }
        finally
        {
            EndBatch(tx, write: ok);
        }
    }

    private SemanticFactRow? ReadRow(string obj, string skill, string tuning, SqliteTransaction tx)
    {
        using var read = connection.CreateCommand();
        read.Transaction = tx;
        read.CommandText = $"SELECT {SemanticFactRow.Columns} FROM semantic_facts WHERE object = $o AND skill = $s AND tuning = $t";
        read.Parameters.AddWithValue("$o", obj);
        read.Parameters.AddWithValue("$s", skill);
        read.Parameters.AddWithValue("$t", tuning);
        using var r = read.ExecuteReader();
        return r.Read() ? SemanticFactRow.Read(r) : null;
    }

    private void Write(SemanticFactRow row, SqliteTransaction tx)
    {
        using var write = connection.CreateCommand();
        write.Transaction = tx;
        write.CommandText =
            "INSERT OR REPLACE INTO semantic_facts (object, skill, successes, failures, aborts, first_seen_unix_ms, last_seen_unix_ms, " +
            "last_success_unix_ms, last_failure_unix_ms, failure_reasons_json, last_episode_id, tuning) VALUES " +
            "($o, $s, $ok, $fail, $abort, $first, $last, $lastOk, $lastFail, $reasons, $episode, $tuning)";
        write.Parameters.AddWithValue("$o", row.Object);
        write.Parameters.AddWithValue("$s", row.Skill);
        write.Parameters.AddWithValue("$ok", row.Successes);
        write.Parameters.AddWithValue("$fail", row.Failures);
        write.Parameters.AddWithValue("$abort", row.Aborts);
        write.Parameters.AddWithValue("$first", row.FirstSeen);
        write.Parameters.AddWithValue("$last", row.LastSeen);
        write.Parameters.AddWithValue("$lastOk", (object?)row.LastSuccess ?? DBNull.Value);
        write.Parameters.AddWithValue("$lastFail", (object?)row.LastFailure ?? DBNull.Value);
        write.Parameters.AddWithValue("$reasons", row.ReasonsJson);
        write.Parameters.AddWithValue("$episode", row.LastEpisodeId);
        write.Parameters.AddWithValue("$tuning", row.Tuning);
        write.ExecuteNonQuery();
    }
}
