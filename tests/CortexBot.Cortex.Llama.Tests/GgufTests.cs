using CortexBot.Gguf;

namespace CortexBot.Cortex.Llama.Tests;

public class GgufTests
{
    [Fact]
    public void GeneratedModelReadsBackWithItsMetadataAndTensors()
    {
        var path = TestModels.Model();
        var file = GgufFile.CheckLoadable(path);
        Assert.Equal(3u, file.Version);
        Assert.Equal("llama", file.Architecture);
        Assert.Equal("llama", file.TokenizerModel);
        Assert.Equal(64u, file.Metadata["llama.embedding_length"]);
        Assert.Equal(2u, file.Metadata["llama.block_count"]);
        Assert.Equal("<unk>", file.Tokens![0]);
        Assert.Equal("<0x00>", file.Tokens[3]);
        Assert.Equal("<0xFF>", file.Tokens[258]);
        Assert.Equal(3 + 2 * 9, file.Tensors.Count);
        var embd = file.Tensors.Single(t => t.Name == "token_embd.weight");
        Assert.Equal([64UL, (ulong)file.Tokens.Count], embd.Dims);
        Assert.Equal(0, file.DataOffset % GgufWriter.Alignment);
        Assert.All(file.Tensors, t => Assert.Equal(0UL, t.Offset % GgufWriter.Alignment));
        // The file holds exactly the data its tensors need (the last tensor padded to the alignment).
        Assert.InRange(file.FileLength - file.DataOffset - (long)file.DataBytesNeeded, 0, GgufWriter.Alignment - 1);
    }

    [Fact]
    public void GenerationIsDeterministicFromTheSeed()
    {
        var a = TinyLlamaModel.Write(TestModels.TempFile("a.gguf"), 11);
        var b = TinyLlamaModel.Write(TestModels.TempFile("b.gguf"), 11);
        var c = TinyLlamaModel.Write(TestModels.TempFile("c.gguf"), 12);
        Assert.Equal(File.ReadAllBytes(a), File.ReadAllBytes(b));
        Assert.NotEqual(File.ReadAllBytes(a), File.ReadAllBytes(c));
    }

    [Fact]
    public void VocabularyHasControlAndByteTokensAndNoDuplicates()
    {
        var (tokens, scores, types) = TinyLlamaModel.Vocabulary(new TinyLlamaSpec { ExtraWords = ["purple_sphere", "red"] });
        Assert.Equal(tokens.Count, tokens.Distinct().Count());
        Assert.Equal(tokens.Count, scores.Count);
        Assert.Equal(tokens.Count, types.Count);
        Assert.Equal([2, 3, 3], types.Take(3));
        Assert.All(Enumerable.Range(3, 256), i => Assert.Equal(6, types[i]));
        Assert.Contains("\u2581purple_sphere", tokens);
    }

    [Fact]
    public void WriterRejectsMismatchedTensorData()
    {
        var w = new GgufWriter();
        Assert.Throws<ArgumentException>(() => w.AddTensor("x", [3, 2], new float[5]));
        w.Add("k", 1u);
        Assert.Throws<ArgumentException>(() => w.Add("k", 2u));
    }

    [Fact]
    public void F16TensorsRoundTripTheirSize()
    {
        var w = new GgufWriter().Add("general.architecture", "llama");
        w.AddTensor("h", [8, 4], new float[32], GgmlType.F16);
        var path = TestModels.TempFile("f16.gguf");
        w.WriteTo(path);
        var file = GgufFile.Read(path);
        Assert.Equal(64UL, GgufFile.TensorBytes(file.Tensors[0]));
    }
}
