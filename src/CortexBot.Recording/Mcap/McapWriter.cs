using System.Buffers.Binary;
using System.IO.Hashing;
using System.Text;

namespace CortexBot.Recording.Mcap;

/// <summary>Chunk compression; the names are MCAP's registered compression strings.</summary>
public enum McapCompression { None, Zstd, Lz4 }

public sealed record McapWriterOptions
{
    /// <summary>MCAP profile in the header ("" for none; "ros2" when every channel carries ROS 2 CDR).</summary>
    public string Profile { get; init; } = "";
    public string Library { get; init; } = "cortexbot";
    public McapCompression Compression { get; init; } = McapCompression.Zstd;
    /// <summary>A chunk is closed once its uncompressed records reach this size.</summary>
    public int ChunkSize { get; init; } = 1 << 20;
}

/// <summary>
/// Writes MCAP (https://mcap.dev/spec) to a stream, front to back (the stream need not seek): the header, chunks of
/// schema, channel and message records, each chunk followed by its message indexes, the data end with the data section's
/// CRC, then a summary (schemas, channels, statistics, chunk indexes) with summary offsets, the footer and the closing magic.
/// Not thread-safe: one writer per recording.
/// </summary>
public sealed class McapWriter : IDisposable
{
    private static readonly byte[] Magic = [0x89, (byte)'M', (byte)'C', (byte)'A', (byte)'P', (byte)'0', (byte)'\r', (byte)'\n'];

    private enum Op : byte
    {
        Header = 0x01, Footer = 0x02, Schema = 0x03, Channel = 0x04, Message = 0x05, Chunk = 0x06, MessageIndex = 0x07,
        ChunkIndex = 0x08, Statistics = 0x0B, SummaryOffset = 0x0E, DataEnd = 0x0F,
    }

    private readonly Stream _out;
    private readonly bool _leaveOpen;
    private readonly McapWriterOptions _options;
    private readonly Crc32 _dataCrc = new();
    private long _position;
    private bool _finished;

    private readonly List<(ushort Id, string Name, string Encoding, byte[] Data)> _schemas = [];
    private readonly List<(ushort Id, ushort SchemaId, string Topic, string Encoding, KeyValuePair<string, string>[] Metadata)> _channels = [];
    private readonly Dictionary<ushort, ulong> _messageCounts = [];
    private readonly Dictionary<ushort, uint> _sequences = [];
    private readonly List<byte[]> _chunkIndexes = [];
    private ulong _messageCount;
    private ulong _firstTime = ulong.MaxValue, _lastTime;

    // The open chunk: its uncompressed records, the time range, and per channel (log time, offset) for its message index.
    private readonly MemoryStream _chunk = new();
    private readonly SortedDictionary<ushort, List<(ulong Time, ulong Offset)>> _chunkIndex = [];
    private ulong _chunkStart = ulong.MaxValue, _chunkEnd;
    private readonly HashSet<ushort> _schemasInChunk = [], _channelsInChunk = [];

    public McapWriter(Stream output, McapWriterOptions? options = null, bool leaveOpen = false)
    {
        _out = output;
        _leaveOpen = leaveOpen;
        _options = options ?? new McapWriterOptions();
        if (_options.ChunkSize <= 0) throw new ArgumentOutOfRangeException(nameof(options), "chunk size must be positive");
        WriteData(Magic);
        var header = new Buf();
        header.String(_options.Profile);
        header.String(_options.Library);
        WriteRecord(Op.Header, header.ToArray(), data: true);
    }

    public int ChunkCount => _chunkIndexes.Count;
    public ulong MessageCount => _messageCount;

    /// <summary>Register a schema; returns its id (from 1; 0 means "no schema" in MCAP).</summary>
    public ushort AddSchema(string name, string encoding, ReadOnlySpan<byte> data)
    {
        ThrowIfFinished();
        ushort id = checked((ushort)(_schemas.Count + 1));
        _schemas.Add((id, name, encoding, data.ToArray()));
        return id;
    }

