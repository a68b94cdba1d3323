using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using CortexBot.Core.Ports;
using CortexBot.Core;
using CortexBot.Core.Messages;
using CortexBot.Hippocampus;
using CortexBot.Hippocampus.Postgres;
using CortexBot.Hippocampus.Recall;
using Spectre.Console;

namespace CortexBot.Cli.Commands.Memory;

/// <summary>The subcommands of <see cref="MemoryCommand"/>; rendering is in <see cref="MemoryRender"/>.</summary>
internal static class MemoryCommands
{
    private static Option<string?> MemoryOption() =>
        new("--memory") { Description = $"Memory store: a SQLite file (default {SqliteEpisodeStore.DefaultPath}) or a postgres://user@host:port/database URL" };

    private static Option<bool> JsonOption() => new("--json") { Description = "Print JSON on stdout instead of tables" };

    private static Option<string?> TaskOption() => new("--task") { Description = "Only episodes whose instruction contains this text" };

    private static Option<string?> OutcomeOption() => new("--outcome") { Description = "Only episodes with this outcome: success or failure" };

    private static Option<string?> SinceOption() => new("--since") { Description = "Only episodes started at or after this ISO 8601 date/time (UTC if no offset)" };

    private static Option<string?> ObjectOption() => new("--object") { Description = "Only episodes whose plan names this object, e.g. red_cube" };

    public static Command List()
    {
        var (memory, json, task, outcome, since, obj) = (MemoryOption(), JsonOption(), TaskOption(), OutcomeOption(), SinceOption(), ObjectOption());
        var limit = new Option<int>("--limit") { Description = "How many episodes (most recent first)", DefaultValueFactory = _ => 20 };
        var cmd = new Command("list", "List stored episodes, most recent first.") { limit, task, outcome, since, obj, memory, json };
        cmd.SetAction(parse => Guard(() =>
        {
            int n = parse.GetValue(limit);
            if (n <= 0)
                throw new ConfigurationException($"--limit must be at least 1, not {n}");
            var filter = Filter(parse.GetValue(task), parse.GetValue(outcome), parse.GetValue(since), parse.GetValue(obj));
            using var store = OpenRead(parse.GetValue(memory));
            var episodes = store.Query(filter, n);
            if (parse.GetValue(json))
                Print(new JsonArray([.. episodes.Select(e => MemoryRender.EpisodeJson(e))]));
            else
                MemoryRender.EpisodeTable(episodes, null, $"{episodes.Count} episode(s) in {store.Location}");
            return 0;
        }));
        return cmd;
    }

    public static Command Show()
    {
        var (memory, json) = (MemoryOption(), JsonOption());
        var id = new Argument<long>("ID") { Description = "Episode id (as listed)" };
        var cmd = new Command("show", "Show one episode with its steps and the safety reviews its plans were escalated to.") { id, memory, json };
        cmd.SetAction(parse => Guard(() =>
        {
            using var store = OpenRead(parse.GetValue(memory));
            long wanted = parse.GetValue(id);
            var e = store.Get(wanted) ?? throw new ConfigurationException($"no episode {wanted} in {store.Location}");
            // the safety reviews this episode's plans were escalated to (remembered as facts by case)
            var reviews = store.SafetyFacts(e.TaskId);
            if (parse.GetValue(json))
            {
                var node = MemoryRender.EpisodeJson(e);
                node["safety_reviews"] = new JsonArray([.. reviews.Select(r => (JsonNode)MemoryRender.SafetyReviewJson(r))]);
                Print(node);
            }
            else
                MemoryRender.EpisodeDetail(e, reviews);
            return 0;
        }));
        return cmd;
    }

