using CortexBot.Core;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using CortexBot.Gguf;
using LLama.Native;
using Microsoft.Extensions.Logging;

namespace CortexBot.Cortex.Llama.Tests;

/// <summary>Records log lines, to check what a planner says about images.</summary>
internal sealed class ListLogger : ILogger
{
    private readonly List<string> _lines = [];
    public IReadOnlyList<string> Lines { get { lock (_lines) return [.. _lines]; } }
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel logLevel) => true;
    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        lock (_lines) _lines.Add(formatter(state, exception));
    }
}

/// <summary>
/// Plans with a camera frame through LLamaSharp's multimodal path (mtmd), on a generated tiny llama model with a
/// generated tiny CLIP projector: no downloaded weights.
/// </summary>
public class MultimodalPlannerTests
{
    private static readonly Dictionary<int, string> Projectors = [];

    internal static string Projector(int seed = 1)
    {
        lock (Projectors)
        {
            if (!Projectors.TryGetValue(seed, out var path))
            {
                path = TinyClipProjector.Write(TestModels.TempFile($"mmproj-{seed}.gguf"), seed);
                Projectors[seed] = path;
            }
            return path;
        }
    }

    /// <summary>A synthetic frame: a gradient with a coloured square whose place depends on <paramref name="variant"/>.</summary>
    internal static CameraFrame Frame(int variant, int width = 64, int height = 48)
    {
        var rgb = new byte[width * height * 3];
        int sx = 4 + variant * 13 % (width - 16), sy = 4 + variant * 7 % (height - 16);
        for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
        {
            int o = 3 * (y * width + x);
            bool square = x >= sx && x < sx + 12 && y >= sy && y < sy + 12;
            rgb[o] = square ? (byte)230 : (byte)(x * 255 / width);
            rgb[o + 1] = square ? (byte)20 : (byte)(y * 255 / height);
            rgb[o + 2] = square ? (byte)(variant * 40) : (byte)128;
        }
        return new CameraFrame(width, height, rgb, MonotonicClock.NowNs);
    }

    private static LlamaPlannerOptions VisionOptions(uint samplingSeed = 1) =>
        TestModels.Options(samplingSeed: samplingSeed) with { MmprojPath = Projector() };

    [Fact]
    public async Task A_plan_made_with_the_camera_image_parses_and_validates()
    {
        var log = new ListLogger();
        using var planner = new LlamaPlanner(VisionOptions(), log);
        var context = TestModels.Context() with { Image = Frame(1) };
        var result = await planner.PlanAsync(context, CancellationToken.None);

        Assert.True(planner.SeesImages);
        Assert.NotNull(result.Plan);
        Assert.Null(PlanValidator.Validate(result.Plan!, context.Catalogue, context.Scene));
        var stats = planner.LastStats!;
        Assert.Contains(NativeApi.MtmdDefaultMarker()!, stats.LastPrompt);
        Assert.Contains(log.Lines, l => l.Contains("mmproj") && l.Contains("camera image"));
        Assert.DoesNotContain(log.Lines, l => l.Contains("scene description alone"));

        // the image occupies positions of its own: the same prompt without the image is shorter by at least its tokens
        using var textOnly = new LlamaPlanner(TestModels.Options(samplingSeed: 1));
        await textOnly.PlanAsync(TestModels.Context(), CancellationToken.None);
        int withImage = stats.PromptTokens / stats.Attempts, without = textOnly.LastStats!.PromptTokens / textOnly.LastStats.Attempts;
        Assert.True(withImage >= without + TinyClipProjector.ImageTokens(new TinyClipSpec()),
            $"prompt positions with image {withImage}, without {without}");
    }

