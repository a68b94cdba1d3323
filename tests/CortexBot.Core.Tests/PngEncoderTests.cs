using System.Buffers.Binary;
using System.IO.Compression;
using CortexBot.Core.Imaging;

namespace CortexBot.Core.Tests;

public sealed class PngEncoderTests
{
    [Fact]
    public void Encoded_rows_decompress_to_the_pixels_and_chunks_carry_valid_crcs()
    {
        const int w = 5, h = 3;
        var rgb = new byte[w * h * 3];
        for (int i = 0; i < rgb.Length; i++) rgb[i] = (byte)(i * 7);
        var png = PngEncoder.Encode(w, h, rgb);

        Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A }, png[..8]);
        int at = 8;
        var chunks = new List<(string Type, byte[] Data)>();
        while (at < png.Length)
        {
            int len = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            string type = System.Text.Encoding.ASCII.GetString(png, at + 4, 4);
            var data = png.AsSpan(at + 8, len).ToArray();
            chunks.Add((type, data));
            at += 12 + len;
        }
        Assert.Equal(["IHDR", "IDAT", "IEND"], chunks.Select(c => c.Type));
        // the CRC of an empty IEND chunk is fixed by the PNG specification
        Assert.Equal(new byte[] { 0xAE, 0x42, 0x60, 0x82 }, png[^4..]);

        using var z = new ZLibStream(new MemoryStream(chunks[1].Data), CompressionMode.Decompress);
        using var raw = new MemoryStream();
        z.CopyTo(raw);
        var bytes = raw.ToArray();
        Assert.Equal(h * (1 + 3 * w), bytes.Length);
        for (int y = 0; y < h; y++)
        {
            Assert.Equal(0, bytes[y * (1 + 3 * w)]);
            Assert.Equal(rgb.AsSpan(y * 3 * w, 3 * w).ToArray(), bytes.AsSpan(y * (1 + 3 * w) + 1, 3 * w).ToArray());
        }
    }

    [Fact]
    public void A_buffer_of_the_wrong_size_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => PngEncoder.Encode(4, 4, new byte[10]));
        Assert.Contains("48 bytes", e.Message);
    }
}
