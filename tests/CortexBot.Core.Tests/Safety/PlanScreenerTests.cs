using System.Collections.Immutable;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;
using CortexBot.Core.Safety;

namespace CortexBot.Core.Tests.Safety;

/// <summary>Each rule kind of the sample policy refuses or modifies a plan that breaks it and allows one that keeps it.</summary>
public class PlanScreenerTests
{
    private static readonly SafetyPolicy Sample = SafetyPolicy.Load(Path.Combine(RepoPaths.Agents, "safety.sample.json"));
    private static readonly SafetyPolicy Default = SafetyPolicy.Load(Path.Combine(RepoPaths.Agents, "safety.json"));
    private static readonly Vec3 CubeHalf = new(0.02, 0.02, 0.02);

    private static SceneObject Cube(string name, string color, double x, double y, double z = 0.02) =>
        new(name, SceneKinds.Cube, color, new Pose(new Vec3(x, y, z), Quat.Identity), CubeHalf);

    private static SceneObject Bin(string name, double x, double y) =>
        new(name, SceneKinds.Bin, null, new Pose(new Vec3(x, y, 0.04), Quat.Identity), new Vec3(0.08, 0.08, 0.04));

    /// <summary>The shipped scene's layout plus a second bin under the operator's hand.</summary>
    private static SceneSnapshot Scene(params SceneObject[] extra) => new(0, [
        Cube("red_cube", "red", 0.40, 0.10), Cube("green_cube", "green", 0.46, -0.08), Cube("blue_cube", "blue", 0.36, 0.22),
        Bin("bin", 0.25, -0.40), .. extra]);

    private static Plan P(params SkillInvocation[] steps) => new([.. steps]);
    private static SkillInvocation S(string skill, params string[] args) => SkillInvocation.Of(skill, args);
    private static Plan PickPlace(string obj, string container) => P(S("open_gripper"), S("pick", obj), S("place", obj, container), S("move_home"));

    private static SafetyVerdict Screen(Plan plan, SceneSnapshot scene, string instruction = "put it away", SafetyPolicy? policy = null, bool allowUnreviewed = false) =>
        new PlanScreener(policy ?? Sample, allowUnreviewed).Screen(plan, scene, instruction);

    [Fact]
    public void A_compliant_plan_is_allowed()
    {
        var v = Screen(PickPlace("red_cube", "bin"), Scene(), "put the red cube in the bin");
        Assert.Equal(SafetyDecision.Allow, v.Decision);
        Assert.Empty(v.Reasons);
        Assert.Empty(v.Flags);
        Assert.Equal("allow", v.Verdict);
    }

    [Fact]
    public void Keep_out_zones_refuse_a_place_target_in_the_zone_and_allow_one_outside()
    {
        var scene = Scene(Bin("bin2", 0.45, 0.50));
        var v = Screen(PickPlace("red_cube", "bin2"), scene);
        Assert.Equal(SafetyDecision.Refuse, v.Decision);
        Assert.Contains("keep_out_zones.operator_hand: place target bin2 lies in the zone", v.Reasons);
        Assert.Equal(SafetyDecision.Allow, Screen(PickPlace("red_cube", "bin"), scene).Decision);
    }

    [Fact]
    public void Keep_out_zones_refuse_a_pick_or_move_above_target_in_the_zone()
    {
        var scene = Scene(Cube("yellow_cube", "yellow", 0.45, 0.40));
        Assert.Contains("keep_out_zones.operator_hand: pick target yellow_cube lies in the zone", Screen(PickPlace("yellow_cube", "bin"), scene).Reasons);
        Assert.Contains("keep_out_zones.operator_hand: move_above target yellow_cube lies in the zone", Screen(P(S("move_above", "yellow_cube")), scene).Reasons);
        // a cube's box touching the zone's face counts; one clear of it does not
        Assert.Equal(SafetyDecision.Refuse, Screen(P(S("move_above", "c")), Scene(Cube("c", "red", 0.45, 0.345))).Decision);
        Assert.Equal(SafetyDecision.Allow, Screen(P(S("move_above", "c")), Scene(Cube("c", "red", 0.45, 0.335))).Decision);
    }

    [Fact]
    public void Forbidden_relations_refuse_stacking_on_a_fragile_object_and_allow_stacking_on_a_sturdy_one()
    {
        var v = Screen(P(S("pick", "red_cube"), S(SkillNames.Stack, "red_cube", "blue_cube")), Scene());
        Assert.Equal(SafetyDecision.Refuse, v.Decision);
        Assert.Contains("forbidden_relations.nothing_on_fragile: stack(red_cube, blue_cube) implies on(red_cube, blue_cube) (blue_cube: fragile)", v.Reasons);
        Assert.Equal(SafetyDecision.Allow, Screen(P(S("pick", "red_cube"), S(SkillNames.Stack, "red_cube", "green_cube")), Scene()).Decision);
    }

    [Fact]
    public void Forbidden_relations_refuse_putting_into_a_container_in_a_zone()
    {
        var policy = SafetyPolicy.Parse("""
            { "speed_zones": [ { "name": "shelf", "min": [0.3, 0.3, 0], "max": [0.6, 0.7, 0.3], "max_tool_speed": 0.2 } ],
              "forbidden_relations": [ { "name": "nothing_into_zones", "relation": "in", "target": "zone" } ] }
            """, "t");
        var scene = Scene(Bin("bin2", 0.45, 0.50));
        var v = Screen(PickPlace("red_cube", "bin2"), scene, policy: policy);
        Assert.Equal(SafetyDecision.Refuse, v.Decision);
        Assert.Contains("forbidden_relations.nothing_into_zones: place(red_cube, bin2) implies in(red_cube, bin2) (bin2: zone)", v.Reasons);
        Assert.Equal(SafetyDecision.Allow, Screen(PickPlace("red_cube", "bin"), scene, policy: policy).Decision);
    }

