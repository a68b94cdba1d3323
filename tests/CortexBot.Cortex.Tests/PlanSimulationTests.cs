using CortexBot.Core.Geometry;
using CortexBot.Core.Goals;
using CortexBot.Core.Messages;
using CortexBot.Core.Skills;

namespace CortexBot.Cortex.Tests;

/// <summary>
/// The plan validator simulates every plan with the catalogue's preconditions and effects (what the hand holds, what is
/// in or on what), so a plan that breaks a precondition is refused with the step and the reason, whichever planner made it.
/// </summary>
public class PlanSimulationTests
{
    private static SkillInvocation S(string skill, params string[] args) => SkillInvocation.Of(skill, args);

    private static string? Validate(SceneSnapshot scene, params SkillInvocation[] steps) =>
        PlanValidator.Validate(new Plan([.. steps]), TestScenes.Catalogue, scene);

    private static string? Validate(params SkillInvocation[] steps) => Validate(TestScenes.ThreeCubesAndBin(), steps);

    /// <summary>Green resting on blue, red on the table, and the bin.</summary>
    private static SceneSnapshot GreenOnBlue() => TestScenes.Of(TestScenes.Cube("red", 0.4, 0.1), TestScenes.Cube("blue", 0.4, -0.1),
        new SceneObject("green_cube", SceneKinds.Cube, "green", new Pose(new Vec3(0.4, -0.1, 0.06), Quat.Identity), new Vec3(0.02, 0.02, 0.02)),
        TestScenes.Bin());

    [Fact]
    public void Accepts_plans_whose_preconditions_hold_in_turn()
    {
        Assert.Null(Validate(S("pick", "red_cube"), S("place", "red_cube", "bin"), S("pick", "blue_cube"), S("place", "blue_cube", "bin")));
        Assert.Null(Validate(S("pick", "red_cube"), S("stack", "red_cube", "blue_cube"), S("pick", "green_cube"), S("stack", "green_cube", "red_cube")));
        Assert.Null(Validate(S("pick", "red_cube"), S("open_gripper"), S("pick", "blue_cube")));
        Assert.Null(Validate(S("learned_pick_place", "red_cube", "bin"), S("pick", "blue_cube"), S("move_home")));
    }

    [Theory]
    [InlineData("step 1: place(red_cube, bin): the gripper holds nothing; pick red_cube first", "place red_cube bin")]
    [InlineData("step 2: pick(blue_cube): the gripper already holds red_cube; place or release it first", "pick red_cube", "pick blue_cube")]
    [InlineData("step 2: place(blue_cube, bin): the gripper holds red_cube, not blue_cube", "pick red_cube", "place blue_cube bin")]
    [InlineData("step 3: place(red_cube, bin): the gripper holds nothing; pick red_cube first", "pick red_cube", "open_gripper", "place red_cube bin")]
    [InlineData("step 2: learned_pick_place(blue_cube, bin): the gripper already holds red_cube; place or release it first", "pick red_cube", "learned_pick_place blue_cube bin")]
    [InlineData("step 1: pick(bin): bin is a container and cannot be held or stacked on", "pick bin")]
    [InlineData("step 2: stack(red_cube, bin): bin is a container and cannot be held or stacked on", "pick red_cube", "stack red_cube bin")]
    [InlineData("step 2: stack(red_cube, red_cube) names red_cube twice", "pick red_cube", "stack red_cube red_cube")]
    [InlineData("step 3: pick(blue_cube): red_cube is on blue_cube; move it first", "pick red_cube", "stack red_cube blue_cube", "pick blue_cube")]
    [InlineData("step 4: stack(green_cube, blue_cube): red_cube is on blue_cube; move it first",
        "pick red_cube", "stack red_cube blue_cube", "pick green_cube", "stack green_cube blue_cube")]
    public void Refuses_the_first_step_that_breaks_a_precondition_naming_it(string expected, params string[] steps) =>
        Assert.Equal(expected, Validate([.. steps.Select(t => t.Split(' ')).Select(p => S(p[0], p[1..]))]));

    [Fact]
    public void Starts_from_what_the_scene_shows_rests_on_what()
    {
        var scene = GreenOnBlue();
        Assert.Equal("step 1: pick(blue_cube): green_cube is on blue_cube; move it first", Validate(scene, S("pick", "blue_cube")));
        Assert.Equal("step 2: stack(red_cube, blue_cube): green_cube is on blue_cube; move it first",
            Validate(scene, S("pick", "red_cube"), S("stack", "red_cube", "blue_cube")));
        // picking green off blue ends on(green, blue): blue is clear again
        Assert.Null(Validate(scene, S("pick", "green_cube"), S("place", "green_cube", "bin"), S("pick", "red_cube"), S("stack", "red_cube", "blue_cube")));
    }

    [Fact]
    public void The_final_state_holds_the_effects_and_undoes_what_picking_ended()
    {
        var plan = new Plan([S("pick", "green_cube"), S("place", "green_cube", "bin"), S("pick", "red_cube"), S("stack", "red_cube", "blue_cube")]);
        Assert.Null(SymbolicState.Simulate(plan, TestScenes.Catalogue, GreenOnBlue(), out var final));
        Assert.Null(final.Held);
        Assert.Equal(["in(green_cube, bin)", "on(red_cube, blue_cube)"], final.Relations.Select(r => r.ToString()).Order());
        var goal = new TaskGoal([new Relation.In("green_cube", "bin"), new Relation.On("red_cube", "blue_cube"), new Relation.On("green_cube", "blue_cube")]);
        Assert.Equal(["on(green_cube, blue_cube)"], final.Missing(goal).Select(r => r.ToString()));
    }

    [Fact]
    public void The_rule_planner_refuses_a_stack_on_an_occupied_base_with_the_reason() =>
        Assert.Equal("I can't do that with the available skills: step 2: stack(red_cube, blue_cube): green_cube is on blue_cube; move it first",
            RulePlanner.MakePlan("stack the red cube on the blue cube", GreenOnBlue(), TestScenes.Catalogue).Refusal);

    [Theory]
    [InlineData("stack the red cube on the blue cube", "pick(red_cube); stack(red_cube, blue_cube)")]
    [InlineData("build a tower of the blue, red and green cubes", "pick(red_cube); stack(red_cube, blue_cube); pick(green_cube); stack(green_cube, red_cube)")]
    public void The_rule_planner_plans_stacking_and_towers(string instruction, string steps)
    {
        var result = RulePlanner.MakePlan(instruction, TestScenes.ThreeCubesAndBin(), TestScenes.Catalogue);
        Assert.Equal(steps, string.Join("; ", result.Plan!.Describe()));
        Assert.NotNull(result.Goal);
    }
}
