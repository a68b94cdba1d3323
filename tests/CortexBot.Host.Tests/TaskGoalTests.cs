using CortexBot.Core;
using CortexBot.Core.Geometry;
using CortexBot.Core.Goals;
using CortexBot.Core.Messages;

namespace CortexBot.Host.Tests;

/// <summary>The success check's goal, read by the same instruction reader as the rule planner.</summary>
public class TaskGoalTests
{
    private static SceneObject Cube(string color, double x, double y, double z = 0.02) =>
        new($"{color}_cube", SceneKinds.Cube, color, new Pose(new Vec3(x, y, z), Quat.Identity), new Vec3(0.02, 0.02, 0.02));

    private static readonly SceneObject Bin = new("bin", SceneKinds.Bin, null, new Pose(new Vec3(0.5, -0.3, 0.05), Quat.Identity), new Vec3(0.1, 0.1, 0.05));

    private static SceneSnapshot Scene(params SceneObject[] objects) => new(MonotonicClock.NowNs, [.. objects]);

    private static readonly SceneSnapshot Start = Scene(Cube("red", 0.4, 0.1), Cube("green", 0.45, 0.0), Cube("blue", 0.4, -0.1), Bin);

    [Theory]
    [InlineData("put the red cube in the bin", "red_cube")]
    [InlineData("Could you please put the red cube in the bin?", "red_cube")]
    [InlineData("move the green block into the bin", "green_cube")]
    [InlineData("Pick up the red cube and drop it into the bin", "red_cube")]
    [InlineData("drop the green box in the basket", "green_cube")]
    [InlineData("take the red cube to the bin", "red_cube")]
    [InlineData("red cube in bin", "red_cube")]
    [InlineData("pick up the red cube and put it in the bin, then go home", "red_cube")]   // going home after does not void it
    public void A_transfer_instruction_has_its_object_inside_the_container_as_goal(string instruction, string obj) =>
        Assert.Equal(new TaskGoal([new Relation.In(obj, "bin")]), InstructionGoal.FromInstruction(instruction, Start));

    [Fact]
    public void Every_object_placed_is_in_the_goal_not_only_the_last() =>
        Assert.Equal(["in(red_cube, bin)", "in(blue_cube, bin)"],
            InstructionGoal.FromInstruction("put the red and blue cubes in the bin", Start)!.Describe().ToArray());

    [Theory]
    [InlineData("pick up the red cube", "red_cube")]
    [InlineData("grab the blue block", "blue_cube")]
    public void A_pick_instruction_has_the_object_lifted_as_goal(string instruction, string obj) =>
        Assert.Equal(new TaskGoal([new Relation.Lifted(obj)]), InstructionGoal.FromInstruction(instruction, Start));

    [Theory]
    [InlineData("go home")]
    [InlineData("open the gripper")]
    [InlineData("move above the green cube")]
    [InlineData("paint the red cube blue")]
    [InlineData("pick up the red cube and open the gripper")]
    [InlineData("")]
    public void Instructions_without_a_physical_goal_or_not_understood_have_none(string instruction) =>
        Assert.Null(InstructionGoal.FromInstruction(instruction, Start));

    [Fact]
    public void The_goal_is_judged_from_the_scenes()
    {
        var inside = new Relation.In("red_cube", "bin");
        Assert.Null(inside.Check(Start, Scene(Cube("red", 0.5, -0.3, 0.04), Bin)));
        Assert.Equal("red_cube is not inside bin", inside.Check(Start, Start));
        var lifted = new Relation.Lifted("red_cube");
        Assert.Null(lifted.Check(Start, Scene(Cube("red", 0.4, 0.1, 0.2), Bin)));
        Assert.Equal("red_cube is not lifted", lifted.Check(Start, Start));
    }

    [Fact]
    public void A_multi_object_goal_fails_on_an_earlier_object_knocked_out_and_names_it()
    {
        var goal = new TaskGoal([new Relation.In("red_cube", "bin"), new Relation.In("blue_cube", "bin")]);
        var end = Scene(Cube("red", 0.3, 0.2, 0.02), Cube("blue", 0.5, -0.3, 0.04), Bin);
        Assert.Equal("red_cube is not inside bin", goal.Check(Start, end));
        Assert.Equal(["in(red_cube, bin)"], goal.Unmet(Start, end).Select(u => u.Relation.ToString()).ToArray());
        Assert.Null(goal.Check(Start, Scene(Cube("red", 0.45, -0.3, 0.04), Cube("blue", 0.55, -0.3, 0.04), Bin)));
    }

    [Fact]
    public void On_holds_for_a_cube_resting_on_another_and_not_beside_or_above_it()
    {
        var on = new Relation.On("red_cube", "blue_cube");
        var blue = Cube("blue", 0.4, -0.1);
        Assert.Null(on.Check(Start, Scene(Cube("red", 0.405, -0.095, 0.06), blue)));
        Assert.Equal("red_cube is not on blue_cube", on.Check(Start, Scene(Cube("red", 0.45, -0.1, 0.02), blue)));
        Assert.Equal("red_cube is not on blue_cube", on.Check(Start, Scene(Cube("red", 0.4, -0.1, 0.12), blue)));
        Assert.Equal("red_cube is not in the scene at the end (not perceived)", on.Check(Start, Scene(blue)));
    }

    [Theory]
    [InlineData("in(red_cube, bin)")]
    [InlineData("on(red_cube,blue_cube)")]
    [InlineData("lifted(red_cube)")]
    public void Relations_read_back_what_they_write(string text)
    {
        var r = Relation.Parse(text);
        Assert.NotNull(r);
        Assert.Equal(r, Relation.Parse(r.ToString()));
        Assert.Null(Relation.Parse("in(red_cube)"));
        Assert.Null(Relation.Parse("under(a, b)"));
    }
}
