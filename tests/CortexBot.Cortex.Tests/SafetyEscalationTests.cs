using CortexBot.Core.Messages;
using CortexBot.Core.Safety;
using Xunit.Abstractions;

namespace CortexBot.Cortex.Tests;

/// <summary>The cortex escalates flagged plans to the slow reasoning brain, re-screens its answer and remembers it.</summary>
public class SafetyEscalationTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(5);

    // "knife" is a hazard word no rule covers; the zone lies where the second bin of the violation test stands.
    private static readonly SafetyPolicy Policy = SafetyPolicy.Parse("""
        { "keep_out_zones": [ { "name": "operator_hand", "min": [0.1, 0.3, 0], "max": [0.3, 0.6, 0.3] } ],
          "hazard_words": ["knife"] }
        """, "test");

    private const string Knife = "put the red cube in the bin, the knife is near";

    /// <summary>A reviewer double: answers every case the same, counting calls and keeping the cases.</summary>
    private sealed class ScriptedReviewer(ReviewVerdict answer, TimeSpan? delay = null) : ISafetyReviewer
    {
        public int Calls;
        public readonly List<SafetyCase> Cases = [];
        public string Name => "scripted";
        public async Task<ReviewVerdict> ReviewAsync(SafetyCase safetyCase, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Calls);
            lock (Cases) Cases.Add(safetyCase);
            if (delay is { } d) await Task.Delay(d, cancellationToken);
            return answer;
        }
    }

    private Akka.Actor.IActorRef Cortex(ISafetyReviewer? reviewer, TimeSpan? timeout = null) =>
        Sys.ActorOf(CortexActor.Props(new RulePlanner(), TestScenes.Catalogue, timeout ?? Patience, screener: new PlanScreener(Policy), reviewer: reviewer));

    [Fact]
    public void A_flagged_plan_is_escalated_its_verdict_carries_the_review_and_the_same_case_is_not_escalated_again()
    {
        var reviewer = new ScriptedReviewer(new ReviewVerdict(SafetyDecision.Modify, "slow near the knife", 0.05));
        var cortex = Cortex(reviewer);
        cortex.Tell(TestScenes.Request(Knife), TestActor);
        var ready = ExpectMsg<PlanReady>(Patience);
        Assert.Equal(1, reviewer.Calls);
        var safety = ready.Safety!;
        Assert.True(safety.Escalated);
        Assert.True(safety.ReviewMs > 0);
        Assert.Equal(SafetyDecision.Modify, safety.Decision);
        Assert.Equal(0.05, safety.SpeedCapFor(0));
        var fact = safety.Review!;
        Assert.Equal(reviewer.Cases[0].Key, fact.CaseKey);
        Assert.Equal("scripted", fact.Reviewer);
        Assert.Contains("hazard_words.knife: 'knife' in the instruction and no rule of the policy covers it", reviewer.Cases[0].Flags);
        Assert.Contains("keep_out_zones.operator_hand", reviewer.Cases[0].PolicyText);

        // the same case again (another scene of the same objects): answered from the cortex's own memory of the review
        var moved = TestScenes.Of(TestScenes.Cube("red", 0.42, 0.12), TestScenes.Cube("green", 0.45, 0.0), TestScenes.Cube("blue", 0.4, -0.1), TestScenes.Bin(x: 0.52));
        cortex.Tell(TestScenes.Request(Knife, moved), TestActor);
        var again = ExpectMsg<PlanReady>(Patience);
        Assert.Equal(1, reviewer.Calls);
        Assert.False(again.Safety!.Escalated);
        Assert.True(again.Safety.Recalled);
        Assert.Equal(0.05, again.Safety.SpeedCapFor(0));

        // a fresh cortex (a new run) given the fact by the hippocampus does not ask either
        var fresh = Cortex(reviewer);
        fresh.Tell(TestScenes.Request(Knife) with { SafetyFacts = [fact] }, TestActor);
        Assert.True(ExpectMsg<PlanReady>(Patience).Safety!.Recalled);
        Assert.Equal(1, reviewer.Calls);
        // ... and without the fact it does
        Cortex(reviewer).Tell(TestScenes.Request(Knife), TestActor);
        Assert.True(ExpectMsg<PlanReady>(Patience).Safety!.Escalated);
        Assert.Equal(2, reviewer.Calls);
    }

    [Fact]
    public void A_model_allow_never_releases_a_rule_violation_and_a_refusal_refuses()
    {
        var allowAll = new ScriptedReviewer(new ReviewVerdict(SafetyDecision.Allow, "looks fine"));
        var cortex = Cortex(allowAll);
        var binInZone = TestScenes.Of(TestScenes.Cube("red", 0.4, 0.1), TestScenes.Bin(x: 0.2, y: 0.45));
        cortex.Tell(TestScenes.Request(Knife, binInZone), TestActor);
        var refused = ExpectMsg<PlanRefused>(Patience);
        Assert.Equal("safety: refuse: keep_out_zones.operator_hand: place target bin lies in the zone", refused.Reason);
        Assert.False(refused.Safety!.Escalated);   // a rule decides; the slow brain is not asked
        Assert.Equal(0, allowAll.Calls);

        var refuser = new ScriptedReviewer(new ReviewVerdict(SafetyDecision.Refuse, "a knife near the bin"));
        Cortex(refuser).Tell(TestScenes.Request(Knife), TestActor);
        var no = ExpectMsg<PlanRefused>(Patience);
        Assert.Equal("safety: refuse: review: a knife near the bin", no.Reason);
        Assert.True(no.Safety!.Escalated);
        Assert.NotNull(no.Safety.Review);
    }

    [Fact]
    public void Without_a_reviewer_a_flagged_plan_is_refused_as_needing_review_and_a_slow_review_shares_the_plan_timeout()
    {
        Cortex(null).Tell(TestScenes.Request(Knife), TestActor);
        var refused = ExpectMsg<PlanRefused>(Patience);
        Assert.StartsWith("safety: refuse: needs review: hazard_words.knife", refused.Reason);
        Assert.False(refused.Safety!.Escalated);

        var slow = new ScriptedReviewer(new ReviewVerdict(SafetyDecision.Allow, "fine"), TimeSpan.FromSeconds(30));
        Cortex(slow, TimeSpan.FromMilliseconds(500)).Tell(TestScenes.Request(Knife), TestActor);
        var timedOut = ExpectMsg<PlanRefused>(Patience);
        Assert.StartsWith("safety review timed out after 0.5 s", timedOut.Reason);
    }
}
