using CortexBot.Core.Geometry;
using CortexBot.Core.Goals;
using CortexBot.Core.Instructions;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

namespace CortexBot.Core.Tests;

/// <summary>
/// The task language beyond one object into one container: several objects, stacking, towers (bottom first), sorting by
/// colour, clearing the table; each reading yields its goal, and impossible or contradictory instructions one reason.
/// </summary>
public class TaskLanguageTests
{
    private static readonly Vec3 CubeHalf = new(0.02, 0.02, 0.02);

    private static SceneObject Cube(string color, double x, double y, double z = 0.02, string? name = null) =>
        new(name ?? $"{color}_cube", SceneKinds.Cube, color, new Pose(new Vec3(x, y, z), Quat.Identity), CubeHalf);

    private static SceneObject Bin(string name = "bin", string? color = null, double x = 0.5, double y = -0.3) =>
        new(name, SceneKinds.Bin, color, new Pose(new Vec3(x, y, 0.05), Quat.Identity), new Vec3(0.08, 0.08, 0.04));

    private static SceneSnapshot Of(params SceneObject[] objects) => new(MonotonicClock.NowNs, [.. objects]);

    private static SceneSnapshot ThreeCubesAndBin() => Of(Cube("red", 0.4, 0.1), Cube("green", 0.45, 0.0), Cube("blue", 0.4, -0.1), Bin());

    /// <summary>Four cubes and a red, a green and a blue bin (as in sim/sort.xml).</summary>
    private static SceneSnapshot SortScene(params SceneObject[] extra) => Of([
        Cube("red", 0.4, 0.1), Cube("green", 0.45, 0.0), Cube("blue", 0.4, -0.1), Cube("red", 0.35, 0.2, name: "red_cube_2"),
        Bin("red_bin", "red", 0.6, 0.2), Bin("green_bin", "green", 0.6, 0.0), Bin("blue_bin", "blue", 0.6, -0.2), .. extra]);

    private static (string Steps, string Goal) Read(string instruction, SceneSnapshot? scene = null)
    {
        var r = InstructionReader.Read(instruction, scene ?? ThreeCubesAndBin());
        Assert.True(r.Plan is not null, $"expected a plan, got refusal: {r.Refusal}");
        return (string.Join("; ", r.Plan!.Describe()), r.Goal is null ? "" : string.Join(", ", r.Goal.Describe()));
    }

    private static string Refusal(string instruction, SceneSnapshot? scene = null)
    {
        var r = InstructionReader.Read(instruction, scene ?? ThreeCubesAndBin());
        Assert.True(r.Plan is null, $"expected a refusal, got plan: {(r.Plan is null ? "" : string.Join("; ", r.Plan.Describe()))}");
        Assert.False(string.IsNullOrWhiteSpace(r.Refusal));
        Assert.DoesNotContain('\n', r.Refusal!);
        return r.Refusal!;
    }

    [Theory]
    [InlineData("put all the cubes in the bin",
        "pick(red_cube); place(red_cube, bin); pick(green_cube); place(green_cube, bin); pick(blue_cube); place(blue_cube, bin)",
        "in(red_cube, bin), in(green_cube, bin), in(blue_cube, bin)")]
    [InlineData("put every cube into the bin",
        "pick(red_cube); place(red_cube, bin); pick(green_cube); place(green_cube, bin); pick(blue_cube); place(blue_cube, bin)",
        "in(red_cube, bin), in(green_cube, bin), in(blue_cube, bin)")]
    [InlineData("put two cubes in the bin", "pick(red_cube); place(red_cube, bin); pick(green_cube); place(green_cube, bin)",
        "in(red_cube, bin), in(green_cube, bin)")]
    [InlineData("put the red and blue cubes in the bin", "pick(red_cube); place(red_cube, bin); pick(blue_cube); place(blue_cube, bin)",
        "in(red_cube, bin), in(blue_cube, bin)")]
    public void Several_objects_go_into_a_container_one_pick_and_place_each(string instruction, string steps, string goal) =>
        Assert.Equal((steps, goal), Read(instruction));

