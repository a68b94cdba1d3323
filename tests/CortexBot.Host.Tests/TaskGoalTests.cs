using CortexBot.Core;
using CortexBot.Core.Geometry;
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
    [InlineData("put the red and blue cubes in the bin", "blue_cube")]   // the last object moved
    [InlineData("pick up the red cube and put it in the bin, then go home", null)]   // ends at home: no physical goal
    public void A_transfer_instruction_has_its_last_object_inside_the_container_as_goal(string instruction, string? obj)
    {
        var goal = TaskGoal.FromInstruction(instruction, Start);
        if (obj is null) Assert.Null(goal);
        else Assert.Equal(new TaskGoal.Inside(obj, "bin"), goal);
    }

    [Theory]
    [InlineData("pick up the red cube", "red_cube")]
    [InlineData("grab the blue block", "blue_cube")]
    public void A_pick_instruction_has_the_object_lifted_as_goal(string instruction, string obj) =>
        Assert.Equal(new TaskGoal.Lifted(obj), TaskGoal.FromInstruction(instruction, Start));

    [Theory]
    [InlineData("go home")]
    [InlineData("open the gripper")]
    [InlineData("move above the green cube")]
    [InlineData("paint the red cube blue")]
    [InlineData("")]
    public void Instructions_without_a_physical_goal_or_not_understood_have_none(string instruction) =>
        Assert.Null(TaskGoal.FromInstruction(instruction, Start));

    [Fact]
    public void The_goal_is_judged_from_the_scenes()
    {
        var inside = new TaskGoal.Inside("red_cube", "bin");
        Assert.Null(inside.Check(Start, Scene(Cube("red", 0.5, -0.3, 0.04), Bin)));
        Assert.Equal("red_cube is not inside bin", inside.Check(Start, Start));
        var lifted = new TaskGoal.Lifted("red_cube");
        Assert.Null(lifted.Check(Start, Scene(Cube("red", 0.4, 0.1, 0.2), Bin)));
        Assert.Equal("red_cube is not lifted", lifted.Check(Start, Start));
    }
}
