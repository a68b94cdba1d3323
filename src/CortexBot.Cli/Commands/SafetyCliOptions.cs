using System.CommandLine;
using CortexBot.Core.Safety;
using CortexBot.Cortex.Llama;
using CortexBot.Host;
using Microsoft.Extensions.Logging;

namespace CortexBot.Cli.Commands;

/// <summary>The safety screen's options, shared by `run` and `plan`.</summary>
/// <param name="policy">The --safety-policy option when another group owns it (run's robot options, which a robot node is given too).</param>
internal sealed class SafetyCliOptions(Option<string?>? policy = null)
{
    public static Option<string?> PolicyOption() => new("--safety-policy")
    {
        Description = "Safety policy every plan is screened against and whose zones the safety gate enforces (commented JSON; default agents/safety.json)",
    };

    public readonly Option<string?> Policy = policy ?? PolicyOption();
    private readonly bool _ownsPolicy = policy is null;
    public readonly Option<bool> AllowUnreviewed = new("--allow-unreviewed")
    {
        Description = "Run plans the safety screen flagged for review (an object without properties, a hazard word no rule covers, an unknown relation) instead of refusing them",
    };

    public readonly Option<string?> SafetyModel = new("--safety-model")
    {
        Description = "GGUF model of the slow safety reviewer: plans the screen flagged are escalated to it (its answer is screened again; a case it answered is remembered and not asked again). Without one, flagged plans are refused \"needs review\"",
    };

    public IEnumerable<Option> All => _ownsPolicy ? [Policy, AllowUnreviewed, SafetyModel] : [AllowUnreviewed, SafetyModel];

    public CortexBotOptions Apply(ParseResult parse, CortexBotOptions options) => options with
    {
        SafetyPolicyPath = parse.GetValue(Policy) is { } p ? Path.GetFullPath(p) : null,
        AllowUnreviewed = parse.GetValue(AllowUnreviewed),
        SafetyModelPath = parse.GetValue(SafetyModel) is { } m ? Path.GetFullPath(m) : null,
    };

    /// <summary>
    /// The safety reviewer for validated <paramref name="options"/>, loaded now (before anything moves), or null without
    /// --safety-model. A bad model file is a <see cref="Core.ConfigurationException"/>.
    /// </summary>
    public static LlamaSafetyReviewer? CreateReviewer(CortexBotOptions options, ILoggerFactory loggers)
    {
        if (options.SafetyModelPath is null) return null;
        var reviewer = new LlamaSafetyReviewer(new LlamaReviewerOptions { ModelPath = options.SafetyModelPath, GpuLayerCount = options.GpuLayers },
            loggers.CreateLogger<LlamaSafetyReviewer>());
        try
        {
            reviewer.Load();
            return reviewer;
        }
        catch
        {
            reviewer.Dispose();
            throw;
        }
    }

    /// <summary>The verdict in reports (`plan --json`, per episode in `run --json`).</summary>
    public static SafetyReport Report(SafetyVerdict v) => SafetyReport.From([v])!;
}
