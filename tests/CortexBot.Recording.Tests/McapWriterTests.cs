using System.Text;
using System.Text.Json;

using CortexBot.Recording.Mcap;

namespace CortexBot.Recording.Tests;

public sealed class McapWriterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cortexbot-mcap-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static byte[] Json(object o) => JsonSerializer.SerializeToUtf8Bytes(o);

    /// <summary>Two JSON channels interleaved and one schemaless binary channel, over enough messages for several chunks.</summary>
    private string WriteSample(McapCompression compression, int chunkSize, out int joints, out int plans, out int blobs)
    {
        var path = Path.Combine(_dir, $"sample-{compression}-{chunkSize}.mcap");
        using var writer = new McapWriter(File.Create(path), new McapWriterOptions { Compression = compression, ChunkSize = chunkSize });
        var jointSchema = writer.AddSchema("cortexbot.JointState", "jsonschema",
            Encoding.UTF8.GetBytes("""{"type":"object","properties":{"position":{"type":"array","items":{"type":"number"}}}}"""));
        var planSchema = writer.AddSchema("cortexbot.Plan", "jsonschema", Encoding.UTF8.GetBytes("""{"type":"object"}"""));
        var jointCh = writer.AddChannel(jointSchema, "/joint_states", "json", new Dictionary<string, string> { ["rate_hz"] = "25" });
        var planCh = writer.AddChannel(planSchema, "/plan", "json");
        var blobCh = writer.AddChannel(0, "/blob", "application/octet-stream");
        joints = plans = blobs = 0;
        ulong t0 = 1_700_000_000_000_000_000;
        for (int i = 0; i < 2000; i++)
        {
            ulong t = t0 + (ulong)i * 40_000_000;
            writer.Write(jointCh, t, t, Json(new { position = new[] { Math.Sin(i * 0.01), 0.3, 1.6, 0, 1.24, 0 } })); joints++;
            if (i % 100 == 0) { writer.Write(planCh, t, t, Json(new { step = i / 100, status = "running" })); plans++; }
            if (i % 250 == 0) { writer.Write(blobCh, t, t, new byte[1000 + i]); blobs++; }
        }
        return path;
    }

    [Theory]
    [InlineData(McapCompression.Zstd)]
    [InlineData(McapCompression.Lz4)]
    [InlineData(McapCompression.None)]
    public void Foxglove_reads_every_record_and_every_message_through_the_indexes(McapCompression compression)
    {
        var path = WriteSample(compression, chunkSize: 16 * 1024, out int joints, out int plans, out int blobs);
        var r = McapReader.Check(path);

        var stream = r.GetProperty("stream");
        Assert.True(stream.GetProperty("done").GetBoolean(), "the stream reader did not reach the closing magic");
        Assert.Equal(joints, stream.GetProperty("messages").GetProperty("/joint_states").GetInt32());
        Assert.Equal(plans, stream.GetProperty("messages").GetProperty("/plan").GetInt32());
        Assert.Equal(blobs, stream.GetProperty("messages").GetProperty("/blob").GetInt32());
        var records = stream.GetProperty("records");
        int chunks = records.GetProperty("Chunk").GetInt32();
        Assert.True(chunks > 3, $"expected several chunks, got {chunks}");
        Assert.Equal(1, records.GetProperty("Footer").GetInt32());
        Assert.Equal(1, records.GetProperty("DataEnd").GetInt32());
        Assert.Equal(chunks, records.GetProperty("ChunkIndex").GetInt32());
        Assert.Equal(1, records.GetProperty("Statistics").GetInt32());

        var ix = r.GetProperty("indexed");
        Assert.Equal(chunks, ix.GetProperty("chunkIndexes").GetInt32());
        Assert.Equal(chunks, ix.GetProperty("chunksWithMessageIndexes").GetInt32());
        Assert.Equal(joints + plans + blobs, ix.GetProperty("statistics").GetProperty("messageCount").GetInt32());
        Assert.Equal(3, ix.GetProperty("statistics").GetProperty("channelCount").GetInt32());
        Assert.Equal(chunks, ix.GetProperty("statistics").GetProperty("chunkCount").GetInt32());
        Assert.Equal(joints, ix.GetProperty("messages").GetProperty("/joint_states").GetInt32());
        Assert.Equal(plans, ix.GetProperty("messages").GetProperty("/plan").GetInt32());
        Assert.Equal(blobs, ix.GetProperty("messages").GetProperty("/blob").GetInt32());
        foreach (var topic in new[] { "/joint_states", "/plan", "/blob" })
            Assert.True(ix.GetProperty("monotonic").GetProperty(topic).GetBoolean(), topic);
        Assert.True(ix.GetProperty("dataSectionCrcMatches").GetBoolean());
        Assert.Equal("cortexbot.JointState", ix.GetProperty("channels").GetProperty("/joint_states").GetProperty("schema").GetString());
        Assert.Equal("jsonschema", ix.GetProperty("channels").GetProperty("/joint_states").GetProperty("schemaEncoding").GetString());
        Assert.Equal(0.3, ix.GetProperty("first").GetProperty("/joint_states").GetProperty("position")[1].GetDouble());
        Assert.Equal(1000, ix.GetProperty("first").GetProperty("/blob").GetProperty("bytes").GetInt32());
    }

    [Fact]
    public void An_empty_recording_is_a_valid_file()
    {
        var path = Path.Combine(_dir, "empty.mcap");
        using (var writer = new McapWriter(File.Create(path))) writer.AddChannel(0, "/nothing", "json");
        var ix = McapReader.Check(path).GetProperty("indexed");
        Assert.Equal(0, ix.GetProperty("chunkIndexes").GetInt32());
        Assert.Equal(0, ix.GetProperty("statistics").GetProperty("messageCount").GetInt32());
    }

    [Fact]
    public void A_corrupted_chunk_is_caught_by_the_reader()
    {
        // The CRCs are real: flip one byte inside a chunk of an uncompressed file and Foxglove's reader refuses it.
        var path = WriteSample(McapCompression.None, chunkSize: 16 * 1024, out _, out _, out _);
        var bytes = File.ReadAllBytes(path);
        bytes[4000] ^= 0x5A;
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidOperationException>(() => McapReader.Check(path));
        Assert.Contains("crc", e.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Messages_on_unknown_channels_and_writes_after_finish_are_refused()
    {
        using var writer = new McapWriter(new MemoryStream());
        Assert.Throws<ArgumentException>(() => writer.Write(3, 0, 0, [1]));
        Assert.Throws<ArgumentException>(() => writer.AddChannel(7, "/x", "json"));
        writer.Finish();
        Assert.Throws<InvalidOperationException>(() => writer.AddChannel(0, "/x", "json"));
    }
}
