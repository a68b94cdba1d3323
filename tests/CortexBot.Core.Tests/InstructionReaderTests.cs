using CortexBot.Core.Geometry;
using CortexBot.Core.Instructions;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

namespace CortexBot.Core.Tests;

/// <summary>
/// The one instruction reader behind the rule planner and the host's success check. The phrasings are those the rule
/// planner's tests accept (its MakePlan reads through this reader and checks the steps against the catalogue) and the
/// ones the success check reads its goal from: each must keep reading the same.
/// </summary>
public class InstructionReaderTests
{
    private static readonly Vec3 CubeHalf = new(0.02, 0.02, 0.02);

    private static SceneObject Cube(string color, double x, double y) =>
        new($"{color}_cube", SceneKinds.Cube, color, new Pose(new Vec3(x, y, 0.02), Quat.Identity), CubeHalf);

    private static SceneObject Bin(string name = "bin", string? color = null, double x = 0.5, double y = -0.3) =>
        new(name, SceneKinds.Bin, color, new Pose(new Vec3(x, y, 0.05), Quat.Identity), new Vec3(0.1, 0.1, 0.05));

    private static SceneSnapshot Of(params SceneObject[] objects) => new(MonotonicClock.NowNs, [.. objects]);

    private static SceneSnapshot ThreeCubesAndBin() => Of(Cube("red", 0.4, 0.1), Cube("green", 0.45, 0.0), Cube("blue", 0.4, -0.1), Bin());

    private static string Steps(PlanResult result)
    {
        Assert.True(result.Plan is not null, $"expected a plan, got refusal: {result.Refusal}");
        Assert.Null(result.Refusal);
        return string.Join("; ", result.Plan!.Describe());
    }

    private static string Refusal(PlanResult result)
    {
        Assert.True(result.Plan is null, $"expected a refusal, got plan: {(result.Plan is null ? "" : string.Join("; ", result.Plan.Describe()))}");
        Assert.False(string.IsNullOrWhiteSpace(result.Refusal));
        Assert.DoesNotContain('\n', result.Refusal!);
        return result.Refusal!;
    }

    private static PlanResult Read(string? instruction, SceneSnapshot? scene = null) => InstructionReader.Read(instruction, scene ?? ThreeCubesAndBin());

    [Theory]
    [InlineData("put the red cube in the bin", "pick(red_cube); place(red_cube, bin)")]
    [InlineData("Put the red cube in the bin.", "pick(red_cube); place(red_cube, bin)")]
    [InlineData("PUT THE RED CUBE IN THE BIN!", "pick(red_cube); place(red_cube, bin)")]
    [InlineData("put red cube in bin", "pick(red_cube); place(red_cube, bin)")]
    [InlineData("  put   a red cube into the   bin  ", "pick(red_cube); place(red_cube, bin)")]
    [InlineData("move the green block into the bin", "pick(green_cube); place(green_cube, bin)")]
    [InlineData("place the blue cube in the bin", "pick(blue_cube); place(blue_cube, bin)")]
    [InlineData("Pick up the red cube and drop it into the bin", "pick(red_cube); place(red_cube, bin)")]
    [InlineData("pick up the red cube, then put it in the bin", "pick(red_cube); place(red_cube, bin)")]
    [InlineData("pick the red cube up and place it inside the container", "pick(red_cube); place(red_cube, bin)")]
    [InlineData("drop the green box in the basket", "pick(green_cube); place(green_cube, bin)")]
    [InlineData("throw the blue block into the box", "pick(blue_cube); place(blue_cube, bin)")]
    [InlineData("toss the red cube in the bin", "pick(red_cube); place(red_cube, bin)")]
    [InlineData("transfer the red cube to the bin", "pick(red_cube); place(red_cube, bin)")]
    [InlineData("please put the red cube in to the bin", "pick(red_cube); place(red_cube, bin)")]
    [InlineData("Could you please put the red cube in the bin?", "pick(red_cube); place(red_cube, bin)")]
    [InlineData("take the red cube to the bin", "pick(red_cube); place(red_cube, bin)")]
    [InlineData("put red_cube in bin", "pick(red_cube); place(red_cube, bin)")]
    [InlineData("put the red one in the bin", "pick(red_cube); place(red_cube, bin)")]
    [InlineData("put the red and blue cubes in the bin", "pick(red_cube); place(red_cube, bin); pick(blue_cube); place(blue_cube, bin)")]
    [InlineData("put all the cubes in the bin", "pick(red_cube); place(red_cube, bin); pick(green_cube); place(green_cube, bin); pick(blue_cube); place(blue_cube, bin)")]
    [InlineData("red cube in bin", "pick(red_cube); place(red_cube, bin)")]
    [InlineData("pick up the red cube", "pick(red_cube)")]
    [InlineData("grab the blue block", "pick(blue_cube)")]
    [InlineData("go home", "move_home()")]
    [InlineData("move home", "move_home()")]
    [InlineData("Return to the home position.", "move_home()")]
    [InlineData("go back home", "move_home()")]
    [InlineData("open the gripper", "open_gripper()")]
    [InlineData("close the gripper", "close_gripper()")]
    [InlineData("move above the green cube", "move_above(green_cube)")]
    [InlineData("hover over the bin", "move_above(bin)")]
    [InlineData("pick up the red cube and put it in the bin, then go home", "pick(red_cube); place(red_cube, bin); move_home()")]
    [InlineData("pick up the red cube and drop it", "pick(red_cube); open_gripper()")]
    [InlineData("Put the green cube in the bin", "pick(green_cube); place(green_cube, bin)")]
    [InlineData("pick up the green cube", "pick(green_cube)")]
    [InlineData("pick up the green block and drop it into the basket", "pick(green_cube); place(green_cube, bin)")]
    [InlineData("let go", "open_gripper()")]
    [InlineData("release", "open_gripper()")]
    public void Reads_every_phrasing_the_planner_and_the_success_check_accept(string instruction, string expected) =>
        Assert.Equal(expected, Steps(Read(instruction)));

