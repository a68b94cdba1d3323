using System.Collections.Concurrent;
using System.Net;
using System.Net.WebSockets;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using CortexBot.Recording.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace CortexBot.View;

public sealed record ViewOptions
{
    /// <summary>Where the page is served; loopback unless the user says otherwise.</summary>
    public IPEndPoint Listen { get; init; } = new(IPAddress.Loopback, 7460);

    /// <summary>The telemetry stream of a running <c>run</c> or robot node to show live; null for the memory browser only.</summary>
    public IPEndPoint? Attach { get; init; }

    /// <summary>The memory to browse; null hides the browser.</summary>
    public IEpisodeStore? Memory { get; init; }

    /// <summary>Episodes most similar to a text, best first (the hippocampus's recall); null falls back to matching instructions.</summary>
    public Func<string, int, IReadOnlyList<EpisodeRecord>>? Search { get; init; }

    /// <summary>Renders a stored episode's video to the given .mp4 path; null: episodes show no video.</summary>
    public Func<EpisodeRecord, string, CancellationToken, Task>? RenderVideo { get; init; }

    /// <summary>Where rendered videos are kept while the view runs.</summary>
    public string VideoCache { get; init; } = Path.Combine(Path.GetTempPath(), $"cortexbot-view-{Environment.ProcessId}");
}

/// <summary>
/// The live view's web server (ASP.NET Core on Kestrel): the page, a WebSocket that relays the attached telemetry stream to
/// every open page, and a JSON API over the memory. It runs in its own process (<c>cortexbot view</c>), so its work and its
/// garbage never touch a control loop.
/// </summary>
public sealed class ViewServer : IAsyncDisposable
{
    private static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    private readonly WebApplication _app;
    private readonly ViewOptions _options;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<int, Channel<string>> _pages = new();
    private readonly ConcurrentDictionary<string, string> _latest = new();
    private readonly ConcurrentDictionary<long, Lazy<Task<string>>> _videos = new();
    private Task? _relay;
    private int _nextPage;
    private long _lines;
    private volatile bool _attached;

    private ViewServer(WebApplication app, ViewOptions options, ILogger log)
    {
        _app = app;
        _options = options;
        _log = log;
    }

    /// <summary>The page's address.</summary>
    public Uri Url { get; private set; } = new("http://127.0.0.1/");

    /// <summary>Telemetry lines received from the attached stream.</summary>
    public long LinesReceived => Interlocked.Read(ref _lines);

    public bool Attached => _attached;

    /// <exception cref="Core.ConfigurationException">The address cannot be bound.</exception>
    public static async Task<ViewServer> StartAsync(ViewOptions options, ILoggerFactory? logs = null, CancellationToken cancellation = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        if (logs is not null) builder.Services.AddSingleton(logs);
        builder.WebHost.UseKestrel(k => k.Listen(options.Listen));
        var app = builder.Build();
        var server = new ViewServer(app, options, (logs ?? Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).CreateLogger("CortexBot.View"));
        server.Map();
        try
        {
            await app.StartAsync(cancellation);
        }
        catch (IOException e)
        {
            await app.DisposeAsync();
            throw new Core.ConfigurationException($"cannot serve the view on {options.Listen}: {e.Message}");
        }
        var address = app.Urls.First();
        server.Url = new Uri(address.Replace("0.0.0.0", "127.0.0.1").Replace("[::]", "127.0.0.1"));
        if (options.Attach is { } source) server._relay = Task.Run(() => server.RelayAsync(source));
        return server;
    }

    private void Map()
    {
        _app.UseWebSockets(new WebSocketOptions { KeepAliveInterval = TimeSpan.FromSeconds(10) });
        _app.MapGet("/", () => Asset("index.html", "text/html; charset=utf-8"));
        _app.MapGet("/app.js", () => Asset("app.js", "text/javascript; charset=utf-8"));
        _app.MapGet("/style.css", () => Asset("style.css", "text/css; charset=utf-8"));
        _app.MapGet("/api/status", () => Results.Json(new
        {
            Attached = _attached,
            Source = _options.Attach?.ToString(),
            Lines = LinesReceived,
            Memory = _options.Memory?.Location,
            Videos = _options.RenderVideo is not null,
        }, Json));
        _app.MapGet("/api/episodes", (string? q, int? limit) => Episodes(q, Math.Clamp(limit ?? 20, 1, 200)));
        _app.MapGet("/api/episodes/{id:long}", (long id) => Episode(id));
        _app.MapGet("/api/episodes/{id:long}/video.mp4", (long id, CancellationToken ct) => VideoAsync(id, ct));
        _app.Map("/ws", PageSocketAsync);
    }

