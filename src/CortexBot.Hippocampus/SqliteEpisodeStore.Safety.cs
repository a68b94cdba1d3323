using CortexBot.Core.Safety;

namespace CortexBot.Hippocampus;

// Remembered safety reviews (schema 9): the same flagged case is answered from here, not asked again.
public sealed partial class SqliteEpisodeStore
{
    public void RememberSafetyFact(SafetyFact fact)
    {
        SafetyFactRow.Check(fact);
        lock (_gate)
        {
            ThrowIfDisposed();
            if (ReadOnly) throw new EpisodeStoreException($"Memory store {Location} is open read-only; the safety review was not remembered.");
            Wrap("remember a safety review", () =>
            {
                using var cmd = _connection.CreateCommand();
                cmd.CommandText = $"INSERT OR REPLACE INTO safety_verdicts ({SafetyFactRow.Columns}) VALUES ($p0, $p1, $p2, $p3, $p4, $p5, $p6, $p7, $p8, $p9, $p10)";
                var values = SafetyFactRow.Values(fact);
                for (int i = 0; i < values.Length; i++) cmd.Parameters.AddWithValue($"$p{i}", values[i]);
                return cmd.ExecuteNonQuery();
            });
        }
    }

    public IReadOnlyList<SafetyFact> SafetyFacts(Guid? taskId = null, int limit = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        lock (_gate)
        {
            ThrowIfDisposed();
            return Wrap("read safety reviews", () =>
            {
                using var cmd = _connection.CreateCommand();
                cmd.CommandText = $"SELECT {SafetyFactRow.Columns} FROM safety_verdicts" + (taskId is null ? "" : " WHERE task_id = $task") +
                                  " ORDER BY decided_unix_ms DESC, case_key LIMIT $limit";
                if (taskId is { } t) cmd.Parameters.AddWithValue("$task", t.ToString("D"));
                cmd.Parameters.AddWithValue("$limit", limit);
                using var r = cmd.ExecuteReader();
                return (IReadOnlyList<SafetyFact>)SafetyFactRow.Read(r);
            });
        }
    }
}
