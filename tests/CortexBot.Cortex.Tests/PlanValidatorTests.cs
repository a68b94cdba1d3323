using CortexBot.Core.Messages;

namespace CortexBot.Cortex.Tests;

public class PlanValidatorTests
{
    private static string? Validate(params SkillInvocation[] steps) =>
        PlanValidator.Validate(new Plan([.. steps]), TestScenes.Catalogue, TestScenes.ThreeCubesAndBin());

    [Fact]
    public void AcceptsAValidPlan() =>
        Assert.Null(Validate(SkillInvocation.Of("open_gripper"), SkillInvocation.Of("pick", "red_cube"), SkillInvocation.Of("place", "red_cube", "bin"),
            SkillInvocation.Of("move_above", "bin"), SkillInvocation.Of("move_home")));

    [Fact]
    public void RejectsAnUnknownSkill()
    {
        var reason = Validate(SkillInvocation.Of("pick", "red_cube"), SkillInvocation.Of("fly", "bin"));
        Assert.NotNull(reason);
        Assert.StartsWith("step 2: unknown skill 'fly'; known skills: open_gripper", reason);
    }

    [Theory]
    [InlineData("pick", 0)]
    [InlineData("pick", 2)]
    [InlineData("place", 1)]
    [InlineData("move_home", 1)]
    public void RejectsTheWrongNumberOfArguments(string skill, int argCount)
    {
        var args = new[] { "red_cube", "bin" }.Take(argCount).ToArray();
        var reason = Validate(SkillInvocation.Of(skill, args));
        Assert.NotNull(reason);
        Assert.StartsWith($"step 1: {skill} takes ", reason);
        Assert.EndsWith($"got {argCount}", reason);
    }

    [Fact]
    public void RejectsAnUnknownObject() =>
        Assert.Equal("step 1: pick: there is no 'yellow_cube' in the scene; present: red_cube, green_cube, blue_cube, bin",
            Validate(SkillInvocation.Of("pick", "yellow_cube")));

    [Fact]
    public void RejectsATargetThatIsNotAContainer() =>
        Assert.Equal("step 2: place: 'blue_cube' is not a container, so it cannot be the target",
            Validate(SkillInvocation.Of("pick", "red_cube"), SkillInvocation.Of("place", "red_cube", "blue_cube")));

    [Fact]
    public void RejectsEmptyPlansAndArguments()
    {
        Assert.Equal("the plan has no steps", Validate());
        Assert.Equal("the plan has no steps", PlanValidator.Validate(new Plan(default), TestScenes.Catalogue, TestScenes.ThreeCubesAndBin()));
        Assert.Equal("step 1: the step names no skill", Validate(SkillInvocation.Of(" ")));
        Assert.Equal("step 1: pick: argument 'object' is empty", Validate(SkillInvocation.Of("pick", "")));
        Assert.Null(Validate(new SkillInvocation("move_home", default))); // default args count as none
        Assert.Equal("step 1: move_home takes no arguments, got 1", Validate(SkillInvocation.Of("move_home", "bin")));
        Assert.Equal("step 1: place takes 2 arguments (object, target), got 1", Validate(SkillInvocation.Of("place", "red_cube")));
    }

    [Fact]
    public void RejectsRunawayPlans()
    {
        var steps = Enumerable.Repeat(SkillInvocation.Of("move_home"), PlanValidator.MaxSteps + 1).ToArray();
        Assert.StartsWith($"the plan has {PlanValidator.MaxSteps + 1} steps", Validate(steps));
    }

    [Fact]
    public void ObjectNamesAreMatchedIgnoringCase() =>
        Assert.Null(Validate(SkillInvocation.Of("pick", "Red_Cube"), SkillInvocation.Of("place", "Red_Cube", "BIN")));
}