    /// <summary>Register a channel on <paramref name="schemaId"/> (0 for schemaless); returns its id.</summary>
    public ushort AddChannel(ushort schemaId, string topic, string messageEncoding, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ThrowIfFinished();
        if (schemaId != 0 && schemaId > _schemas.Count) throw new ArgumentException($"unknown schema id {schemaId}", nameof(schemaId));
        ushort id = checked((ushort)_channels.Count);
        _channels.Add((id, schemaId, topic, messageEncoding, (metadata ?? new Dictionary<string, string>()).OrderBy(kv => kv.Key, StringComparer.Ordinal).ToArray()));
        _messageCounts[id] = 0;
        _sequences[id] = 0;
        return id;
    }

    /// <summary>Append one message. Times are nanoseconds; readers expect log times not to go backwards within a channel.</summary>
    public void Write(ushort channelId, ulong logTime, ulong publishTime, ReadOnlySpan<byte> payload)
    {
        ThrowIfFinished();
        if (channelId >= _channels.Count) throw new ArgumentException($"unknown channel id {channelId}", nameof(channelId));
        var channel = _channels[channelId];
        // A chunk carries the schema and channel of its messages, so a streaming reader can decode each chunk alone.
        if (channel.SchemaId != 0 && _schemasInChunk.Add(channel.SchemaId)) AppendToChunk(Op.Schema, SchemaRecord(channel.SchemaId));
        if (_channelsInChunk.Add(channelId)) AppendToChunk(Op.Channel, ChannelRecord(channelId));

        var message = new Buf();
        message.U16(channelId);
        message.U32(_sequences[channelId]++);
        message.U64(logTime);
        message.U64(publishTime);
        message.Bytes(payload);
        if (!_chunkIndex.TryGetValue(channelId, out var entries)) _chunkIndex[channelId] = entries = [];
        entries.Add((logTime, (ulong)_chunk.Length));
        AppendToChunk(Op.Message, message.ToArray());

        _chunkStart = Math.Min(_chunkStart, logTime);
        _chunkEnd = Math.Max(_chunkEnd, logTime);
        _firstTime = Math.Min(_firstTime, logTime);
        _lastTime = Math.Max(_lastTime, logTime);
        _messageCounts[channelId]++;
        _messageCount++;
        if (_chunk.Length >= _options.ChunkSize) FlushChunk();
    }

    /// <summary>Close the last chunk and write the summary and footer. Called by <see cref="Dispose"/> if not before.</summary>
    public void Finish()
    {
        if (_finished) return;
        FlushChunk();
        _finished = true;

        var dataEnd = new Buf();
        dataEnd.U32(_dataCrc.GetCurrentHashAsUInt32());
        WriteRecord(Op.DataEnd, dataEnd.ToArray(), data: false);

        // Summary: each record kind is a group, located by a summary offset record.
        var summaryCrc = new Crc32();
        ulong summaryStart = (ulong)_position;
        var groups = new List<(Op Op, ulong Start, ulong Length)>();
        void Group(Op op, IEnumerable<byte[]> records)
        {
            ulong start = (ulong)_position;
            bool any = false;
            foreach (var r in records) { WriteRecord(op, r, data: false, summaryCrc); any = true; }
            if (any) groups.Add((op, start, (ulong)_position - start));
        }
        Group(Op.Schema, _schemas.Select(s => SchemaRecord(s.Id)));
        Group(Op.Channel, _channels.Select(c => ChannelRecord(c.Id)));
        Group(Op.Statistics, [StatisticsRecord()]);
        Group(Op.ChunkIndex, _chunkIndexes);

        ulong summaryOffsetStart = (ulong)_position;
        foreach (var (op, start, length) in groups)
        {
            var so = new Buf();
            so.U8((byte)op);
            so.U64(start);
            so.U64(length);
            WriteRecord(Op.SummaryOffset, so.ToArray(), data: false, summaryCrc);
        }

        // Footer: the summary CRC covers the summary and the footer up to the CRC field itself.
        var footer = new Buf();
        footer.U64(summaryStart);
        footer.U64(summaryOffsetStart);
        var head = new byte[9 + 16];
        head[0] = (byte)Op.Footer;
        BinaryPrimitives.WriteUInt64LittleEndian(head.AsSpan(1), 20);
        footer.ToArray().CopyTo(head, 9);
        summaryCrc.Append(head);
        Emit(head);
        var crc = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(crc, summaryCrc.GetCurrentHashAsUInt32());
        Emit(crc);
        Emit(Magic);
        _out.Flush();
    }