    [Fact]
    public async Task The_image_reaches_the_model_and_the_same_image_gives_the_same_answer()
    {
        using var planner = new LlamaPlanner(VisionOptions() with { MaxRetries = 0 });
        var answers = new List<string?>();
        for (int variant = 0; variant < 4; variant++)
        {
            var result = await planner.PlanAsync(TestModels.Context() with { Image = Frame(variant) }, CancellationToken.None);
            answers.Add(planner.LastStats!.LastAnswer);
        }
        await planner.PlanAsync(TestModels.Context() with { Image = Frame(0) }, CancellationToken.None);
        Assert.Equal(answers[0], planner.LastStats!.LastAnswer);
        // random weights, but every pixel feeds the image embeddings: different pictures steer sampling differently
        Assert.True(answers.Distinct().Count() > 1, "four different images gave the same answer: the image does not reach the model");
    }

    [Fact]
    public async Task Without_an_mmproj_the_planner_says_once_that_it_plans_from_the_description_alone()
    {
        var log = new ListLogger();
        using var planner = new LlamaPlanner(TestModels.Options(), log);
        var result = await planner.PlanAsync(TestModels.Context() with { Image = Frame(1) }, CancellationToken.None);
        await planner.PlanAsync(TestModels.Context(), CancellationToken.None);
        Assert.NotNull(result.Plan);
        Assert.False(planner.SeesImages);
        Assert.DoesNotContain(NativeApi.MtmdDefaultMarker()!, planner.LastStats!.LastPrompt);
        Assert.Single(log.Lines, l => l.Contains("planning from the scene description alone"));
    }

    [Fact]
    public async Task With_an_mmproj_but_no_frame_the_planner_says_so_once_and_plans_from_the_description()
    {
        var log = new ListLogger();
        using var planner = new LlamaPlanner(VisionOptions(), log);
        var first = await planner.PlanAsync(TestModels.Context(), CancellationToken.None);
        await planner.PlanAsync(TestModels.Context(), CancellationToken.None);
        Assert.NotNull(first.Plan);
        Assert.Single(log.Lines, l => l.Contains("no camera frame") && l.Contains("scene description alone"));
    }

    [Fact]
    public async Task The_benchmark_times_plans_with_the_image_against_text_only_plans_in_the_same_run()
    {
        using var planner = new LlamaPlanner(VisionOptions());
        var report = await PlannerBenchmark.Run(planner, TestModels.Context(), plans: 2, rawTokens: 16, image: Frame(2));
        Assert.NotNull(report.ImagePlanLatencyMsP50);
        Assert.True(report.ImagePlanLatencyMsP99 >= report.ImagePlanLatencyMsP50);
        Assert.True(report.ImagePromptPositions > report.PromptTokens);
        Assert.True(report.ImageVsTextP50 > 0);
        Assert.Contains("with the camera image", report.ToTable());

        using var textOnly = new LlamaPlanner(TestModels.Options());
        var plain = await PlannerBenchmark.Run(textOnly, TestModels.Context(), plans: 1, rawTokens: 16, image: Frame(2));
        Assert.Null(plain.ImagePlanLatencyMsP50);
    }

    [Fact]
    public async Task A_frame_of_the_MuJoCo_scene_goes_through_the_projector()
    {
        using var world = new Sim.MuJoCo.MuJoCoWorld(RepoPaths.DefaultScene);
        world.ResetScene(3);
        using var camera = new Sim.MuJoCo.MuJoCoCamera(world, new Sim.MuJoCo.MuJoCoCameraOptions { Width = 160, Height = 120 });
        var frame = await camera.CaptureAsync();
        using var planner = new LlamaPlanner(VisionOptions());
        var scene = world.Snapshot();
        var context = new PlanningContext("put the red cube in the bin", scene, TestModels.Catalogue, [], null, frame);
        var result = await planner.PlanAsync(context, CancellationToken.None);
        Assert.NotNull(result.Plan);
        Assert.Null(PlanValidator.Validate(result.Plan!, context.Catalogue, scene));
    }
}

