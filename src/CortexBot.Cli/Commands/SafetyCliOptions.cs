using System.CommandLine;
using CortexBot.Core.Safety;
using CortexBot.Host;

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

    public IEnumerable<Option> All => _ownsPolicy ? [Policy, AllowUnreviewed] : [AllowUnreviewed];

    public CortexBotOptions Apply(ParseResult parse, CortexBotOptions options) => options with
    {
        SafetyPolicyPath = parse.GetValue(Policy) is { } p ? Path.GetFullPath(p) : null,
        AllowUnreviewed = parse.GetValue(AllowUnreviewed),
    };

    /// <summary>The verdict in reports (`plan --json`, per episode in `run --json`).</summary>
    public static SafetyReport Report(SafetyVerdict v) => SafetyReport.From([v])!;
}
