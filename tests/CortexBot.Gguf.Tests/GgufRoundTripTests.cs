using System.Buffers.Binary;
using System.Text;

namespace CortexBot.Gguf.Tests;

/// <summary>The GGUF writer against the project's header reader, and the bytes on disk against the GGUF v3 layout.</summary>
public sealed class GgufRoundTripTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cortexbot-gguf-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private static GgufWriter Sample() => new GgufWriter()
        .Add("general.architecture", "llama")
        .Add("llama.block_count", 3u)
        .Add("answer", -42)
        .Add("llama.attention.layer_norm_rms_epsilon", 1e-5f)
        .Add("flag", true)
        .Add("tokenizer.ggml.tokens", new[] { "<s>", "</s>", "héllo" })
        .Add("floats", new[] { 0.5f, -1.25f })
        .Add("ints", new[] { 7, -8, 9 })
        // 3 floats (12 bytes) forces padding before the next tensor
        .AddTensor("a", [3], [1f, 2f, 3f])
        .AddTensor("b", [2, 2], [0.5f, -0.5f, 1.5f, -2f], GgmlType.F16)
        .AddTensor("c", [5], [9f, 8f, 7f, 6f, 5f]);

    [Fact]
    public void Written_metadata_and_tensors_read_back_equal()
    {
        var path = PathOf("sample.gguf");
        Sample().WriteTo(path);
        var f = GgufFile.Read(path);
        Assert.Equal(GgufWriter.Version, f.Version);
        Assert.Equal("llama", f.Architecture);
        Assert.Equal(3u, f.Metadata["llama.block_count"]);
        Assert.Equal(-42, f.Metadata["answer"]);
        Assert.Equal(1e-5f, f.Metadata["llama.attention.layer_norm_rms_epsilon"]);
        Assert.Equal(true, f.Metadata["flag"]);
        Assert.Equal(["<s>", "</s>", "héllo"], f.Tokens!);
        Assert.Equal([0.5f, -1.25f], ((object[])f.Metadata["floats"]).Cast<float>());
        Assert.Equal([7, -8, 9], ((object[])f.Metadata["ints"]).Cast<int>());
        Assert.Equal(8, f.Metadata.Count);

        Assert.Equal(["a", "b", "c"], f.Tensors.Select(t => t.Name));
        Assert.Equal([3UL], f.Tensors[0].Dims);
        Assert.Equal([2UL, 2UL], f.Tensors[1].Dims);
        Assert.Equal((uint)GgmlType.F32, f.Tensors[0].Type);
        Assert.Equal((uint)GgmlType.F16, f.Tensors[1].Type);
        Assert.Equal(12UL, GgufFile.TensorBytes(f.Tensors[0]));
        Assert.Equal(8UL, GgufFile.TensorBytes(f.Tensors[1]));
        Assert.Equal(new FileInfo(path).Length, f.FileLength);
    }

    [Fact]
    public void Data_section_and_every_tensor_start_on_the_alignment_and_hold_the_values()
    {
        var path = PathOf("aligned.gguf");
        Sample().WriteTo(path);
        var f = GgufFile.Read(path);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal(0, f.DataOffset % GgufWriter.Alignment);
        Assert.Equal(0, bytes.Length % GgufWriter.Alignment);
        foreach (var t in f.Tensors) Assert.Equal(0UL, t.Offset % GgufWriter.Alignment);
        // tensors are laid out in order without overlap, and the file holds them all
        Assert.Equal([0UL, 32UL, 64UL], f.Tensors.Select(t => t.Offset));
        Assert.True(f.DataOffset + (long)f.DataBytesNeeded <= bytes.Length);
        // the padding after tensor a (12 bytes of data, 20 of padding) is zeros
        Assert.All(bytes[(int)(f.DataOffset + 12)..(int)(f.DataOffset + 32)], b => Assert.Equal(0, b));

        float F32(int tensor, int i) => BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan((int)(f.DataOffset + (long)f.Tensors[tensor].Offset) + 4 * i));
        float F16(int tensor, int i) => (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan((int)(f.DataOffset + (long)f.Tensors[tensor].Offset) + 2 * i));
        Assert.Equal([1f, 2f, 3f], Enumerable.Range(0, 3).Select(i => F32(0, i)));
        Assert.Equal([0.5f, -0.5f, 1.5f, -2f], Enumerable.Range(0, 4).Select(i => F16(1, i)));
        Assert.Equal([9f, 8f, 7f, 6f, 5f], Enumerable.Range(0, 5).Select(i => F32(2, i)));
    }

    [Fact]
    public void Header_starts_with_magic_version_and_counts()
    {
        var path = PathOf("header.gguf");
        Sample().WriteTo(path);
        var bytes = File.ReadAllBytes(path);
        Assert.Equal("GGUF", Encoding.ASCII.GetString(bytes, 0, 4));
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4)));
        Assert.Equal(3UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(8)));
        Assert.Equal(8UL, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(16)));
    }

    [Fact]
    public void A_file_with_another_magic_is_refused_naming_what_it_starts_with()
    {
        var path = PathOf("bad-magic.gguf");
        Sample().WriteTo(path);
        var bytes = File.ReadAllBytes(path);
        "GGML"u8.CopyTo(bytes);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<GgufFormatException>(() => GgufFile.Read(path));
        Assert.Contains("not a GGUF file", e.Message);
        Assert.Contains("\"GGML\"", e.Message);
    }

    [Fact]
    public void Unsupported_version_truncated_header_and_missing_file_are_refused()
    {
        var path = PathOf("v9.gguf");
        Sample().WriteTo(path);
        var bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(4), 9);
        File.WriteAllBytes(path, bytes);
        Assert.Contains("version 9", Assert.Throws<GgufFormatException>(() => GgufFile.Read(path)).Message);

        var cut = PathOf("cut.gguf");
        Sample().WriteTo(cut);
        File.WriteAllBytes(cut, File.ReadAllBytes(cut)[..60]);
        Assert.Contains("truncated", Assert.Throws<GgufFormatException>(() => GgufFile.Read(cut)).Message);

        Assert.Contains("not found", Assert.Throws<GgufFormatException>(() => GgufFile.Read(PathOf("none.gguf"))).Message);
    }

    [Fact]
    public void Truncated_tensor_data_fails_the_loadability_check()
    {
        var path = PathOf("short-data.gguf");
        Sample().WriteTo(path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^40]);
        // the header still reads; the full check sees the tensors do not fit
        GgufFile.Read(path);
        Assert.Contains("truncated", Assert.Throws<GgufFormatException>(() => GgufFile.CheckLoadable(path)).Message);
    }

    [Fact]
    public void Writer_refuses_duplicate_keys_and_mismatched_tensor_shapes()
    {
        var w = new GgufWriter().Add("k", 1u);
        Assert.Throws<ArgumentException>(() => w.Add("k", 2u));
        Assert.Throws<ArgumentException>(() => w.AddTensor("t", [2, 2], [1f, 2f, 3f]));
        w.AddTensor("t", [1], [1f]);
        Assert.Throws<ArgumentException>(() => w.AddTensor("t", [1], [2f]));
    }

    [Fact]
    public void Tiny_llama_model_passes_the_loadability_check_and_has_the_byte_tokens()
    {
        var path = PathOf("tiny.gguf");
        TinyLlamaModel.Write(path, seed: 1, new TinyLlamaSpec { EmbeddingLength = 32, BlockCount = 1, FeedForwardLength = 64 });
        var f = GgufFile.CheckLoadable(path);
        Assert.Equal("llama", f.Architecture);
        Assert.Contains("token_embd.weight", f.Tensors.Select(t => t.Name));
        Assert.Contains("blk.0.ffn_down.weight", f.Tensors.Select(t => t.Name));
        Assert.Contains("<0xFF>", f.Tokens!);
        // a model without its byte tokens would abort llama.cpp: the check refuses it instead
        var bad = PathOf("no-bytes.gguf");
        var tokens = f.Tokens!.Where(t => t != "<0x41>").ToArray();
        var w = new GgufWriter().Add("general.architecture", "llama").Add("tokenizer.ggml.model", "llama").Add("tokenizer.ggml.tokens", tokens).AddTensor("x", [1], [0f]);
        w.WriteTo(bad);
        Assert.Contains("<0x41>", Assert.Throws<GgufFormatException>(() => GgufFile.CheckLoadable(bad)).Message);
    }
}