/// <summary>Bad mmproj files give a clear <see cref="ConfigurationException"/> (exit code 2 in the CLI), never a crash.</summary>
public class MmprojFileErrorTests
{
    private static ConfigurationException FailsAtConstruction(string path) =>
        Assert.Throws<ConfigurationException>(() => new LlamaPlanner(TestModels.Options() with { MmprojPath = path }));

    private static string Write(TinyClipSpec spec) => TinyClipProjector.Write(TestModels.TempFile("mmproj.gguf"), 2, spec);

    [Fact]
    public void Missing_file() =>
        Assert.Contains("mmproj file not found: /nonexistent/mmproj.gguf", FailsAtConstruction("/nonexistent/mmproj.gguf").Message);

    [Fact]
    public void Not_a_gguf_file()
    {
        var path = TestModels.TempFile("mmproj.txt");
        File.WriteAllText(path, "definitely not a projector");
        var e = FailsAtConstruction(path);
        Assert.StartsWith("mmproj:", e.Message);
        Assert.Contains("is not a GGUF file", e.Message);
    }

    [Fact]
    public void A_text_model_given_as_mmproj() =>
        Assert.Contains("is not a multimodal projector", FailsAtConstruction(TestModels.Model()).Message);

    [Fact]
    public void Truncated()
    {
        var bytes = File.ReadAllBytes(MultimodalPlannerTests.Projector());
        var path = TestModels.TempFile("mmproj-cut.gguf");
        File.WriteAllBytes(path, bytes[..(bytes.Length * 3 / 4)]);
        Assert.Contains("is truncated", FailsAtConstruction(path).Message);
    }

    [Fact]
    public void Without_image_mean_which_llama_cpp_would_abort_on()
    {
        // rebuild the tiny projector's header without one key
        var full = GgufFile.Read(MultimodalPlannerTests.Projector());
        Assert.True(full.Metadata.ContainsKey("clip.vision.image_mean"));
        var w = new GgufWriter().Add("general.architecture", "clip").Add("clip.has_vision_encoder", true).Add("clip.projector_type", "mlp");
        foreach (var key in new[] { "clip.vision.embedding_length", "clip.vision.attention.head_count", "clip.vision.feed_forward_length",
                     "clip.vision.block_count", "clip.vision.image_size", "clip.vision.patch_size" })
            w.Add(key, (uint)full.Metadata[key]);
        w.Add("clip.vision.image_std", [0.5f, 0.5f, 0.5f]);
        w.AddTensor("v.patch_embd.weight", [2, 2], new float[4]);
        var path = TestModels.TempFile("mmproj-nomean.gguf");
        w.WriteTo(path);
        Assert.Contains("lacks 'clip.vision.image_mean'", FailsAtConstruction(path).Message);
    }

    [Fact]
    public void A_projector_for_another_embedding_width()
    {
        var e = FailsAtConstruction(Write(new TinyClipSpec { TextEmbeddingLength = 32 }));
        Assert.Contains("projects images to 32 dimensions, but the model's embedding length is 64", e.Message);
    }

    [Fact]
    public void A_tensor_the_graph_needs_without_a_loader_check()
    {
        var e = FailsAtConstruction(Write(new TinyClipSpec { OmitTensors = ["v.position_embd.weight"] }));
        Assert.Contains("without its tensor 'v.position_embd.weight'", e.Message);
    }

    [Fact]
    public void A_tensor_the_loader_requires_gives_llama_cpps_reason_at_load()
    {
        var path = Write(new TinyClipSpec { OmitTensors = ["v.blk.1.attn_out.weight"] });
        using var planner = new LlamaPlanner(TestModels.Options() with { MmprojPath = path });
        var e = Assert.Throws<ConfigurationException>(planner.Load);
        Assert.Contains("could not load mmproj", e.Message);
        Assert.Contains("unable to find tensor v.blk.1.attn_out.weight", e.Message);
        Assert.False(planner.IsLoaded);
    }
}