    public static Command Search()
    {
        var (memory, json, task, outcome, since, obj) = (MemoryOption(), JsonOption(), TaskOption(), OutcomeOption(), SinceOption(), ObjectOption());
        var text = new Argument<string>("TEXT") { Description = "What to recall, e.g. \"put the red cube in the bin\"" };
        var k = new Option<int>("-k") { Description = "How many episodes", DefaultValueFactory = _ => 5 };
        var embeddingModel = EmbeddingCliOption.Create();
        var cmd = new Command("search", "Recall the stored episodes most similar to TEXT (exact embedding search), optionally filtered.")
            { text, k, task, outcome, since, obj, memory, embeddingModel, json };
        cmd.SetAction(parse => Guard(() =>
        {
            int n = parse.GetValue(k);
            if (n <= 0)
                throw new ConfigurationException($"-k must be at least 1, not {n}");
            var filter = Filter(parse.GetValue(task), parse.GetValue(outcome), parse.GetValue(since), parse.GetValue(obj));
            using var embedder = EmbeddingCliOption.Load(parse.GetValue(embeddingModel));
            using var store = OpenRead(parse.GetValue(memory), embedder);
            var stats = store.Stats();
            if (stats.Embeddings < stats.Episodes)
                // Vectors of another model are never compared with this one's: say why this search takes longer.
                Console.Error.WriteLine($"note: {stats.Episodes - stats.Embeddings} of {stats.Episodes} episode(s) have no {store.Embedder.Model} " +
                                        "vector stored (embedded with another model); embedding them for this search only");
            var index = store.LoadIndex();
            var query = new float[store.Embedder.Dimension];
            store.Embedder.EmbedQuery(parse.GetValue(text) ?? "", query);
            var hits = index.Search(query, n, filter);
            var found = hits.Select(h => (Episode: store.Get(h.Id), h.Score)).Where(x => x.Episode is not null)
                .Select(x => (Episode: x.Episode!, x.Score)).ToList();
            if (parse.GetValue(json))
            {
                Print(new JsonArray([.. found.Select(x =>
                {
                    var node = MemoryRender.EpisodeJson(x.Episode);
                    node["score"] = Math.Round(x.Score, 6);
                    return (JsonNode)node;
                })]));
            }
            else
                MemoryRender.EpisodeTable([.. found.Select(x => x.Episode)], [.. found.Select(x => x.Score)],
                    $"{found.Count} of {index.Count} episode(s) most similar to \"{parse.GetValue(text)}\" ({store.Embedder.Model})");
            return 0;
        }));
        return cmd;
    }

    public static Command Stats()
    {
        var (memory, json) = (MemoryOption(), JsonOption());
        var cmd = new Command("stats", "Counts, success rate, time span, facts, embeddings and the most frequent tasks.") { memory, json };
        cmd.SetAction(parse => Guard(() =>
        {
            using var store = OpenRead(parse.GetValue(memory));
            var stats = store.Stats();
            if (parse.GetValue(json))
                Print(JsonSerializer.SerializeToNode(stats, MemoryRender.Json)!);
            else
                MemoryRender.StatsTable(stats);
            return 0;
        }));
        return cmd;
    }

    public static Command Facts()
    {
        var (memory, json, obj) = (MemoryOption(), JsonOption(), new Option<string?>("--object") { Description = "Only facts about this object, e.g. red_cube" });
        var cmd = new Command("facts", "The semantic tier: per object and skill, successes, failures, recency and the latest failure reasons.") { obj, memory, json };
        cmd.SetAction(parse => Guard(() =>
        {
            using var store = OpenRead(parse.GetValue(memory));
            var facts = store.Facts(parse.GetValue(obj));
            if (parse.GetValue(json))
                Print(JsonSerializer.SerializeToNode(facts, MemoryRender.Json)!);
            else
                MemoryRender.FactsTable(facts);
            return 0;
        }));
        return cmd;
    }

    public static Command Export()
    {
        var memory = MemoryOption();
        var format = new Option<string>("--format")
        {
            Description = "jsonl: every episode, one per line, to FILE; mcap: the episode ID as a Foxglove recording to --out FILE",
            DefaultValueFactory = _ => "jsonl",
        }.Among("jsonl", "mcap");
        var file = new Argument<string>("FILE|ID") { Description = "jsonl: the output file ('-' for stdout; an existing file is replaced); mcap: the episode's id" };
        var output = new Option<string?>("--out") { Description = "mcap: the .mcap file to write" };
        var scene = CommonOptions.SceneOption();
        var cmd = new Command("export", "Write every episode to FILE as JSON lines (importable with `memory import`), or one episode as MCAP for Foxglove (--format mcap ID --out FILE).")
            { format, file, output, scene, memory };
        cmd.SetAction(parse => Guard(() =>
        {
            if (string.Equals(parse.GetValue(format), "mcap", StringComparison.OrdinalIgnoreCase))
            {
                if (!long.TryParse(parse.GetValue(file), out long id) || id < 1)
                    throw new ConfigurationException($"--format mcap exports one episode: give its id (memory list shows them), not '{parse.GetValue(file)}'");
                return MemoryMedia.ExportMcap(parse.GetValue(memory), id,
                    parse.GetValue(output) ?? throw new ConfigurationException("--format mcap needs --out FILE.mcap"), parse.GetValue(scene));
            }
            if (parse.GetValue(output) is not null) throw new ConfigurationException("--out is for --format mcap; jsonl writes to FILE");
            var target = parse.GetValue(file)!;
            using var store = OpenRead(parse.GetValue(memory));
            int n = 0;
            if (target == "-")
            {
                foreach (var e in store.All())
                {
                    Console.Out.WriteLine(EpisodeJsonl.ToLine(e));
                    n++;
                }
                return 0;
            }
            var full = Path.GetFullPath(target);
            if (full == store.Location)
                throw new ConfigurationException("the export file is the memory store itself");
            // Write beside the target, then rename: a failed export never leaves a half file under the final name.
            var temp = full + ".partial-" + Environment.ProcessId;
            try
            {
                using (var w = new StreamWriter(temp, append: false, new System.Text.UTF8Encoding(false)))
                {
                    w.NewLine = "\n";
                    foreach (var e in store.All())
                    {
                        w.WriteLine(EpisodeJsonl.ToLine(e));
                        n++;
                    }
                }
                File.Move(temp, full, overwrite: true);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                File.Delete(temp);
                throw new ConfigurationException($"cannot write {full}: {ex.Message}");
            }
            Console.Error.WriteLine($"exported {n} episode(s) to {full}");
            return 0;
        }));
        return cmd;
    }

