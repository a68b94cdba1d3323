using CortexBot.Core;
using CortexBot.Core.Messages;
using CortexBot.Core.Safety;
using Xunit.Abstractions;

namespace CortexBot.Cortex.Llama.Tests;

/// <summary>The cortex actor escalating a flagged plan to the real reviewer on a generated tiny model.</summary>
public class CortexEscalationWithLlamaTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [Fact]
    public void A_flagged_plan_is_escalated_to_the_tiny_model_once_and_its_case_is_answered_from_memory_after()
    {
        var policy = SafetyPolicy.Load(Path.Combine(RepoPaths.Agents, "safety.sample.json"));
        using var reviewer = new LlamaSafetyReviewer(new LlamaReviewerOptions { ModelPath = TestModels.Model(2), Seed = 3, Threads = 1 });
        var cortex = Sys.ActorOf(CortexActor.Props(new RulePlanner(), TestModels.Catalogue, Patience, screener: new PlanScreener(policy), reviewer: reviewer));
        const string instruction = "put the red cube in the bin next to the knife";

        cortex.Tell(new PlanRequest(Guid.NewGuid(), instruction, TestModels.ThreeCubesAndBin(), [], null), TestActor);
        var first = ExpectMsg<object>(Patience);
        var verdict = first switch { PlanReady r => r.Safety!, PlanRefused r => r.Safety!, _ => throw new Xunit.Sdk.XunitException($"unexpected {first}") };
        Output?.WriteLine($"{verdict} (model answered: {reviewer.Last?.Answer})");
        Assert.True(verdict.Escalated);
        var fact = verdict.Review!;
        Assert.Equal(VerdictGrammar.TryParse(reviewer.Last!.Value.Answer, out _), fact.Verdict);
        Assert.StartsWith("llama:", fact.Reviewer);
        // the re-screen's verdict follows the model's answer here (no rule is broken): refused only when the model refused
        Assert.Equal(fact.Verdict.Decision == SafetyDecision.Refuse, verdict.Refused);

        reviewer.Dispose();   // a second escalation would now fail: the same case must come from memory
        cortex.Tell(new PlanRequest(Guid.NewGuid(), instruction, TestModels.ThreeCubesAndBin(), [], null), TestActor);
        var second = ExpectMsg<object>(Patience);
        var again = second switch { PlanReady r => r.Safety!, PlanRefused r => r.Safety!, _ => throw new Xunit.Sdk.XunitException($"unexpected {second}") };
        Assert.True(again.Recalled);
        Assert.False(again.Escalated);
        Assert.Equal(verdict.Decision, again.Decision);
    }
}
