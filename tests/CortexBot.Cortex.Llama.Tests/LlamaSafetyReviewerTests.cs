using CortexBot.Core;
using CortexBot.Core.Messages;
using CortexBot.Core.Safety;
using Xunit.Abstractions;

namespace CortexBot.Cortex.Llama.Tests;

/// <summary>The safety reviewer through the real LLamaSharp path, on generated tiny random-weight models.</summary>
public class LlamaSafetyReviewerTests(ITestOutputHelper output)
{
    private static readonly SafetyPolicy Sample = SafetyPolicy.Load(Path.Combine(RepoPaths.Agents, "safety.sample.json"));

    private static Plan PickPlace(string obj, string container) =>
        new([SkillInvocation.Of("open_gripper"), SkillInvocation.Of("pick", obj), SkillInvocation.Of("place", obj, container), SkillInvocation.Of("move_home")]);

    private static LlamaReviewerOptions Options(int modelSeed, uint seed) => new() { ModelPath = TestModels.Model(modelSeed), Seed = seed, Threads = 1, Temperature = 0.7f };

    [Fact]
    public async Task A_flagged_case_escalated_to_a_tiny_model_gets_a_grammar_valid_verdict_that_is_re_screened()
    {
        var scene = TestModels.ThreeCubesAndBin();
        const string instruction = "put the red cube in the bin next to the knife";
        var decisions = new HashSet<SafetyDecision>();
        foreach (var (modelSeed, seed) in new[] { (1, 1u), (2, 2u), (3, 3u), (1, 4u) })
        {
            using var reviewer = new LlamaSafetyReviewer(Options(modelSeed, seed));
            var flow = new SafetyReviewFlow(new PlanScreener(Sample), reviewer);
            var plan = PickPlace("red_cube", "bin");
            var fast = flow.Screen(plan, scene, instruction);
            Assert.True(SafetyReviewFlow.Reviewable(fast));
            var safetyCase = flow.CaseOf(plan, scene, instruction, fast);
            var (verdict, fact) = await flow.ReviewAsync(safetyCase, Guid.NewGuid(), CancellationToken.None);

            // The raw answer follows the grammar: it parses, and parses to the verdict the flow got.
            var (prompt, answer) = reviewer.Last!.Value;
            output.WriteLine($"model {modelSeed} seed {seed}: {answer}");
            Assert.Contains("hazard_words.knife", prompt);
            Assert.Contains("keep_out_zones.operator_hand", prompt);
            var parsed = VerdictGrammar.TryParse(answer, out var error);
            Assert.True(parsed is not null, error);
            Assert.Matches("^\\{ ?\"verdict\" ?: ?\"(allow|modify|refuse)\" ?, ?\"reason\" ?: ?\"[a-zA-Z0-9 ,.;:()_'/-]{1,120}\" ?, ?\"modification\" ?: ?(null|\\{ ?\"max_tool_speed\" ?: ?0\\.\\d{1,3} ?\\}) ?\\}$", answer);
            Assert.NotNull(fact);
            Assert.Equal(parsed, fact!.Verdict);
            Assert.True(verdict.Escalated);
            Assert.True(verdict.ReviewMs > 0);
            Assert.Equal(flow.Resolve(safetyCase, parsed!).Decision, verdict.Decision);
            if (parsed!.Decision == SafetyDecision.Modify) Assert.True(parsed.MaxToolSpeed is > 0 and < 1);
            decisions.Add(parsed.Decision);
        }
        output.WriteLine($"decisions: {string.Join(", ", decisions)}");
    }

    [Fact]
    public async Task A_tiny_model_verdict_for_a_rule_violation_is_still_refused()
    {
        // The bin lies under the operator's hand: whatever the model answers, the re-screen refuses by the rule.
        var scene = TestModels.Scene(TestModels.Cube("red", 0.4, 0.1), new SceneObject("bin2", SceneKinds.Bin, null,
            new Core.Geometry.Pose(new Core.Geometry.Vec3(0.45, 0.5, 0.04), Core.Geometry.Quat.Identity), new Core.Geometry.Vec3(0.08, 0.08, 0.04)));
        using var reviewer = new LlamaSafetyReviewer(Options(1, 1));
        var flow = new SafetyReviewFlow(new PlanScreener(Sample), reviewer);
        var plan = PickPlace("red_cube", "bin2");
        const string instruction = "put the red cube in bin2 next to the knife";
        var fast = flow.Screen(plan, scene, instruction);
        var safetyCase = flow.CaseOf(plan, scene, instruction, fast);
        var (verdict, fact) = await flow.ReviewAsync(safetyCase, Guid.NewGuid(), CancellationToken.None);
        Assert.NotNull(fact);
        Assert.True(verdict.Refused);
        Assert.Contains("keep_out_zones.operator_hand: place target bin2 lies in the zone", verdict.Reasons);
    }

    [Fact]
    public void The_verdict_parser_refuses_what_the_grammar_does_not_allow()
    {
        Assert.Equal(new ReviewVerdict(SafetyDecision.Modify, "slow", 0.05),
            VerdictGrammar.TryParse("{\"verdict\": \"modify\", \"reason\": \"slow\", \"modification\": {\"max_tool_speed\": 0.05}}", out _));
        Assert.Equal(new ReviewVerdict(SafetyDecision.Allow, "ok"), VerdictGrammar.TryParse("{\"verdict\":\"allow\",\"reason\":\"ok\",\"modification\":null}", out _));
        Assert.Null(VerdictGrammar.TryParse("{\"verdict\": \"maybe\", \"reason\": \"x\", \"modification\": null}", out var e1));
        Assert.Contains("not allow, modify or refuse", e1);
        Assert.Null(VerdictGrammar.TryParse("{\"verdict\": \"modify\", \"reason\": \"x\", \"modification\": null}", out var e2));
        Assert.Equal("modify without a modification", e2);
        Assert.Null(VerdictGrammar.TryParse("{\"verdict\": \"allow\", \"reason\": \"x\"", out _));
    }

    [Fact]
    public void A_missing_or_bad_model_file_is_a_configuration_error()
    {
        var e = Assert.Throws<ConfigurationException>(() => new LlamaSafetyReviewer(new LlamaReviewerOptions { ModelPath = "/nonexistent/model.gguf" }));
        Assert.Contains("--safety-model", e.Message);
        var bad = TestModels.TempFile("bad.gguf");
        Directory.CreateDirectory(Path.GetDirectoryName(bad)!);
        File.WriteAllText(bad, "not a gguf file at all");
        Assert.Throws<ConfigurationException>(() => new LlamaSafetyReviewer(new LlamaReviewerOptions { ModelPath = bad }));
    }
}