    public void Dispose()
    {
        try { Finish(); }
        finally { if (!_leaveOpen) _out.Dispose(); }
    }

    private void FlushChunk()
    {
        if (_chunk.Length == 0) return;
        var records = _chunk.GetBuffer().AsSpan(0, (int)_chunk.Length);
        uint uncompressedCrc = Crc32.HashToUInt32(records);
        (string compression, byte[] body) = _options.Compression switch
        {
            McapCompression.Zstd => ("zstd", new ZstdSharp.Compressor(3).Wrap(records).ToArray()),
            McapCompression.Lz4 => ("lz4", Lz4Frame(records)),
            _ => ("", records.ToArray()),
        };
        ulong chunkStartTime = _chunkStart == ulong.MaxValue ? 0 : _chunkStart;

        var chunk = new Buf();
        chunk.U64(chunkStartTime);
        chunk.U64(_chunkEnd);
        chunk.U64((ulong)records.Length);
        chunk.U32(uncompressedCrc);
        chunk.String(compression);
        chunk.U64((ulong)body.Length);
        chunk.Raw(body);
        ulong chunkOffset = (ulong)_position;
        WriteRecord(Op.Chunk, chunk.ToArray(), data: true);
        ulong chunkLength = (ulong)_position - chunkOffset;

        // Message indexes follow their chunk, one per channel, entries in log-time order (stable for equal times).
        var indexOffsets = new List<(ushort Channel, ulong Offset)>();
        ulong indexStart = (ulong)_position;
        foreach (var (channel, entries) in _chunkIndex)
        {
            var index = new Buf();
            index.U16(channel);
            var list = new Buf();
            foreach (var (time, offset) in entries.OrderBy(e => e.Time)) { list.U64(time); list.U64(offset); }
            index.Prefixed32(list.ToArray());
            indexOffsets.Add((channel, (ulong)_position));
            WriteRecord(Op.MessageIndex, index.ToArray(), data: true);
        }

        var ci = new Buf();
        ci.U64(chunkStartTime);
        ci.U64(_chunkEnd);
        ci.U64(chunkOffset);
        ci.U64(chunkLength);
        var map = new Buf();
        foreach (var (channel, offset) in indexOffsets) { map.U16(channel); map.U64(offset); }
        ci.Prefixed32(map.ToArray());
        ci.U64((ulong)_position - indexStart);
        ci.String(compression);
        ci.U64((ulong)body.Length);
        ci.U64((ulong)records.Length);
        _chunkIndexes.Add(ci.ToArray());

        _chunk.SetLength(0);
        _chunkIndex.Clear();
        _schemasInChunk.Clear();
        _channelsInChunk.Clear();
        _chunkStart = ulong.MaxValue;
        _chunkEnd = 0;
    }

    /// <summary>MCAP's "lz4" is the LZ4 frame format, not raw blocks.</summary>
    private static byte[] Lz4Frame(ReadOnlySpan<byte> records)
    {
        var target = new System.Buffers.ArrayBufferWriter<byte>(records.Length / 2 + 64);
        K4os.Compression.LZ4.Streams.LZ4Frame.Encode(records, target, new K4os.Compression.LZ4.Streams.LZ4EncoderSettings());
        return target.WrittenSpan.ToArray();
    }