    [Fact]
    public void All_objects_of_a_colour_go_into_a_container()
    {
        var scene = SortScene();
        Assert.Equal(("pick(red_cube); place(red_cube, green_bin); pick(red_cube_2); place(red_cube_2, green_bin)",
            "in(red_cube, green_bin), in(red_cube_2, green_bin)"), Read("put all the red cubes in the green bin", scene));
        Assert.Equal(("pick(red_cube); place(red_cube, blue_bin); pick(red_cube_2); place(red_cube_2, blue_bin)",
            "in(red_cube, blue_bin), in(red_cube_2, blue_bin)"), Read("put several red cubes into the blue bin", scene));
        Assert.Equal("there is only one green cube: green_cube", Refusal("put several green cubes into the blue bin", scene));
        Assert.StartsWith("there are only 3 cubes, not 4", Refusal("put four cubes in the bin"));
    }

    [Theory]
    [InlineData("stack the red cube on the blue cube", "pick(red_cube); stack(red_cube, blue_cube)", "on(red_cube, blue_cube)")]
    [InlineData("put the green cube on top of the red cube", "pick(green_cube); stack(green_cube, red_cube)", "on(green_cube, red_cube)")]
    [InlineData("place the blue block onto the green block", "pick(blue_cube); stack(blue_cube, green_cube)", "on(blue_cube, green_cube)")]
    [InlineData("pick up the red cube and stack it on the green cube", "pick(red_cube); stack(red_cube, green_cube)", "on(red_cube, green_cube)")]
    [InlineData("stack red_cube on blue_cube", "pick(red_cube); stack(red_cube, blue_cube)", "on(red_cube, blue_cube)")]
    // "on" a container still means into it
    [InlineData("put the red cube on the bin", "pick(red_cube); place(red_cube, bin)", "in(red_cube, bin)")]
    public void Stacking_stands_one_object_on_another(string instruction, string steps, string goal) =>
        Assert.Equal((steps, goal), Read(instruction));

    [Theory]
    // A tower is read bottom first: the first object named stays on the table.
    [InlineData("build a tower of the red, green and blue cubes",
        "pick(green_cube); stack(green_cube, red_cube); pick(blue_cube); stack(blue_cube, green_cube)", "on(green_cube, red_cube), on(blue_cube, green_cube)")]
    [InlineData("make a tower with the blue cube, the red cube and the green cube",
        "pick(red_cube); stack(red_cube, blue_cube); pick(green_cube); stack(green_cube, red_cube)", "on(red_cube, blue_cube), on(green_cube, red_cube)")]
    [InlineData("stack the red, green and blue cubes",
        "pick(green_cube); stack(green_cube, red_cube); pick(blue_cube); stack(blue_cube, green_cube)", "on(green_cube, red_cube), on(blue_cube, green_cube)")]
    [InlineData("build a tower of the blue and red cubes", "pick(red_cube); stack(red_cube, blue_cube)", "on(red_cube, blue_cube)")]
    public void A_tower_stands_each_object_on_the_one_named_before(string instruction, string steps, string goal) =>
        Assert.Equal((steps, goal), Read(instruction));

    [Fact]
    public void Sorting_puts_each_cube_into_the_bin_of_its_colour()
    {
        Assert.Equal(("pick(red_cube); place(red_cube, red_bin); pick(green_cube); place(green_cube, green_bin); pick(blue_cube); place(blue_cube, blue_bin); " +
                      "pick(red_cube_2); place(red_cube_2, red_bin)",
                "in(red_cube, red_bin), in(green_cube, green_bin), in(blue_cube, blue_bin), in(red_cube_2, red_bin)"),
            Read("sort the cubes by colour into the matching bins", SortScene()));
        Assert.Equal(("pick(red_cube); place(red_cube, red_bin); pick(red_cube_2); place(red_cube_2, red_bin)", "in(red_cube, red_bin), in(red_cube_2, red_bin)"),
            Read("sort the red cubes by color", SortScene()));
    }

    [Fact]
    public void Sorting_leaves_a_cube_already_in_its_bin_and_keeps_it_in_the_goal()
    {
        var scene = SortScene(); // move the blue cube into the blue bin
        scene = scene with { Objects = [.. scene.Objects.Select(o => o.Name == "blue_cube" ? Cube("blue", 0.6, -0.2, 0.03) : o)] };
        var (steps, goal) = Read("sort the cubes by colour into the matching bins", scene);
        Assert.DoesNotContain("blue_cube", steps);
        Assert.Contains("in(blue_cube, blue_bin)", goal);
    }

