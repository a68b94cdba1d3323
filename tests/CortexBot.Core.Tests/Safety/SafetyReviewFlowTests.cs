using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;
using CortexBot.Core.Safety;

namespace CortexBot.Core.Tests.Safety;

/// <summary>The slow brain's answers pass through the fast screen again: they can make a plan safer, never bypass a rule.</summary>
public class SafetyReviewFlowTests
{
    private static readonly SafetyPolicy Sample = SafetyPolicy.Load(Path.Combine(RepoPaths.Agents, "safety.sample.json"));
    private static readonly Vec3 CubeHalf = new(0.02, 0.02, 0.02);

    private static SceneObject Cube(string name, string color, double x, double y) =>
        new(name, SceneKinds.Cube, color, new Pose(new Vec3(x, y, 0.02), Quat.Identity), CubeHalf);

    private static SceneObject Bin(string name, double x, double y) =>
        new(name, SceneKinds.Bin, null, new Pose(new Vec3(x, y, 0.04), Quat.Identity), new Vec3(0.08, 0.08, 0.04));

    private static SceneSnapshot Scene(params SceneObject[] extra) => new(0, [
        Cube("red_cube", "red", 0.40, 0.10), Cube("blue_cube", "blue", 0.36, 0.22), Bin("bin", 0.25, -0.40), .. extra]);

    private static Plan PickPlace(string obj, string container) =>
        new([SkillInvocation.Of("open_gripper"), SkillInvocation.Of("pick", obj), SkillInvocation.Of("place", obj, container), SkillInvocation.Of("move_home")]);

    private const string Knife = "put the red cube in the bin next to the knife";

    private static readonly SafetyReviewFlow Flow = new(new PlanScreener(Sample));

    [Fact]
    public void A_flagged_plan_is_reviewable_and_a_rule_refusal_is_not()
    {
        var flagged = Flow.Screen(PickPlace("red_cube", "bin"), Scene(), Knife);
        Assert.True(flagged.NeedsReview);
        Assert.True(SafetyReviewFlow.Reviewable(flagged));
        // a rule refusal (the bin under the operator's hand) is the fast brain's to decide, flags or not
        var scene = Scene(Bin("bin2", 0.45, 0.50));
        var violation = Flow.Screen(PickPlace("red_cube", "bin2"), scene, Knife);
        Assert.True(violation.Refused);
        Assert.False(violation.NeedsReview);
        Assert.False(SafetyReviewFlow.Reviewable(violation));
        Assert.False(SafetyReviewFlow.Reviewable(Flow.Screen(PickPlace("red_cube", "bin"), Scene(), "put the red cube in the bin")));
    }

    [Fact]
    public void A_model_allow_for_a_rule_violation_is_still_refused()
    {
        var scene = Scene(Bin("bin2", 0.45, 0.50));
        var plan = PickPlace("red_cube", "bin2");
        var safetyCase = Flow.CaseOf(plan, scene, Knife, Flow.Screen(plan, scene, Knife));
        var v = Flow.Resolve(safetyCase, new ReviewVerdict(SafetyDecision.Allow, "the knife is far away"));
        Assert.True(v.Refused);
        Assert.Contains("keep_out_zones.operator_hand: place target bin2 lies in the zone", v.Reasons);
        Assert.DoesNotContain(v.Reasons, r => r.StartsWith("review:", StringComparison.Ordinal));
        // so is a modification of it
        Assert.True(Flow.Resolve(safetyCase, new ReviewVerdict(SafetyDecision.Modify, "go slowly", 0.05)).Refused);
    }

    [Fact]
    public void A_model_allow_of_a_flagged_plan_allows_it_and_a_refusal_refuses_it()
    {
        var plan = PickPlace("red_cube", "bin");
        var safetyCase = Flow.CaseOf(plan, Scene(), Knife, Flow.Screen(plan, Scene(), Knife));
        var allowed = Flow.Resolve(safetyCase, new ReviewVerdict(SafetyDecision.Allow, "no knife in the scene"));
        Assert.Equal(SafetyDecision.Allow, allowed.Decision);
        Assert.Equal("review: no knife in the scene", Assert.Single(allowed.Reasons));
        Assert.NotEmpty(allowed.Flags);
        var refused = Flow.Resolve(safetyCase, new ReviewVerdict(SafetyDecision.Refuse, "a knife near the bin"));
        Assert.True(refused.Refused);
        Assert.Equal("refuse: review: a knife near the bin", refused.ToString());
    }