    public static Command Import()
    {
        var (memory, json) = (MemoryOption(), JsonOption());
        var file = new Argument<string>("FILE") { Description = "JSON lines as written by `memory export` ('-' for stdin)" };
        var cmd = new Command("import", "Store the episodes of a JSONL file (all or nothing; episodes already stored are skipped).") { file, memory, json };
        cmd.SetAction(parse => Guard(() =>
        {
            var source = parse.GetValue(file)!;
            List<EpisodeRecord> episodes;
            List<string> errors;
            try
            {
                using TextReader reader = source == "-" ? Console.In : new StreamReader(source);
                (episodes, errors) = EpisodeJsonl.Parse(reader);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new ConfigurationException($"cannot read {source}: {ex.Message}");
            }
            if (errors.Count > 0)
            {
                Console.Error.WriteLine($"error: {source} has {errors.Count} malformed line(s); nothing was imported");
                foreach (var e in errors.Take(50))
                    Console.Error.WriteLine("  " + e);
                if (errors.Count > 50)
                    Console.Error.WriteLine($"  ... and {errors.Count - 50} more");
                return 2;
            }
            using var store = MemoryStores.OpenMemory(MemoryPath(parse.GetValue(memory)));
            var result = store.Import(episodes);
            if (parse.GetValue(json))
                Print(new JsonObject { ["imported"] = result.Imported, ["skipped"] = result.Skipped, ["path"] = store.Location });
            else
                Console.WriteLine($"imported {result.Imported} episode(s) into {store.Location}" +
                                  (result.Skipped > 0 ? $"; skipped {result.Skipped} already stored" : ""));
            return 0;
        }));
        return cmd;
    }

    public static Command Prune()
    {
        var (memory, json) = (MemoryOption(), JsonOption());
        var before = new Option<string?>("--before") { Description = "Delete episodes started before this ISO 8601 date/time (UTC if no offset)" };
        var keep = new Option<int?>("--keep") { Description = "Delete all but the latest N episodes" };
        var yes = new Option<bool>("--yes", "-y") { Description = "Do not ask for confirmation" };
        var cmd = new Command("prune", "Delete old episodes (asks for confirmation unless --yes); the semantic facts are recomputed.")
            { before, keep, yes, memory, json };
        cmd.SetAction(parse => Guard(() =>
        {
            var b = parse.GetValue(before);
            var kept = parse.GetValue(keep);
            if ((b is null) == (kept is null))
                throw new ConfigurationException("prune needs exactly one of --before DATE or --keep N");
            if (kept is < 0)
                throw new ConfigurationException($"--keep must be 0 or more, not {kept}");
            var rule = b is not null ? PruneRule.StartedBefore(ParseTime("--before", b)) : PruneRule.KeepLatest(kept!.Value);
            using var store = OpenExisting(parse.GetValue(memory));
            long n = store.CountPrunable(rule);
            if (n > 0 && !parse.GetValue(yes) && !Confirm($"Delete {n} of {store.Count()} episode(s) from {store.Location}?"))
            {
                Console.Error.WriteLine("prune cancelled; nothing was deleted");
                return 1;
            }
            long deleted = n == 0 ? 0 : store.Prune(rule);
            var graphNote = (store as SqliteEpisodeStore)?.PruneGraphNote;
            if (parse.GetValue(json))
                Print(new JsonObject { ["deleted"] = deleted, ["remaining"] = store.Count(), ["path"] = store.Location, ["recall_graph"] = graphNote });
            else
            {
                Console.WriteLine($"deleted {deleted} episode(s); {store.Count()} remain in {store.Location}");
                if (graphNote is not null)
                    Console.WriteLine(graphNote);
            }
            return 0;
        }));
        return cmd;
    }

