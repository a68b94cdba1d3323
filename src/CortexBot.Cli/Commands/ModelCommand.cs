using System.CommandLine;
using CortexBot.Core;
using CortexBot.Core.Skills;
using CortexBot.Gguf;

namespace CortexBot.Cli.Commands;

/// <summary>`cortexbot model tiny`: writes a tiny random-weight llama-architecture GGUF (for trying `--planner llama` without downloads).</summary>
internal static class ModelCommand
{
    public static Command Create()
    {
        var model = new Command("model", "Model files for the cortex's model planner.");
        model.Subcommands.Add(Tiny());
        return model;
    }

    private static Command Tiny()
    {
        var output = new Option<string>("--out") { Description = "Where to write the GGUF file", Required = true };
        var seed = new Option<int>("--seed") { Description = "Seed of the random weights", DefaultValueFactory = _ => 1 };
        var embd = new Option<int>("--embedding") { Description = "Embedding length", DefaultValueFactory = _ => 64 };
        var layers = new Option<int>("--layers") { Description = "Transformer blocks", DefaultValueFactory = _ => 2 };
        var mmproj = new Option<string?>("--mmproj") { Description = "Also write a tiny random CLIP vision projector (LLaVA-style mlp) for this model here" };
        var json = CliOutput.JsonOption();
        var cmd = new Command("tiny", "Write a tiny random-weight llama-architecture GGUF model with a real tokenizer (256 byte tokens, control tokens, the skill names). It plans nonsense; the grammar and validator keep it valid.")
            { output, seed, embd, layers, mmproj, json };
        cmd.SetAction(parse =>
        {
            int e = parse.GetValue(embd), l = parse.GetValue(layers);
            if (e is < 16 or > 4096 || e % 4 != 0) throw new ConfigurationException($"--embedding must be a multiple of 4 between 16 and 4096, got {e}");
            if (l is < 1 or > 64) throw new ConfigurationException($"--layers must be between 1 and 64, got {l}");
            var path = Path.GetFullPath(parse.GetValue(output)!);
            var words = File.Exists(RepoPaths.DefaultSkillCatalogue)
                ? SkillCatalogue.Load(RepoPaths.DefaultSkillCatalogue).Skills.Select(s => s.Name).ToList()
                : [];
            TinyLlamaModel.Write(path, parse.GetValue(seed), new TinyLlamaSpec { EmbeddingLength = e, BlockCount = l, FeedForwardLength = 2 * e, ExtraWords = words });
            bool asJson = parse.GetValue(json);
            var file = GgufFile.CheckLoadable(path);
            if (!asJson) Console.WriteLine($"wrote {path}: {file.FileLength} bytes, {file.Tensors.Count} tensors, {file.Tokens!.Count} tokens");
            object? projector = null;
            if (parse.GetValue(mmproj) is { } projPath)
            {
                projPath = Path.GetFullPath(projPath);
                var spec = new TinyClipSpec { TextEmbeddingLength = e };
                TinyClipProjector.Write(projPath, parse.GetValue(seed), spec);
                var proj = GgufFile.CheckLoadableProjector(projPath, e);
                if (!asJson) Console.WriteLine($"wrote {projPath}: {proj.FileLength} bytes, {proj.Tensors.Count} tensors, {TinyClipProjector.ImageTokens(spec)} tokens per image");
                projector = new { Path = projPath, Bytes = proj.FileLength, Tensors = proj.Tensors.Count, ImageTokens = TinyClipProjector.ImageTokens(spec) };
            }
            if (asJson)
                CliOutput.WriteJson(new { Model = new { Path = path, Bytes = file.FileLength, Tensors = file.Tensors.Count, Tokens = file.Tokens!.Count }, Mmproj = projector });
            return 0;
        });
        return cmd;
    }
}
