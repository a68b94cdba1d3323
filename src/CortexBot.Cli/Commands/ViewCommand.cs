using System.CommandLine;
using System.Net;
using CortexBot.Core;
using CortexBot.Hippocampus.Postgres;
using CortexBot.Host.Media;
using CortexBot.Recording.Telemetry;
using CortexBot.View;

namespace CortexBot.Cli.Commands;

/// <summary>`cortexbot view`: the live view and memory browser in the browser, in a process of its own.</summary>
internal static class ViewCommand
{
    public static Command Create()
    {
        var port = new Option<int>("--port") { Description = "Port of the page", DefaultValueFactory = _ => 7460 };
        var listen = new Option<string>("--listen") { Description = "Address to bind the page to (loopback unless told otherwise, e.g. 0.0.0.0)", DefaultValueFactory = _ => "127.0.0.1" };
        var attach = new Option<string?>("--attach") { Description = "The telemetry stream of a running `run --telemetry HOST:PORT` to show live" };
        var memory = new Option<string?>("--memory") { Description = "Episode memory to browse: a SQLite file path, or postgres://user@host:port/db (default: the per-user memory when it exists)" };
        var scene = CommonOptions.SceneOption();
        var cmd = new Command("view", "Serve a local page showing a running CortexBot live (camera, joints and commands, plan, anomalies, control timing) and a memory browser with episode videos.")
            { port, listen, attach, memory, scene };
        cmd.SetAction(async (parse, ct) =>
        {
            if (!IPAddress.TryParse(parse.GetValue(listen), out var address))
                throw new ConfigurationException($"--listen must be an IP address, got '{parse.GetValue(listen)}'");
            int p = parse.GetValue(port);
            if (p is < 0 or > 65535) throw new ConfigurationException($"--port must be 0 to 65535, got {p}");
            var source = parse.GetValue(attach) is { } a ? TelemetryServer.ParseEndpoint(a, "--attach") : null;
            var location = parse.GetValue(memory) ?? Hippocampus.SqliteEpisodeStore.DefaultPath;
            if (!MemoryStores.IsPostgres(location)) location = Path.GetFullPath(location);
            using var store = parse.GetValue(memory) is null && !File.Exists(location) ? null : MemoryStores.OpenMemory(location, readOnly: true);
            var scenePath = Path.GetFullPath(parse.GetValue(scene) ?? RepoPaths.DefaultScene);
            await using var view = await ViewServer.StartAsync(new ViewOptions
            {
                Listen = new IPEndPoint(address, p),
                Attach = source,
                Memory = store,
                Search = store is null ? null : Recall(store),
                RenderVideo = (episode, path, token) => Task.Run(() => EpisodeVideo.Render(episode, scenePath, path, cancellation: token), token),
            }, cancellation: ct);
            if (!IPAddress.IsLoopback(address))
                Console.Error.WriteLine($"warning: the view is served on {address}, reachable from other machines (no authentication)");
            Console.Error.WriteLine($"view: {view.Url}" + (source is null ? "" : $" (attached to {source})") + (store is null ? "" : $", memory {store.Location}"));
            Console.Error.WriteLine("press Ctrl-C to stop");
            try { await Task.Delay(Timeout.Infinite, ct); }
            catch (OperationCanceledException) { }
            return 0;
        });
        return cmd;
    }

    /// <summary>The memory's similarity recall (the index loads on the first search; one search at a time).</summary>
    private static Func<string, int, IReadOnlyList<Core.Messages.EpisodeRecord>> Recall(Hippocampus.IEpisodeMemory store)
    {
        Hippocampus.Recall.EpisodeVectorIndex? index = null;
        var gate = new object();
        return (text, limit) =>
        {
            lock (gate)
            {
                index ??= store.LoadIndex();
                var query = new float[store.Embedder.Dimension];
                store.Embedder.EmbedQuery(text, query);
                return [.. index.Search(query, limit, Core.Messages.RecallFilter.None).Select(h => store.Get(h.Id)).OfType<Core.Messages.EpisodeRecord>()];
            }
        };
    }
}
