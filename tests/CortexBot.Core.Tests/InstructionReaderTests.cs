using CortexBot.Core.Geometry;
using CortexBot.Core.Instructions;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using CortexBot.Testing;
using static CortexBot.Testing.TestScenes;

namespace CortexBot.Core.Tests;

/// <summary>
/// The one instruction reader behind the rule planner and the host's success check. The phrasings and refusals of
/// <see cref="InstructionCases"/> are shared with the rule planner's tests (its MakePlan reads through this reader and
/// checks the steps against the catalogue) and are the ones the success check reads its goal from: each must keep
/// reading the same.
/// </summary>
public class InstructionReaderTests
{
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

    public static IEnumerable<object[]> Phrasings() => InstructionCases.Rows(InstructionCases.Phrasings);
    public static IEnumerable<object[]> CannotDo() => InstructionCases.Rows(InstructionCases.CannotDo);

    [Theory]
    [MemberData(nameof(Phrasings))]
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
    [MemberData(nameof(CannotDo))]
    public void Refuses_what_it_cannot_do(string instruction, string expectedStart) =>
        Assert.StartsWith(expectedStart, Refusal(Read(instruction)));
}