    [Fact]
    public void Payload_refuses_an_object_heavier_than_the_arm_carries()
    {
        var policy = SafetyPolicy.Parse("""{ "arm": { "payload_kg": 0.5 }, "objects": [ { "kind": "cube", "mass_kg": 0.05 }, { "name": "iron_*", "mass_kg": 3 } ] }""", "t");
        var scene = Scene(Cube("iron_cube", "grey", 0.45, 0.0));
        var v = Screen(PickPlace("iron_cube", "bin"), scene, policy: policy);
        Assert.Equal(SafetyDecision.Refuse, v.Decision);
        Assert.Contains("arm.payload_kg: iron_cube weighs 3 kg, above the arm's payload 0.5 kg", v.Reasons);
        Assert.Equal(SafetyDecision.Allow, Screen(PickPlace("red_cube", "bin"), scene, policy: policy).Decision);
    }

    [Fact]
    public void Fragile_handling_modifies_the_plan_with_a_speed_cap_on_every_step_that_holds_the_object()
    {
        var plan = P(S("open_gripper"), S("pick", "blue_cube"), S("move_above", "bin"), S("place", "blue_cube", "bin"), S("move_home"));
        var v = Screen(plan, Scene());
        Assert.Equal(SafetyDecision.Modify, v.Decision);
        Assert.Equal("objects.fragile: blue_cube is fragile: tool speed <= 0.1 m/s while handling it", Assert.Single(v.Reasons));
        Assert.Equal([1, 2, 3], v.Modification!.SpeedCaps.Select(c => c.Step));
        Assert.Equal(0.1, v.SpeedCapFor(2));
        Assert.Null(v.SpeedCapFor(0));
        Assert.Null(v.SpeedCapFor(4));
        Assert.Equal(SafetyDecision.Allow, Screen(PickPlace("green_cube", "bin"), Scene()).Decision);
    }

    [Fact]
    public void An_object_without_properties_is_flagged_and_refused_as_needing_review_unless_allowed()
    {
        var scene = Scene(new SceneObject("mug", "mug", "white", new Pose(new Vec3(0.45, 0.0, 0.05), Quat.Identity), new Vec3(0.04, 0.04, 0.05)));
        var v = Screen(PickPlace("mug", "bin"), scene);
        Assert.Equal(SafetyDecision.Refuse, v.Decision);
        Assert.Equal("needs review: objects: no properties for mug (kind mug, color white), which step 2 pick(mug) handles", v.Reasons[0]);
        var allowed = Screen(PickPlace("mug", "bin"), scene, allowUnreviewed: true);
        Assert.Equal(SafetyDecision.Allow, allowed.Decision);
        Assert.NotEmpty(allowed.Flags);
        // the default policy requires no properties
        Assert.Equal(SafetyDecision.Allow, Screen(PickPlace("mug", "bin"), scene, policy: Default).Decision);
    }

    [Fact]
    public void Hazard_words_without_a_rule_are_flagged_and_a_covered_word_is_not()
    {
        var v = Screen(PickPlace("red_cube", "bin"), Scene(), "put the red cube next to the knife");
        Assert.Equal(SafetyDecision.Refuse, v.Decision);
        Assert.Equal("needs review: hazard_words.knife: 'knife' in the instruction and no rule of the policy covers it", Assert.Single(v.Reasons));
        // "hand" is covered by the keep-out zone operator_hand in the sample, not in the default policy
        Assert.Equal(SafetyDecision.Allow, Screen(PickPlace("red_cube", "bin"), Scene(), "put the red cube in the bin, mind my hand").Decision);
        Assert.Equal(SafetyDecision.Refuse, Screen(PickPlace("red_cube", "bin"), Scene(), "put the red cube in the bin, mind my hands", Default).Decision);
        Assert.Equal(SafetyDecision.Allow, Screen(PickPlace("red_cube", "bin"), Scene(), "put the red cube in the bin, handle with care", Default).Decision);
    }

    [Fact]
    public void A_skill_whose_relation_is_unknown_is_flagged_and_its_targets_still_screened()
    {
        var v = Screen(P(S("push", "red_cube", "bin")), Scene());
        Assert.Equal(SafetyDecision.Refuse, v.Decision);
        Assert.Contains("needs review: relations: step 1 push(red_cube, bin) implies a relation the screen does not know", v.Reasons);
        var inZone = Screen(P(S("push", "y")), Scene(Cube("y", "red", 0.45, 0.45)), allowUnreviewed: true);
        Assert.Contains("keep_out_zones.operator_hand: push target y lies in the zone", inZone.Reasons);
    }

    [Fact]
    public void An_upright_object_given_to_the_learned_skill_is_flagged()
    {
        var v = Screen(P(S("learned_pick_place", "blue_cube", "bin")), Scene());
        Assert.Equal(SafetyDecision.Refuse, v.Decision);
        Assert.Contains("needs review: objects.upright: blue_cube must stay upright and the learned skill does not promise it", v.Reasons);
        Assert.Equal(SafetyDecision.Allow, Screen(P(S("learned_pick_place", "red_cube", "bin")), Scene()).Decision);
    }

    [Fact]
    public void The_permissive_policy_allows_everything_and_screening_takes_microseconds()
    {
        var screener = new PlanScreener(SafetyPolicy.Permissive);
        for (int i = 0; i < 50; i++) screener.Screen(PickPlace("red_cube", "bin"), Scene(), "x");
        var v = screener.Screen(P(S("push", "red_cube")), Scene(), "knife");
        // no hazard words, no rules: only the unknown skill is flagged
        Assert.Single(v.Flags);
        Assert.True(v.ScreenUs > 0);
    }
}
