using CortexBot.Core;
using CortexBot.Gguf;

namespace CortexBot.Cortex.Llama.Tests;

/// <summary>Bad model files give a clear <see cref="ConfigurationException"/>, never a crash of the process.</summary>
public class ModelFileErrorTests
{
    private static ConfigurationException Fails(string path) =>
        Assert.Throws<ConfigurationException>(() => new LlamaPlanner(TestModels.Options() with { ModelPath = path }));

    [Fact]
    public void MissingFile()
    {
        var e = Fails("/nonexistent/model.gguf");
        Assert.Contains("model file not found: /nonexistent/model.gguf", e.Message);
    }

    [Fact]
    public void Directory() => Assert.Contains("is a directory", Fails(Path.GetTempPath()).Message);

    [Fact]
    public void NotGguf()
    {
        var path = TestModels.TempFile("notes.gguf");
        File.WriteAllText(path, "this is a text file, not a model at all");
        Assert.Contains("is not a GGUF file: it starts with \"this\"", Fails(path).Message);
    }

    [Fact]
    public void TooShort()
    {
        var path = TestModels.TempFile("short.gguf");
        File.WriteAllBytes(path, [0x47, 0x47, 0x55, 0x46]);
        Assert.Contains("is not a GGUF file: only 4 bytes", Fails(path).Message);
    }

    [Theory]
    [InlineData(0.999)]
    [InlineData(0.5)]
    [InlineData(0.01)]
    public void Truncated(double keep)
    {
        var bytes = File.ReadAllBytes(TestModels.Model());
        var path = TestModels.TempFile("truncated.gguf");
        File.WriteAllBytes(path, bytes[..(int)(bytes.Length * keep)]);
        Assert.Contains("is truncated", Fails(path).Message);
    }

    [Fact]
    public void UnsupportedVersion()
    {
        var bytes = File.ReadAllBytes(TestModels.Model());
        bytes[4] = 9;
        var path = TestModels.TempFile("v9.gguf");
        File.WriteAllBytes(path, bytes);
        Assert.Contains("GGUF version 9", Fails(path).Message);
    }

    [Fact]
    public void SentencePieceVocabularyWithoutByteTokensIsRefusedBeforeLlamaCppCanAbort()
    {
        var (tokens, _, _) = TinyLlamaModel.Vocabulary(new TinyLlamaSpec());
        var w = new GgufWriter()
            .Add("general.architecture", "llama")
            .Add("tokenizer.ggml.model", "llama")
            .Add("tokenizer.ggml.tokens", tokens.Where(t => t != "<0x41>").ToList());
        w.AddTensor("token_embd.weight", [4, 2], new float[8]);
        var path = TestModels.TempFile("nobytes.gguf");
        w.WriteTo(path);
        Assert.Contains("without the byte token <0x41>", Fails(path).Message);
    }

    [Fact]
    public void MissingTensorGivesLlamaCppsReason()
    {
        var path = TinyLlamaModel.Write(TestModels.TempFile("broken.gguf"), 5, new TinyLlamaSpec { OmitTensors = ["blk.1.ffn_up.weight"] });
        using var planner = new LlamaPlanner(TestModels.Options() with { ModelPath = path });
        var e = Assert.Throws<ConfigurationException>(planner.Load);
        Assert.Contains("could not load model", e.Message);
        Assert.Contains("blk.1.ffn_up.weight", e.Message);
        // Through PlanAsync the same error surfaces as a failed task, not a crash.
        var ex = Assert.ThrowsAsync<ConfigurationException>(() => planner.PlanAsync(TestModels.Context(), CancellationToken.None)).GetAwaiter().GetResult();
        Assert.Contains("blk.1.ffn_up.weight", ex.Message);
    }
}
