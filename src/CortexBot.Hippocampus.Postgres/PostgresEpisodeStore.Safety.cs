using CortexBot.Core.Safety;
using Npgsql;

namespace CortexBot.Hippocampus.Postgres;

// Remembered safety reviews (schema 8, the same table as SQLite schema 9).
public sealed partial class PostgresEpisodeStore
{
    public void RememberSafetyFact(SafetyFact fact)
    {
        SafetyFactRow.Check(fact);
        ThrowIfDisposed();
        if (ReadOnly) throw new EpisodeStoreException($"Memory store {Location} is open read-only; the safety review was not remembered.");
        Wrap("remember a safety review", () =>
        {
            var values = SafetyFactRow.Values(fact);
            var names = SafetyFactRow.Columns.Split(", ");
            using var cmd = _dataSource.CreateCommand(
                $"INSERT INTO cortexbot.safety_verdicts ({SafetyFactRow.Columns}) VALUES ({string.Join(", ", values.Select((_, i) => $"${i + 1}"))}) " +
                $"ON CONFLICT (case_key) DO UPDATE SET {string.Join(", ", names.Skip(1).Select(n => $"{n} = EXCLUDED.{n}"))}");
            foreach (var v in values) cmd.Parameters.Add(new NpgsqlParameter { Value = v });
            return cmd.ExecuteNonQuery();
        });
    }

    public IReadOnlyList<SafetyFact> SafetyFacts(Guid? taskId = null, int limit = 1000)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        ThrowIfDisposed();
        return Wrap("read safety reviews", () =>
        {
            using var cmd = _dataSource.CreateCommand($"SELECT {SafetyFactRow.Columns} FROM cortexbot.safety_verdicts" +
                (taskId is null ? "" : " WHERE task_id = $2") + " ORDER BY decided_unix_ms DESC, case_key COLLATE \"C\" LIMIT $1");
            cmd.Parameters.Add(new NpgsqlParameter { Value = limit });
            if (taskId is { } t) cmd.Parameters.Add(new NpgsqlParameter { Value = t.ToString("D") });
            using var r = cmd.ExecuteReader();
            return (IReadOnlyList<SafetyFact>)SafetyFactRow.Read(r);
        });
    }
}