    [Fact]
    public void Reads_the_only_cube_when_no_colour_is_given() =>
        Assert.Equal("pick(green_cube); place(green_cube, bin)", Steps(Read("put the cube in the bin", Of(Cube("green", 0.4, 0), Bin()))));

    [Fact]
    public void Names_a_container_by_colour_or_by_its_scene_name()
    {
        var scene = Of(Cube("red", 0.4, 0.1), Bin("left_bin", "grey", 0.5, 0.3), Bin("right_bin", "white", 0.5, -0.3));
        Assert.Equal("which bin? containers: left_bin, right_bin", Refusal(Read("put the red cube in the bin", scene)));
        Assert.Equal("pick(red_cube); place(red_cube, right_bin)", Steps(Read("put the red cube in the white bin", scene)));
        Assert.Equal("pick(red_cube); place(red_cube, left_bin)", Steps(Read("put the red cube in left_bin", scene)));
    }

    [Fact]
    public void Reads_the_learned_transfer_when_asked_except_for_objects_to_avoid()
    {
        Assert.Equal("learned_pick_place(red_cube, bin)", Steps(InstructionReader.Read("put the red cube in the bin", ThreeCubesAndBin(), learnedTransfer: true)));
        Assert.Equal("pick(red_cube); place(red_cube, bin); learned_pick_place(blue_cube, bin)",
            Steps(InstructionReader.Read("put the red cube and the blue cube in the bin", ThreeCubesAndBin(), learnedTransfer: true, avoidLearned: o => o == "red_cube")));
    }

    [Fact]
    public void Needs_no_skill_catalogue_a_plan_it_reads_may_name_skills_a_catalogue_lacks() =>
        // Checking the steps against the catalogue is the planner's job (PlanValidator), not the reader's.
        Assert.Equal("pick(red_cube); place(red_cube, bin)", Steps(Read("put the red cube in the bin")));

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    public void Refuses_an_empty_instruction(string? instruction) =>
        Assert.StartsWith("the instruction is empty", Refusal(Read(instruction)));

    [Theory]
    [InlineData("put the yellow cube in the bin", "there is no yellow cube in the scene; present: red_cube, green_cube, blue_cube")]
    [InlineData("put the cube in the bin", "which cube? present: red_cube, green_cube, blue_cube")]
    [InlineData("put the red cube in the blue cube", "blue_cube is not a container; I can only put things into: bin")]
    [InlineData("put the red cube on the table", "there is no table in the scene; I can only put things into: bin")]
    public void Refuses_with_the_reason(string instruction, string expected) =>
        Assert.Equal(expected, Refusal(Read(instruction)));

    [Theory]
    [InlineData("put the red cube", "where should I put red_cube")]
    [InlineData("put it in the bin", "I don't know what 'it' refers to")]
    [InlineData("pick up the bin", "I can't pick up")]
    [InlineData("pick up the red cube and pick up the blue cube", "I'm already holding red_cube")]
    [InlineData("pick up the red and blue cubes", "I can only hold one object at a time")]
    [InlineData("open the bin", "I can only open the gripper")]
    [InlineData("put the red cube in the bin and the green cube too", "I don't understand the destination 'bin and green cube'; name one container: bin")]
    [InlineData("pick up the red cube, put it in the bin and drop it", "I'm not holding anything to drop")]
    [InlineData("paint the red cube blue", "I don't know how to 'paint'")]
    [InlineData("?!.", "I don't understand")]
    public void Refuses_what_it_cannot_do(string instruction, string expectedStart) =>
        Assert.StartsWith(expectedStart, Refusal(Read(instruction)));
}