    private byte[] SchemaRecord(ushort id)
    {
        var s = _schemas[id - 1];
        var b = new Buf();
        b.U16(s.Id);
        b.String(s.Name);
        b.String(s.Encoding);
        b.Prefixed32(s.Data);
        return b.ToArray();
    }

    private byte[] ChannelRecord(ushort id)
    {
        var c = _channels[id];
        var b = new Buf();
        b.U16(c.Id);
        b.U16(c.SchemaId);
        b.String(c.Topic);
        b.String(c.Encoding);
        var map = new Buf();
        foreach (var (k, v) in c.Metadata) { map.String(k); map.String(v); }
        b.Prefixed32(map.ToArray());
        return b.ToArray();
    }

    private byte[] StatisticsRecord()
    {
        var b = new Buf();
        b.U64(_messageCount);
        b.U16((ushort)_schemas.Count);
        b.U32((uint)_channels.Count);
        b.U32(0); // attachments
        b.U32(0); // metadata
        b.U32((uint)_chunkIndexes.Count);
        b.U64(_messageCount == 0 ? 0 : _firstTime);
        b.U64(_messageCount == 0 ? 0 : _lastTime);
        var map = new Buf();
        foreach (var (channel, count) in _messageCounts.OrderBy(kv => kv.Key)) { map.U16(channel); map.U64(count); }
        b.Prefixed32(map.ToArray());
        return b.ToArray();
    }

    private void AppendToChunk(Op op, byte[] content)
    {
        Span<byte> head = stackalloc byte[9];
        head[0] = (byte)op;
        BinaryPrimitives.WriteUInt64LittleEndian(head[1..], (ulong)content.Length);
        _chunk.Write(head);
        _chunk.Write(content);
    }

    private void WriteRecord(Op op, byte[] content, bool data, Crc32? summaryCrc = null)
    {
        var head = new byte[9];
        head[0] = (byte)op;
        BinaryPrimitives.WriteUInt64LittleEndian(head.AsSpan(1), (ulong)content.Length);
        if (data) { WriteData(head); WriteData(content); }
        else { summaryCrc?.Append(head); summaryCrc?.Append(content); Emit(head); Emit(content); }
    }

    /// <summary>Bytes of the data section: they count towards the data end's CRC.</summary>
    private void WriteData(ReadOnlySpan<byte> bytes)
    {
        _dataCrc.Append(bytes);
        Emit(bytes);
    }

    private void Emit(ReadOnlySpan<byte> bytes)
    {
        _out.Write(bytes);
        _position += bytes.Length;
    }

    private void ThrowIfFinished()
    {
        if (_finished) throw new InvalidOperationException("the MCAP writer is finished");
    }

    /// <summary>Little-endian field encoder for record contents.</summary>
    private sealed class Buf
    {
        private readonly MemoryStream _m = new();
        public void U8(byte v) => _m.WriteByte(v);
        public void U16(ushort v) { Span<byte> b = stackalloc byte[2]; BinaryPrimitives.WriteUInt16LittleEndian(b, v); _m.Write(b); }
        public void U32(uint v) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, v); _m.Write(b); }
        public void U64(ulong v) { Span<byte> b = stackalloc byte[8]; BinaryPrimitives.WriteUInt64LittleEndian(b, v); _m.Write(b); }
        public void String(string s) => Prefixed32(Encoding.UTF8.GetBytes(s));
        public void Prefixed32(ReadOnlySpan<byte> bytes) { U32((uint)bytes.Length); _m.Write(bytes); }
        public void Bytes(ReadOnlySpan<byte> bytes) => _m.Write(bytes);
        public void Raw(byte[] bytes) => _m.Write(bytes);
        public byte[] ToArray() => _m.ToArray();
    }
}
