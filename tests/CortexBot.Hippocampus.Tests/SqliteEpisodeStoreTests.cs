using System.Collections.Immutable;
using CortexBot.Core.Messages;
using Microsoft.Data.Sqlite;

namespace CortexBot.Hippocampus.Tests;

/// <summary>
/// What is particular to the SQLite store: its pragmas and schema, its rows, and the files it refuses. What every store
/// does (round trips, recency, reopening, refusals, concurrency) is <see cref="EpisodeStoreContract"/>, run against SQLite
/// by <see cref="SqliteEpisodeStoreContractTests"/>.
/// </summary>
public sealed class SqliteEpisodeStoreTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Store_uses_wal_full_sync_and_the_current_schema_version()
    {
        var path = _dir.File("memory.db");
        using var store = new SqliteEpisodeStore(path);
        store.Append(Samples.Episode());

        Assert.Equal("wal", store.Pragma("journal_mode"));
        Assert.Equal("2", store.Pragma("synchronous")); // FULL
        Assert.NotEqual("0", store.Pragma("busy_timeout"));
        Assert.True(File.Exists(path + "-wal"));
        using var raw = Samples.Raw(path, SqliteOpenMode.ReadOnly);
        Assert.Equal("wal", Samples.Scalar(raw, "PRAGMA journal_mode"));
        Assert.Equal((long)SqliteEpisodeStore.SchemaVersion, Samples.Scalar(raw, "PRAGMA user_version"));
        Assert.Equal(8, SqliteEpisodeStore.SchemaVersion);
        Assert.Equal((long)SqliteEpisodeStore.ApplicationId, Samples.Scalar(raw, "PRAGMA application_id"));
    }

    [Fact]
    public void Duplicate_task_id_is_refused_and_leaves_no_rows()
    {
        using var store = new SqliteEpisodeStore(_dir.File("memory.db"));
        var first = Samples.Episode(steps: 3);
        long id = store.Append(first);

        var ex = Assert.Throws<EpisodeStoreException>(() => store.Append(first with { Instruction = "again", Steps = [.. first.Steps, .. first.Steps] }));

        Assert.Contains(first.TaskId.ToString(), ex.Message);
        Assert.Contains("already stored", ex.Message);
        Assert.Equal(1, store.Count());
        Assert.Equal(3L, StepRows(store));
        Samples.AssertSame(first, store.Get(id));
    }

    [Fact]
    public void Failure_mid_append_rolls_back_the_episode_row_and_earlier_steps()
    {
        using var store = new SqliteEpisodeStore(_dir.File("memory.db"));
        store.Append(Samples.Episode(steps: 2));
        var good = Samples.Episode(steps: 4);
        // The episode row and two steps insert fine, then the third step violates NOT NULL.
        var broken = good with { Steps = good.Steps.SetItem(2, good.Steps[2] with { Skill = null! }) };

        var ex = Assert.Throws<EpisodeStoreException>(() => store.Append(broken));

        Assert.Contains("Nothing of it was written", ex.Message);
        Assert.Equal(1, store.Count());
        Assert.Equal(2L, StepRows(store));
        Assert.DoesNotContain(store.Recent(10), e => e.TaskId == good.TaskId);

        // The store is still usable and the same episode, repaired, stores whole.
        long id = store.Append(good);
        Samples.AssertSame(good, store.Get(id));
        Assert.Equal(6L, StepRows(store));
    }

    [Theory]
    [InlineData("random")]
    [InlineData("text")]
    [InlineData("sqlite-header-then-garbage")]
    public void Non_sqlite_file_is_refused_and_left_byte_for_byte_untouched(string kind)
    {
        var path = _dir.File("memory.db");
        byte[] bytes = kind switch
        {
            "random" => RandomBytes(8192, seed: 1),
            "text" => "my shopping list\nmilk\neggs\n"u8.ToArray(),
            _ => [.. "SQLite format 3\0"u8.ToArray(), .. RandomBytes(8192 - 16, seed: 2)],
        };
        File.WriteAllBytes(path, bytes);
        var before = File.GetLastWriteTimeUtc(path);

        var ex = Assert.Throws<EpisodeStoreException>(() => new SqliteEpisodeStore(path));

        Assert.Contains("is not a CortexBot memory store", ex.Message);
        Assert.Contains("left untouched", ex.Message);
        Assert.Contains(path, ex.Message);
        Assert.Equal(bytes, File.ReadAllBytes(path));
        Assert.Equal(before, File.GetLastWriteTimeUtc(path));
        Assert.Equal(["memory.db"], Directory.GetFiles(_dir.Path).Select(Path.GetFileName));
        Assert.Throws<EpisodeStoreException>(() => new SqliteEpisodeStore(path, readOnly: true));
        Assert.Equal(bytes, File.ReadAllBytes(path));
    }

    [Fact]
    public void Store_from_a_newer_schema_version_is_refused_naming_both_versions()
    {
        var path = _dir.File("memory.db");
        using (var store = new SqliteEpisodeStore(path))
            store.Append(Samples.Episode());
        using (var raw = Samples.Raw(path))
            Samples.Scalar(raw, "PRAGMA user_version = 99");
        var bytes = File.ReadAllBytes(path);

        var ex = Assert.Throws<EpisodeStoreException>(() => new SqliteEpisodeStore(path));

        Assert.Contains("schema version 99", ex.Message);
        Assert.Contains($"up to {SqliteEpisodeStore.SchemaVersion}", ex.Message);
        Assert.Equal(bytes, File.ReadAllBytes(path));
        Assert.Throws<EpisodeStoreException>(() => new SqliteEpisodeStore(path, readOnly: true));
    }

    [Fact]
    public void Foreign_sqlite_database_is_refused_and_left_untouched()
    {
        var path = _dir.File("shop.db");
        using (var raw = Samples.Raw(path))
        {
            Samples.Scalar(raw, "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)");
            Samples.Scalar(raw, "INSERT INTO customers (name) VALUES ('Ada')");
        }
        var bytes = File.ReadAllBytes(path);

        var ex = Assert.Throws<EpisodeStoreException>(() => new SqliteEpisodeStore(path));

        Assert.Contains("is not a CortexBot memory store", ex.Message);
        Assert.Contains("customers", ex.Message);
        Assert.Contains("left untouched", ex.Message);
        Assert.Equal(bytes, File.ReadAllBytes(path));
        using var again = Samples.Raw(path, SqliteOpenMode.ReadOnly);
        Assert.Equal("delete", Samples.Scalar(again, "PRAGMA journal_mode")); // we never switched it to WAL
    }

    [Fact]
    public void Database_of_another_application_id_is_refused()
    {
        var path = _dir.File("other.db");
        using (var raw = Samples.Raw(path))
            Samples.Scalar(raw, "PRAGMA application_id = 1234");
        var bytes = File.ReadAllBytes(path);

        var ex = Assert.Throws<EpisodeStoreException>(() => new SqliteEpisodeStore(path));

        Assert.Contains("another application", ex.Message);
        Assert.Equal(bytes, File.ReadAllBytes(path));
    }

    [Fact]
    public void Empty_file_is_initialised_as_a_new_store()
    {
        var path = _dir.File("memory.db");
        File.WriteAllBytes(path, []);
        using var store = new SqliteEpisodeStore(path);
        Assert.Equal(0, store.Count());
        Assert.True(store.Append(Samples.Episode()) > 0);
    }

    [Fact]
    public void Read_only_mode_does_not_create_a_missing_file_or_folder()
    {
        var path = _dir.File("missing/memory.db");

        var ex = Assert.Throws<EpisodeStoreException>(() => new SqliteEpisodeStore(path, readOnly: true));

        Assert.Contains("No CortexBot memory store", ex.Message);
        Assert.False(File.Exists(path));
        Assert.False(Directory.Exists(Path.GetDirectoryName(path)));
    }

    [Fact]
    public void Read_only_mode_reads_while_a_writer_writes_and_cannot_write()
    {
        var path = _dir.File("memory.db");
        using var writer = new SqliteEpisodeStore(path);
        writer.Append(Samples.Episode("before reader"));

        using var reader = new SqliteEpisodeStore(path, readOnly: true);
        Assert.True(reader.ReadOnly);
        Assert.Equal(1, reader.Count());

        const int more = 40;
        var writing = Task.Run(() =>
        {
            for (int i = 0; i < more; i++)
                writer.Append(Samples.Episode($"while reading {i}", steps: 3));
        });
        long last = 1;
        while (!writing.IsCompleted)
        {
            long n = reader.Count();
            Assert.True(n >= last, "count never goes backwards");
            last = n;
            foreach (var e in reader.Recent(5))
                Assert.Equal(e.Instruction == "before reader" ? 2 : 3, e.Steps.Length); // never a half-written episode
        }
        writing.GetAwaiter().GetResult();

        Assert.Equal(1 + more, reader.Count());
        Assert.Equal("while reading 39", reader.Recent(1)[0].Instruction);
        var ex = Assert.Throws<EpisodeStoreException>(() => reader.Append(Samples.Episode()));
        Assert.Contains("read-only", ex.Message);
        Assert.Equal(1 + more, writer.Count());
    }

    [Fact]
    public void Read_only_mode_opens_a_closed_store()
    {
        var path = _dir.File("memory.db");
        using (var writer = new SqliteEpisodeStore(path))
            writer.Append(Samples.Episode());

        using var reader = new SqliteEpisodeStore(path, readOnly: true);
        Assert.Equal(1, reader.Count());
    }

    [Fact]
    public void Default_path_is_under_the_user_data_folder()
    {
        var p = SqliteEpisodeStore.DefaultPath;
        Assert.True(Path.IsPathRooted(p));
        Assert.EndsWith(Path.Combine("cortexbot", "memory.db"), p);
        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        if (string.IsNullOrEmpty(xdg))
            Assert.Contains(Path.Combine(".local", "share"), p);
        else
            Assert.StartsWith(xdg, p);
    }

    private static long StepRows(SqliteEpisodeStore store)
    {
        using var raw = Samples.Raw(store.Location, SqliteOpenMode.ReadOnly);
        return (long)Samples.Scalar(raw, "SELECT COUNT(*) FROM episode_steps")!;
    }

    private static byte[] RandomBytes(int n, int seed)
    {
        var b = new byte[n];
        new Random(seed).NextBytes(b);
        return b;
    }
}