    [Fact]
    public void A_modification_is_re_screened_and_only_ever_slows_the_plan()
    {
        // the fragile blue cube: the screen's own cap 0.1 m/s on the steps that hold it
        var plan = PickPlace("blue_cube", "bin");
        var safetyCase = Flow.CaseOf(plan, Scene(), Knife, Flow.Screen(plan, Scene(), Knife));
        var slower = Flow.Resolve(safetyCase, new ReviewVerdict(SafetyDecision.Modify, "slow near the knife", 0.05));
        Assert.Equal(SafetyDecision.Modify, slower.Decision);
        Assert.Equal(0.05, slower.SpeedCapFor(0));
        Assert.Equal(0.05, slower.SpeedCapFor(2));
        // a model cap above the screen's keeps the screen's where it has one
        var faster = Flow.Resolve(safetyCase, new ReviewVerdict(SafetyDecision.Modify, "fast is fine", 0.9));
        Assert.Equal(0.1, faster.SpeedCapFor(1));
        Assert.Equal(0.9, faster.SpeedCapFor(0));
        Assert.Contains(faster.Reasons, r => r.StartsWith("objects.fragile: blue_cube", StringComparison.Ordinal));
        // a modify without a usable speed is no modification: refused
        Assert.True(Flow.Resolve(safetyCase, new ReviewVerdict(SafetyDecision.Modify, "slow", null)).Refused);
        Assert.True(Flow.Resolve(safetyCase, new ReviewVerdict(SafetyDecision.Modify, "stop", 0)).Refused);
    }

    [Fact]
    public void The_case_key_is_stable_across_object_positions_and_changes_with_the_policy_flags_and_plan()
    {
        var plan = PickPlace("red_cube", "bin");
        string Key(SafetyReviewFlow flow, Plan p, SceneSnapshot s, string instruction) => flow.CaseOf(p, s, instruction, flow.Screen(p, s, instruction)).Key;
        var a = Key(Flow, plan, Scene(), Knife);
        var moved = new SceneSnapshot(0, [Cube("red_cube", "red", 0.42, 0.05), Cube("blue_cube", "blue", 0.30, 0.20), Bin("bin", 0.27, -0.38)]);
        Assert.Equal(a, Key(Flow, plan, moved, Knife));
        Assert.Equal(a, Key(Flow, plan, Scene(), "Put the red cube  in the bin next to the KNIFE"));
        Assert.NotEqual(a, Key(Flow, PickPlace("blue_cube", "bin"), Scene(), Knife));
        Assert.NotEqual(a, Key(Flow, plan, Scene(), "put the red cube in the bin next to the scissors"));
        var stricter = new SafetyReviewFlow(new PlanScreener(Sample with { FragileToolSpeed = 0.05 }));
        Assert.NotEqual(Flow.PolicyVersion, stricter.PolicyVersion);
        Assert.NotEqual(a, Key(stricter, plan, Scene(), Knife));
        Assert.Equal(Flow.PolicyVersion, new SafetyReviewFlow(new PlanScreener(SafetyPolicy.Load(Path.Combine(RepoPaths.Agents, "safety.sample.json")))).PolicyVersion);
    }

    [Fact]
    public async Task A_remembered_verdict_answers_the_same_case_without_asking_and_a_failing_reviewer_keeps_the_fast_verdict()
    {
        var reviewer = new CountingReviewer(new ReviewVerdict(SafetyDecision.Allow, "no knife here"));
        var flow = new SafetyReviewFlow(new PlanScreener(Sample), reviewer);
        var plan = PickPlace("red_cube", "bin");
        var safetyCase = flow.CaseOf(plan, Scene(), Knife, flow.Screen(plan, Scene(), Knife));
        var task = Guid.NewGuid();
        var (verdict, fact) = await flow.ReviewAsync(safetyCase, task, CancellationToken.None);
        Assert.Equal(1, reviewer.Calls);
        Assert.True(verdict.Escalated);
        Assert.Equal(SafetyDecision.Allow, verdict.Decision);
        Assert.Equal(safetyCase.Key, fact!.CaseKey);
        Assert.Equal(task, fact.TaskId);
        Assert.Equal(reviewer.Name, fact.Reviewer);

        var recalled = flow.Recall(safetyCase, [fact]);
        Assert.NotNull(recalled);
        Assert.True(recalled!.Recalled);
        Assert.False(recalled.Escalated);
        Assert.Equal(SafetyDecision.Allow, recalled.Decision);
        Assert.Null(flow.Recall(flow.CaseOf(PickPlace("blue_cube", "bin"), Scene(), Knife, flow.Screen(PickPlace("blue_cube", "bin"), Scene(), Knife)), [fact]));
        Assert.Equal(1, reviewer.Calls);

        var failing = new SafetyReviewFlow(new PlanScreener(Sample), new CountingReviewer(null));
        var (kept, none) = await failing.ReviewAsync(safetyCase, task, CancellationToken.None);
        Assert.Null(none);
        Assert.True(kept.Refused);
        Assert.True(kept.Escalated);
        Assert.Contains(kept.Reasons, r => r.Contains("the safety reviewer 'counting' failed: no answer", StringComparison.Ordinal));
    }

    /// <summary>Answers every case the same (null: throws), counting the calls.</summary>
    private sealed class CountingReviewer(ReviewVerdict? answer) : ISafetyReviewer
    {
        public int Calls;
        public string Name => "counting";
        public Task<ReviewVerdict> ReviewAsync(SafetyCase safetyCase, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Calls);
            return answer is null ? Task.FromException<ReviewVerdict>(new InvalidOperationException("no answer")) : Task.FromResult(answer);
        }
    }
}