    private static IResult Asset(string name, string contentType)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream("wwwroot/" + name)
            ?? throw new InvalidOperationException($"the view's {name} is not built into the assembly");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return Results.Content(reader.ReadToEnd(), contentType);
    }

    private IResult Episodes(string? q, int limit)
    {
        if (_options.Memory is not { } memory) return Results.Json(Array.Empty<object>(), Json);
        IReadOnlyList<EpisodeRecord> found;
        if (string.IsNullOrWhiteSpace(q)) found = memory.Recent(limit);
        else if (_options.Search is { } search) found = search(q, limit);
        else found = [.. memory.Recent(1000).Where(e => e.Instruction.Contains(q, StringComparison.OrdinalIgnoreCase)).Take(limit)];
        return Results.Json(found.Select(e => new
        {
            e.Id, e.Instruction, e.Seed, e.Success, e.FailureReason, e.StartedAt, e.DurationS, e.Planner,
        }), Json);
    }

    private IResult Episode(long id)
    {
        var e = _options.Memory?.Get(id);
        if (e is null) return Results.NotFound(new { error = $"no episode {id}" });
        return Results.Json(new
        {
            e.Id, e.Instruction, e.Seed, e.Success, e.FailureReason, e.StartedAt, e.DurationS, e.Planner, e.Plan,
            Steps = e.Steps.Select(s => new { s.Index, s.Skill, Outcome = s.Outcome.ToString().ToLowerInvariant(), s.Detail, s.StartedAtS, s.DurationS }),
            Anomalies = e.AnomalyEvents.Select(a => new { a.Kind, a.RobotTimeS, a.Detail }),
            HasVideo = e.Trace is not null && _options.RenderVideo is not null,
        }, Json);
    }

    private async Task<IResult> VideoAsync(long id, CancellationToken cancellation)
    {
        if (_options.RenderVideo is not { } render || _options.Memory is not { } memory) return Results.NotFound();
        var episode = memory.Get(id);
        if (episode?.Trace is null) return Results.NotFound(new { error = $"episode {id} has no recorded motion" });
        // One render per episode, shared by concurrent requests; a failed render is retried by the next request.
        var lazy = _videos.GetOrAdd(id, _ => new Lazy<Task<string>>(async () =>
        {
            Directory.CreateDirectory(_options.VideoCache);
            var path = Path.Combine(_options.VideoCache, $"episode-{id}.mp4");
            await render(episode, path, _stop.Token);
            return path;
        }));
        try
        {
            var path = await lazy.Value.WaitAsync(cancellation);
            return Results.File(path, "video/mp4", enableRangeProcessing: true);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            _videos.TryRemove(id, out _);
            _log.LogWarning("video of episode {Id} failed: {Reason}", id, e.Message);
            return Results.Problem($"the video of episode {id} could not be made: {e.Message}");
        }
    }

    private async Task RelayAsync(IPEndPoint source)
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await foreach (var line in TelemetryClient.ReadAsync(source, _stop.Token))
                {
                    _attached = true;
                    Interlocked.Increment(ref _lines);
                    _latest[line.Topic] = line.Raw;
                    foreach (var page in _pages.Values) page.Writer.TryWrite(line.Raw);
                }
            }
            catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException)
            {
                // not up yet, or gone: try again
            }
            catch (OperationCanceledException) { return; }
            _attached = false;
            try { await Task.Delay(500, _stop.Token); } catch (OperationCanceledException) { return; }
        }
    }

    private async Task PageSocketAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest) { context.Response.StatusCode = 400; return; }
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        // A page that cannot keep up loses its oldest updates, never holds the relay.
        var queue = Channel.CreateBounded<string>(new BoundedChannelOptions(256) { FullMode = BoundedChannelFullMode.DropOldest });
        foreach (var line in _latest.Values) queue.Writer.TryWrite(line);
        int id = Interlocked.Increment(ref _nextPage);
        _pages[id] = queue;
        using var closed = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, context.RequestAborted);
        var reader = Task.Run(async () =>
        {
            var buffer = new byte[256];
            try
            {
                while (socket.State == WebSocketState.Open)
                {
                    var r = await socket.ReceiveAsync(buffer, closed.Token);
                    if (r.MessageType == WebSocketMessageType.Close) break;
                }
            }
            catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
            closed.Cancel();
        });
        try
        {
            await foreach (var line in queue.Reader.ReadAllAsync(closed.Token))
                await socket.SendAsync(Encoding.UTF8.GetBytes(line), WebSocketMessageType.Text, true, closed.Token);
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException) { }
        finally
        {
            _pages.TryRemove(id, out _);
            await reader;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        if (_relay is not null) await _relay;
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