    [Fact]
    public void Sorting_refuses_a_cube_with_no_bin_of_its_colour() =>
        Assert.Equal("no container matches yellow_cube's colour (yellow); containers: red_bin (red), green_bin (green), blue_bin (blue)",
            Refusal("sort the cubes by colour into the matching bins", SortScene(Cube("yellow", 0.3, -0.2))));

    [Fact]
    public void Clearing_the_table_moves_every_loose_object_and_the_top_of_a_stack_first()
    {
        // green rests on blue; red is already in the bin
        var scene = Of(Cube("red", 0.5, -0.3, 0.03), Cube("blue", 0.4, -0.1), Cube("green", 0.4, -0.1, 0.06), Bin());
        Assert.Equal(("pick(green_cube); place(green_cube, bin); pick(blue_cube); place(blue_cube, bin)", "in(green_cube, bin), in(blue_cube, bin)"),
            Read("clear the table into the bin", scene));
        Assert.Equal(Read("clear the table into the bin", scene), Read("tidy up the table", scene));
        Assert.Equal("the table is already clear; every object is in a container", Refusal("clear the table", Of(Cube("red", 0.5, -0.3, 0.03), Bin())));
        Assert.Equal("into which container? containers: red_bin, green_bin, blue_bin", Refusal("clear the table", SortScene()));
    }

    [Theory]
    [InlineData("stack the bin on the cube", "I can't stack a bin: it is a container")]
    [InlineData("stack the bin on the red cube", "I can't stack a bin: it is a container")]
    [InlineData("put the cube in the cube", "a cube is not a container; I can only put things into: bin")]
    [InlineData("put the red cube in the blue cube", "blue_cube is not a container; I can only put things into: bin")]
    [InlineData("stack the red cube on itself", "I can't stack the red cube on itself")]
    [InlineData("stack the red cube on the red cube", "I can't stack red_cube on itself")]
    [InlineData("stack the red cube on the bin", "I can't stack anything on bin: it is a container; say e.g. 'put the red cube in the bin'")]
    [InlineData("build a tower of the red, green and red cubes", "a tower uses each object once, but red_cube is named twice")]
    [InlineData("build a tower of red cube, green cube and red cube", "a tower uses each object once, but red_cube is named twice")]
    [InlineData("build a tower of the red cube", "a tower needs at least two objects")]
    [InlineData("put the red cube in the bin and on the blue cube",
        "that contradicts itself: the red cube cannot end both in the bin and on the blue cube; ask for one place")]
    [InlineData("stack the red cube on the blue cube and stack the blue cube on the red cube",
        "that contradicts itself: red_cube is to stand on blue_cube, so blue_cube cannot stand on red_cube")]
    [InlineData("stack the red cube on the blue cube and stack the green cube on the blue cube",
        "only one object fits on blue_cube, and red_cube is to stand there")]
    [InlineData("stack the red and green cubes on the blue cube", "I can only stack one object on blue_cube; to stack several say e.g. 'build a tower of the blue cube, red cube, green cube'")]
    [InlineData("stack the red cube", "stack red_cube on what? e.g. 'stack the red cube on the green cube'")]
    [InlineData("build a house", "I can only build a tower")]
    public void Impossible_or_contradictory_instructions_are_refused_with_one_reason(string instruction, string expectedStart) =>
        Assert.StartsWith(expectedStart, Refusal(instruction));

    [Theory]
    [InlineData("put the red cube in the bin", "in(red_cube, bin)")]
    [InlineData("pick up the red cube", "lifted(red_cube)")]
    [InlineData("pick up the red cube and put it in the bin, then go home", "in(red_cube, bin)")]
    [InlineData("pick up the red cube and open the gripper", "")]
    [InlineData("go home", "")]
    public void Every_reading_carries_its_goal(string instruction, string goal) =>
        Assert.Equal(goal, Read(instruction).Goal);

    [Fact]
    public void The_goal_is_a_task_goal_of_relations()
    {
        var r = InstructionReader.Read("stack the red cube on the blue cube", ThreeCubesAndBin());
        Assert.Equal(new TaskGoal([new Relation.On("red_cube", "blue_cube")]), r.Goal);
        Assert.Null(InstructionReader.Read("paint the red cube", ThreeCubesAndBin()).Goal);
    }
}
