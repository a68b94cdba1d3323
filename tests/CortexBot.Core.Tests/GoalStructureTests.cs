using CortexBot.Core.Geometry;
using CortexBot.Core.Goals;
using CortexBot.Core.Instructions;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

namespace CortexBot.Core.Tests;

/// <summary>Goals up to which objects are bound, and a remembered plan carried over to other objects by that binding.</summary>
public class GoalStructureTests
{
    private static readonly Vec3 CubeHalf = new(0.02, 0.02, 0.02);

    private static SceneObject Cube(string color, double x, double y, string? name = null) =>
        new(name ?? $"{color}_cube", SceneKinds.Cube, color, new Pose(new Vec3(x, y, 0.02), Quat.Identity), CubeHalf);

    private static SceneObject Bin(string name, double x, double y, string? color = null) =>
        new(name, SceneKinds.Bin, color, new Pose(new Vec3(x, y, 0.05), Quat.Identity), new Vec3(0.08, 0.08, 0.04));

    private static SceneSnapshot Of(params SceneObject[] objects) => new(MonotonicClock.NowNs, [.. objects]);

    private static TaskGoal Goal(params string[] relations) => new([.. relations.Select(r => Relation.Parse(r)!)]);

    [Fact]
    public void Names_become_variables_typed_by_role_in_order_of_first_appearance()
    {
        Assert.Equal("in(?o1, ?c1) ∧ in(?o2, ?c1)", GoalStructure.Of(Goal("in(red_cube, bin)", "in(green_cube, bin)")));
        Assert.Equal("in(?o1, ?c1) ∧ in(?o2, ?c2)", GoalStructure.Of(Goal("in(red_cube, red_bin)", "in(green_cube, green_bin)")));
        Assert.Equal("on(?o1, ?o2) ∧ on(?o3, ?o1)", GoalStructure.Of(Goal("on(green_cube, red_cube)", "on(blue_cube, green_cube)")));
        Assert.Equal("lifted(?o1)", GoalStructure.Of(Goal("lifted(red_cube)")));
        Assert.Equal("", GoalStructure.Of(new TaskGoal([])));
    }

    [Fact]
    public void Same_task_on_other_objects_has_the_same_structure_and_other_tasks_do_not()
    {
        var a = GoalStructure.Of(Goal("in(red_cube, bin)", "in(green_cube, bin)"));
        Assert.Equal(a, GoalStructure.Of(Goal("in(blue_cube, box)", "in(red_cube, box)")));
        Assert.NotEqual(a, GoalStructure.Of(Goal("in(red_cube, bin)", "in(green_cube, box)")));
        Assert.NotEqual(a, GoalStructure.Of(Goal("in(red_cube, bin)", "in(green_cube, bin)", "in(blue_cube, bin)")));
        Assert.NotEqual(a, GoalStructure.Of(Goal("on(red_cube, bin)", "on(green_cube, bin)")));
        // a tower is not two stacks on one base
        Assert.NotEqual(GoalStructure.Of(Goal("on(b, a)", "on(c, b)")), GoalStructure.Of(Goal("on(b, a)", "on(c, a)")));
    }

    [Fact]
    public void Text_form_reads_back_the_same_key_and_bad_text_gives_none()
    {
        Assert.Equal("in(?o1, ?c1)", GoalStructure.Of(["in(red_cube, bin)"]));
        Assert.Null(GoalStructure.Of(["in(red_cube)"]));
        Assert.Null(GoalStructure.Of([]));
    }

    [Fact]
    public void Grounding_swaps_the_bound_names_in_every_step()
    {
        var plan = new Plan([SkillInvocation.Of("pick", "red_cube"), SkillInvocation.Of("place", "red_cube", "bin"),
            SkillInvocation.Of("pick", "green_cube"), SkillInvocation.Of("place", "green_cube", "bin"), SkillInvocation.Of("move_home")]);
        var scene = Of(Cube("blue", 0.4, 0.1), Cube("yellow", 0.4, -0.1), Bin("box", 0.6, 0));
        var grounded = GoalStructure.Ground(plan, Goal("in(red_cube, bin)", "in(green_cube, bin)"),
            Goal("in(blue_cube, box)", "in(yellow_cube, box)"), scene, out var reason);
        Assert.Null(reason);
        Assert.Equal(["pick(blue_cube)", "place(blue_cube, box)", "pick(yellow_cube)", "place(yellow_cube, box)", "move_home()"],
            grounded!.Describe().ToArray());
    }

    [Fact]
    public void Grounding_a_swap_of_two_names_maps_each_once()
    {
        var plan = new Plan([SkillInvocation.Of("pick", "red_cube"), SkillInvocation.Of("stack", "red_cube", "blue_cube")]);
        var scene = Of(Cube("blue", 0.4, 0.1), Cube("red", 0.4, -0.1));
        var grounded = GoalStructure.Ground(plan, Goal("on(red_cube, blue_cube)"), Goal("on(blue_cube, red_cube)"), scene, out _);
        Assert.Equal(["pick(blue_cube)", "stack(blue_cube, red_cube)"], grounded!.Describe().ToArray());
    }

    [Fact]
    public void Grounding_fails_for_another_structure_or_a_name_the_goal_does_not_bind_and_the_scene_lacks()
    {
        var plan = new Plan([SkillInvocation.Of("pick", "red_cube"), SkillInvocation.Of("place", "red_cube", "bin")]);
        var scene = Of(Cube("blue", 0.4, 0.1), Bin("box", 0.6, 0));
        Assert.Null(GoalStructure.Ground(plan, Goal("in(red_cube, bin)"), Goal("on(blue_cube, box)"), scene, out var why));
        Assert.Contains("another structure", why);

        // the remembered plan moved an obstacle the current scene does not have
        var withObstacle = new Plan([SkillInvocation.Of("pick", "green_cube"), SkillInvocation.Of("place", "green_cube", "bin"), .. plan.Steps]);
        Assert.Null(GoalStructure.Ground(withObstacle, Goal("in(red_cube, bin)"), Goal("in(blue_cube, box)"), scene, out why));
        Assert.Contains("green_cube", why);
    }

    [Fact]
    public void Reader_goals_of_the_same_instruction_on_another_scene_share_the_structure()
    {
        var a = InstructionReader.Read("put all the cubes in the bin", Of(Cube("red", 0.4, 0.1), Cube("green", 0.45, 0), Bin("bin", 0.6, 0)));
        var b = InstructionReader.Read("put all the cubes in the bin", Of(Cube("blue", 0.3, 0.1), Cube("red", 0.35, -0.1), Bin("bin", 0.5, 0.2)));
        Assert.NotNull(a.Goal);
        Assert.Equal(GoalStructure.Of(a.Goal!), GoalStructure.Of(b.Goal!));
        var grounded = GoalStructure.Ground(a.Plan!, a.Goal!, b.Goal!, Of(Cube("blue", 0.3, 0.1), Cube("red", 0.35, -0.1), Bin("bin", 0.5, 0.2)), out var why);
        Assert.Null(why);
        Assert.Equal(b.Plan!.Steps.Select(s => s.Skill), grounded!.Steps.Select(s => s.Skill));
    }
}
