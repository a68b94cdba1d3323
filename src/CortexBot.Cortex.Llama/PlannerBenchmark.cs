using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using CortexBot.Core.Ports;
using LLama;
using LLama.Common;
using LLama.Sampling;
using CortexBot.Core.Stats;

namespace CortexBot.Cortex.Llama;

/// <summary>Result of <see cref="PlannerBenchmark.Run"/>; speeds are compared with the raw baseline measured in the same run.</summary>
public sealed record PlannerBenchReport(
    string Model,
    int Threads,
    int Plans,
    [property: JsonPropertyName("raw_tokens_per_s")] double RawTokensPerSecond,
    [property: JsonPropertyName("cortex_tokens_per_s")] double CortexTokensPerSecond,
    double CortexVsRaw,
    int PromptTokens,
    double PlanLatencyMsP50,
    double PlanLatencyMsP99,
    double PlanTokensP50,
    int ValidPlans,
    double LoadMs)
{
    /// <summary>With an mmproj: the same plans with the camera frame, p50/p99, and their p50 against the text-only p50 above.</summary>
    public double? ImagePlanLatencyMsP50 { get; init; }
    public double? ImagePlanLatencyMsP99 { get; init; }
    public double? ImageVsTextP50 { get; init; }
    public int? ImagePromptPositions { get; init; }

    public string ToTable()
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        sb.AppendLine(c, $"model {Model}, {Threads} thread(s), prompt {PromptTokens} tokens, loaded in {LoadMs:F0} ms");
        sb.AppendLine(c, $"raw LLamaSharp (StatelessExecutor, no grammar): {RawTokensPerSecond,8:F1} tokens/s   (baseline 1.00)");
        sb.AppendLine(c, $"through the cortex (grammar, parse, validate):  {CortexTokensPerSecond,8:F1} tokens/s   ({CortexVsRaw:F2} of raw)");
        sb.AppendLine(c, $"instruction -> validated plan over {Plans} plans: p50 {PlanLatencyMsP50:F1} ms, p99 {PlanLatencyMsP99:F1} ms, {PlanTokensP50:F0} tokens p50, {ValidPlans}/{Plans} valid");
        if (ImagePlanLatencyMsP50 is { } ip50)
            sb.AppendLine(c, $"the same with the camera image ({ImagePromptPositions} prompt positions): p50 {ip50:F1} ms, p99 {ImagePlanLatencyMsP99:F1} ms   ({ImageVsTextP50:F2} of text-only p50)");
        return sb.ToString();
    }
}

/// <summary>
/// Tokens per second of raw LLamaSharp generation (its <see cref="StatelessExecutor"/>, no grammar, end of text
/// suppressed) against generation through the planner (grammar-constrained, parsed and validated), on the same model
/// and prompt in the same run, and the time from instruction to validated plan.
/// </summary>
public static class PlannerBenchmark
{
    /// <param name="image">With a planner that has an mmproj: also time the same plans with this frame.</param>
    public static async Task<PlannerBenchReport> Run(LlamaPlanner planner, PlanningContext context, int plans, int rawTokens, CancellationToken ct = default,
        CameraFrame? image = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(plans, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(rawTokens, 8);
        planner.Load();

        // Warm-up plan; it also gives the exact prompt the planner uses.
        await planner.PlanAsync(context, ct);
        var prompt = planner.LastStats?.LastPrompt ?? context.Instruction;

        var latencies = new List<double>();
        var tokens = new List<double>();
        int generated = 0, valid = 0, promptTokens = 0;
        var genTime = TimeSpan.Zero;
        for (int i = 0; i < plans; i++)
        {
            var sw = Stopwatch.StartNew();
            var result = await planner.PlanAsync(context, ct);
            bool ok = result.Plan is { } p && PlanValidator.Validate(p, context.Catalogue, context.Scene) is null;
            latencies.Add(sw.Elapsed.TotalMilliseconds);
            var s = planner.LastStats!;
            generated += s.GeneratedTokens;
            genTime += s.GenerationTime;
            tokens.Add(s.GeneratedTokens);
            promptTokens = s.PromptTokens / Math.Max(1, s.Attempts);
            if (ok) valid++;
        }

        List<double>? imageLatencies = null;
        int imagePositions = 0;
        if (image is not null && planner.SeesImages)
        {
            imageLatencies = [];
            var withImage = context with { Image = image };
            await planner.PlanAsync(withImage, ct); // warm-up of the image path
            for (int i = 0; i < plans; i++)
            {
                var sw = Stopwatch.StartNew();
                await planner.PlanAsync(withImage, ct);
                imageLatencies.Add(sw.Elapsed.TotalMilliseconds);
                imagePositions = planner.LastStats!.PromptTokens / Math.Max(1, planner.LastStats.Attempts);
            }
            imageLatencies.Sort();
        }

        double raw = await RawTokensPerSecond(planner.Options, prompt, rawTokens, ct);
        double cortex = genTime.TotalSeconds > 0 ? generated / genTime.TotalSeconds : 0;
        latencies.Sort();
        tokens.Sort();
        return new PlannerBenchReport(Path.GetFileName(planner.Options.ModelPath), planner.Options.EffectiveThreads, plans,
            Math.Round(raw, 1), Math.Round(cortex, 1), raw > 0 ? Math.Round(cortex / raw, 3) : 0, promptTokens,
            Math.Round(Percentiles.NearestRankOr(latencies, 0.5, 0), 2), Math.Round(Percentiles.NearestRankOr(latencies, 0.99, 0), 2), Percentiles.NearestRankOr(tokens, 0.5, 0), valid,
            Math.Round(planner.LoadTime.TotalMilliseconds, 1))
        {
            ImagePlanLatencyMsP50 = imageLatencies is null ? null : Math.Round(Percentiles.NearestRankOr(imageLatencies, 0.5, 0), 2),
            ImagePlanLatencyMsP99 = imageLatencies is null ? null : Math.Round(Percentiles.NearestRankOr(imageLatencies, 0.99, 0), 2),
            ImageVsTextP50 = imageLatencies is null ? null : Math.Round(Percentiles.NearestRankOr(imageLatencies, 0.5, 0) / Math.Max(1e-9, Percentiles.NearestRankOr(latencies, 0.5, 0)), 2),
            ImagePromptPositions = imageLatencies is null ? null : imagePositions,
        };
    }

    /// <summary>Raw generation speed from the first to the last generated token (prompt processing excluded).</summary>
    public static async Task<double> RawTokensPerSecond(LlamaPlannerOptions options, string prompt, int tokens, CancellationToken ct = default)
    {
        var parameters = new ModelParams(options.ModelPath)
        {
            ContextSize = options.ContextSize,
            Threads = options.EffectiveThreads,
            BatchThreads = options.EffectiveThreads,
            GpuLayerCount = options.GpuLayerCount,
        };
        using var weights = await LLamaWeights.LoadFromFileAsync(parameters, ct);
        var executor = new StatelessExecutor(weights, parameters);
        var inference = new InferenceParams
        {
            MaxTokens = tokens,
            SamplingPipeline = new DefaultSamplingPipeline { Seed = options.Seed, Temperature = options.Temperature, PreventEOS = true },
        };
        int n = 0;
        long first = 0, last = 0;
        await foreach (var _ in executor.InferAsync(prompt, inference, ct))
        {
            last = Stopwatch.GetTimestamp();
            if (n == 0) first = last;
            n++;
        }
        var seconds = Stopwatch.GetElapsedTime(first, last).TotalSeconds;
        return n > 1 && seconds > 0 ? (n - 1) / seconds : 0;
    }
}