    public static Command Migrate()
    {
        var (memory, json) = (MemoryOption(), JsonOption());
        var cmd = new Command("migrate", "Bring an older memory store to the current schema version (read commands never migrate).") { memory, json };
        cmd.SetAction(parse => Guard(() =>
        {
            using var store = OpenExisting(parse.GetValue(memory));
            var stats = store.Stats();
            if (parse.GetValue(json))
                Print(new JsonObject { ["schema_version"] = stats.SchemaVersion, ["episodes"] = stats.Episodes, ["path"] = store.Location });
            else
                Console.WriteLine($"{store.Location}: schema version {stats.SchemaVersion}, {stats.Episodes} episode(s)");
            return 0;
        }));
        return cmd;
    }

    /// <summary>
    /// Asks on the terminal; with stdin redirected, reads one answer line from it. No terminal and no answer: refuses.
    /// </summary>
    private static bool Confirm(string question)
    {
        if (!Console.IsInputRedirected)
            return AnsiConsole.Confirm(question, defaultValue: false);
        Console.Error.Write(question + " [y/N] ");
        var answer = Console.In.ReadLine();
        Console.Error.WriteLine();
        if (answer is null)
            throw new ConfigurationException("prune needs a confirmation, but there is no terminal or input to ask; pass --yes to delete without asking");
        return answer.Trim().ToLowerInvariant() is "y" or "yes";
    }

    private static int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (EpisodeStoreException ex)
        {
            // A store that opened but then failed; our own message names the file and what happened.
            Console.Error.WriteLine($"error: {ex.Message}");
            return 1;
        }
    }

    /// <summary>A postgres:// URL as given; a SQLite path made absolute.</summary>
    private static string MemoryPath(string? option) =>
        option is not null && MemoryStores.IsPostgres(option) ? option : Path.GetFullPath(option ?? SqliteEpisodeStore.DefaultPath);

    /// <summary>Read commands: the store opens read-only (never created or migrated), so they are safe beside a running robot.</summary>
    internal static IEpisodeMemory OpenRead(string? option, IEpisodeEmbedder? embedder = null)
    {
        try
        {
            return MemoryStores.OpenMemory(MemoryPath(option), readOnly: true, embedder);
        }
        catch (ConfigurationException ex) when (ex.Message.Contains("needs migrating", StringComparison.Ordinal))
        {
            throw new ConfigurationException(ex.Message + " (`cortexbot memory migrate --memory PATH` does that)");
        }
    }

    /// <summary>Writing commands other than import change an existing memory only; a missing SQLite file is not created.</summary>
    private static IEpisodeMemory OpenExisting(string? option)
    {
        var location = MemoryPath(option);
        if (!MemoryStores.IsPostgres(location) && !File.Exists(location))
            throw new ConfigurationException($"no CortexBot memory store at {location}");
        return MemoryStores.OpenMemory(location);
    }

    private static RecallFilter Filter(string? task, string? outcome, string? since, string? obj) => new(
        Task: string.IsNullOrWhiteSpace(task) ? null : task,
        Object: string.IsNullOrWhiteSpace(obj) ? null : obj,
        Success: outcome is null ? null : ParseOutcome(outcome),
        Since: since is null ? null : ParseTime("--since", since));

    private static bool ParseOutcome(string text) => text.Trim().ToLowerInvariant() switch
    {
        "success" or "succeeded" or "ok" => true,
        "failure" or "failed" or "fail" => false,
        _ => throw new ConfigurationException($"--outcome must be success or failure, not '{text}'"),
    };

    internal static DateTimeOffset ParseTime(string option, string text)
    {
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var t))
            return t;
        throw new ConfigurationException($"{option} '{text}' is not an ISO 8601 date or time (e.g. 2026-05-01 or 2026-05-01T12:00:00Z)");
    }

    private static void Print(JsonNode node) => Console.WriteLine(node.ToJsonString(MemoryRender.Json));
}
