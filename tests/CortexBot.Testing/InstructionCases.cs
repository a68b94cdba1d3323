namespace CortexBot.Testing;

/// <summary>
/// Instructions and what the instruction reader (Core.Instructions) makes of them, shared by its own tests and the rule
/// planner's (the reader plus a check against the skill catalogue), so both keep reading the same phrasings the same way.
/// Scene: <c>ThreeCubesAndBin</c> of those tests (red, green and blue cubes and one bin).
/// </summary>
public static class InstructionCases
{
    /// <summary>Phrasings and the steps they read as, described as <c>Plan.Describe()</c> joined by "; ".</summary>
    public static IReadOnlyList<(string Instruction, string Steps)> Phrasings { get; } =
    [
        ("put the red cube in the bin", "pick(red_cube); place(red_cube, bin)"),
        ("Put the red cube in the bin.", "pick(red_cube); place(red_cube, bin)"),
        ("PUT THE RED CUBE IN THE BIN!", "pick(red_cube); place(red_cube, bin)"),
        ("put red cube in bin", "pick(red_cube); place(red_cube, bin)"),
        ("  put   a red cube into the   bin  ", "pick(red_cube); place(red_cube, bin)"),
        ("move the green block into the bin", "pick(green_cube); place(green_cube, bin)"),
        ("place the blue cube in the bin", "pick(blue_cube); place(blue_cube, bin)"),
        ("Pick up the red cube and drop it into the bin", "pick(red_cube); place(red_cube, bin)"),
        ("pick up the red cube, then put it in the bin", "pick(red_cube); place(red_cube, bin)"),
        ("pick the red cube up and place it inside the container", "pick(red_cube); place(red_cube, bin)"),
        ("drop the green box in the basket", "pick(green_cube); place(green_cube, bin)"),
        ("throw the blue block into the box", "pick(blue_cube); place(blue_cube, bin)"),
        ("toss the red cube in the bin", "pick(red_cube); place(red_cube, bin)"),
        ("transfer the red cube to the bin", "pick(red_cube); place(red_cube, bin)"),
        ("please put the red cube in to the bin", "pick(red_cube); place(red_cube, bin)"),
        ("Could you please put the red cube in the bin?", "pick(red_cube); place(red_cube, bin)"),
        ("take the red cube to the bin", "pick(red_cube); place(red_cube, bin)"),
        ("put red_cube in bin", "pick(red_cube); place(red_cube, bin)"),
        ("put the red one in the bin", "pick(red_cube); place(red_cube, bin)"),
        ("put the red and blue cubes in the bin", "pick(red_cube); place(red_cube, bin); pick(blue_cube); place(blue_cube, bin)"),
        ("put all the cubes in the bin", "pick(red_cube); place(red_cube, bin); pick(green_cube); place(green_cube, bin); pick(blue_cube); place(blue_cube, bin)"),
        ("red cube in bin", "pick(red_cube); place(red_cube, bin)"),
        ("pick up the red cube", "pick(red_cube)"),
        ("grab the blue block", "pick(blue_cube)"),
        ("go home", "move_home()"),
        ("move home", "move_home()"),
        ("Return to the home position.", "move_home()"),
        ("go back home", "move_home()"),
        ("open the gripper", "open_gripper()"),
        ("close the gripper", "close_gripper()"),
        ("move above the green cube", "move_above(green_cube)"),
        ("hover over the bin", "move_above(bin)"),
        ("pick up the red cube and put it in the bin, then go home", "pick(red_cube); place(red_cube, bin); move_home()"),
        ("pick up the red cube and drop it", "pick(red_cube); open_gripper()"),
        ("Put the green cube in the bin", "pick(green_cube); place(green_cube, bin)"),
        ("pick up the green cube", "pick(green_cube)"),
        ("pick up the green block and drop it into the basket", "pick(green_cube); place(green_cube, bin)"),
        ("let go", "open_gripper()"),
        ("release", "open_gripper()"),
    ];

    /// <summary>Instructions refused for what they ask, and how each refusal starts.</summary>
    public static IReadOnlyList<(string Instruction, string RefusalStart)> CannotDo { get; } =
    [
        ("put the red cube", "where should I put red_cube"),
        ("put it in the bin", "I don't know what 'it' refers to"),
        ("pick up the bin", "I can't pick up"),
        ("pick up the red cube and pick up the blue cube", "I'm already holding red_cube"),
        ("pick up the red and blue cubes", "I can only hold one object at a time"),
        ("open the bin", "I can only open the gripper"),
        ("put the red cube in the bin and the green cube too", "I don't understand the destination 'bin and green cube'; name one container: bin"),
        ("pick up the red cube, put it in the bin and drop it", "I'm not holding anything to drop"),
        ("paint the red cube blue", "I don't know how to 'paint'"),
        ("?!.", "I don't understand"),
    ];

    /// <summary><paramref name="cases"/> as xUnit theory rows.</summary>
    public static IEnumerable<object[]> Rows(IReadOnlyList<(string, string)> cases) => cases.Select(c => new object[] { c.Item1, c.Item2 });
}
