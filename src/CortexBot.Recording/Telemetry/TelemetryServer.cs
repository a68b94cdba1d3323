using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;

namespace CortexBot.Recording.Telemetry;

/// <summary>
/// The live telemetry stream of a running CortexBot: every channel message as one line of JSON (NDJSON) over TCP,
/// <c>{"topic": ..., "schema": ..., "t_ns": ..., "msg": {...}}</c>, to every client connected (<c>cortexbot view --attach</c>,
/// or <c>nc HOST PORT</c>). A client that connects late first gets the latest message of each topic. Writing never waits
/// on a client: each has a bounded queue, and a client that falls behind loses its oldest lines (counted).
/// </summary>
public sealed class TelemetryServer : IChannelWriter, IDisposable
{
    /// <summary>Lines queued per client before the oldest are dropped (about 5 s at 100 lines/s).</summary>
    public const int ClientQueue = 512;

    private readonly TcpListener _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<int, Client> _clients = new();
    private readonly ConcurrentDictionary<string, byte[]> _latest = new();
    private readonly Task _accept;
    private int _nextId;
    private long _dropped;

    private sealed class Client(TcpClient tcp)
    {
        public readonly TcpClient Tcp = tcp;
        public readonly BlockingCollection<byte[]> Queue = new(new ConcurrentQueue<byte[]>());
    }

    /// <exception cref="Core.ConfigurationException">The address cannot be bound (in use, not local).</exception>
    public TelemetryServer(IPEndPoint endpoint)
    {
        _listener = new TcpListener(endpoint);
        try
        {
            _listener.Start();
        }
        catch (SocketException e)
        {
            throw new Core.ConfigurationException($"cannot serve telemetry on {endpoint}: {e.Message}");
        }
        Endpoint = (IPEndPoint)_listener.LocalEndpoint;
        _accept = Task.Run(AcceptAsync);
    }

    /// <summary>The bound address (the port chosen when 0 was asked).</summary>
    public IPEndPoint Endpoint { get; }

    public int Clients => _clients.Count;

    /// <summary>Lines dropped for clients that fell behind.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public void Write(string topic, string schemaName, string schema, ulong timeNs, ReadOnlySpan<byte> json)
    {
        var line = Line(topic, schemaName, timeNs, json);
        _latest[topic] = line;
        foreach (var c in _clients.Values)
        {
            while (c.Queue.Count >= ClientQueue && c.Queue.TryTake(out _)) Interlocked.Increment(ref _dropped);
            try { c.Queue.Add(line); } catch (InvalidOperationException) { } // the client just left
        }
    }

    private static byte[] Line(string topic, string schemaName, ulong timeNs, ReadOnlySpan<byte> json)
    {
        var buffer = new ArrayBufferWriter<byte>(json.Length + 128);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("topic", topic);
            w.WriteString("schema", schemaName);
            w.WriteNumber("t_ns", timeNs);
            w.WritePropertyName("msg");
            w.WriteRawValue(json, skipInputValidation: true);
            w.WriteEndObject();
        }
        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient tcp;
            try { tcp = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) when (_stop.IsCancellationRequested) { return; }
            catch (SocketException) { continue; }
            tcp.NoDelay = true;
            var client = new Client(tcp);
            foreach (var line in _latest.Values) client.Queue.Add(line);
            int id = Interlocked.Increment(ref _nextId);
            _clients[id] = client;
            _ = Task.Run(() => SendAsync(id, client));
        }
    }

    private async Task SendAsync(int id, Client client)
    {
        try
        {
            var stream = client.Tcp.GetStream();
            foreach (var line in client.Queue.GetConsumingEnumerable(_stop.Token))
                await stream.WriteAsync(line, _stop.Token);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // the client went away, or we stop
        }
        finally
        {
            _clients.TryRemove(id, out _);
            client.Queue.CompleteAdding();
            client.Tcp.Dispose();
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _listener.Stop();
        try { _accept.Wait(2000); } catch (AggregateException) { }
        foreach (var c in _clients.Values) c.Tcp.Dispose();
    }

    /// <summary>Parses <c>HOST:PORT</c> (IPv4 or a host name; <c>localhost</c> means 127.0.0.1).</summary>
    /// <exception cref="Core.ConfigurationException">Not an address this machine can use, with the reason.</exception>
    public static IPEndPoint ParseEndpoint(string text, string flag)
    {
        int colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], out int port) || port is < 0 or > 65535)
            throw new Core.ConfigurationException($"{flag} wants HOST:PORT (e.g. 127.0.0.1:7450), got '{text}'");
        var host = text[..colon];
        if (host == "localhost") return new IPEndPoint(IPAddress.Loopback, port);
        if (IPAddress.TryParse(host, out var ip)) return new IPEndPoint(ip, port);
        try
        {
            var addresses = Dns.GetHostAddresses(host);
            return new IPEndPoint(addresses.First(a => a.AddressFamily == AddressFamily.InterNetwork), port);
        }
        catch (Exception e) when (e is SocketException or InvalidOperationException)
        {
            throw new Core.ConfigurationException($"{flag}: cannot resolve '{host}'");
        }
    }
}

/// <summary>One line of the telemetry stream.</summary>
public sealed record TelemetryLine(string Topic, string Schema, ulong TimeNs, JsonElement Message, string Raw);

/// <summary>Reads a telemetry stream (the view attaches with it).</summary>
public static class TelemetryClient
{
    /// <summary>Lines as they arrive until the server closes the stream or <paramref name="cancellation"/> fires.</summary>
    public static async IAsyncEnumerable<TelemetryLine> ReadAsync(IPEndPoint server, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellation = default)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server, cancellation);
        using var reader = new StreamReader(tcp.GetStream(), Encoding.UTF8);
        while (!cancellation.IsCancellationRequested)
        {
            string? raw;
            try { raw = await reader.ReadLineAsync(cancellation); }
            catch (IOException) { yield break; }
            if (raw is null) yield break;
            TelemetryLine? line = null;
            try
            {
                using var doc = JsonDocument.Parse(raw);
                var r = doc.RootElement;
                line = new TelemetryLine(r.GetProperty("topic").GetString()!, r.GetProperty("schema").GetString()!,
                    r.GetProperty("t_ns").GetUInt64(), r.GetProperty("msg").Clone(), raw);
            }
            catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                // a garbled line is skipped, never fatal
            }
            if (line is not null) yield return line;
        }
    }
}
