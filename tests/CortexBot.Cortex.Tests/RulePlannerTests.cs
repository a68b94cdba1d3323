using CortexBot.Core.Messages;
using CortexBot.Core.Ports;

namespace CortexBot.Cortex.Tests;

public class RulePlannerTests
{
    private static PlanResult Plan(string? instruction, SceneSnapshot? scene = null) =>
        RulePlanner.MakePlan(instruction, scene ?? TestScenes.ThreeCubesAndBin(), TestScenes.Catalogue);

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

    [Fact]
    public void MainTaskYieldsExactlyPickThenPlace()
    {
        var result = Plan("put the red cube in the bin");
        Assert.NotNull(result.Plan);
        // SkillInvocation's Args is an ImmutableArray, whose equality is by reference: compare skill and arguments.
        Assert.Collection(result.Plan!.Steps,
            s => { Assert.Equal("pick", s.Skill); Assert.Equal(new[] { "red_cube" }, s.Args.ToArray()); },
            s => { Assert.Equal("place", s.Skill); Assert.Equal(new[] { "red_cube", "bin" }, s.Args.ToArray()); });
    }

    public static IEnumerable<object[]> Phrasings() => InstructionCases.Rows(InstructionCases.Phrasings);
    public static IEnumerable<object[]> CannotDo() => InstructionCases.Rows(InstructionCases.CannotDo);

    /// <summary>Every phrasing the instruction reader reads, planned the same (the reader's steps pass the catalogue).</summary>
    [Theory]
    [MemberData(nameof(Phrasings))]
    public void UnderstandsPhrasings(string instruction, string expected) =>
        Assert.Equal(expected, Steps(Plan(instruction)));

    [Fact]
    public void UsesTheOnlyCubeWhenNoColourIsGiven()
    {
        var scene = TestScenes.Of(TestScenes.Cube("green", 0.4, 0), TestScenes.Bin());
        Assert.Equal("pick(green_cube); place(green_cube, bin)", Steps(Plan("put the cube in the bin", scene)));
    }

    [Fact]
    public void PlannerInterfaceReturnsTheSamePlan()
    {
        var planner = new RulePlanner();
        Assert.Equal("rule", planner.Name);
        var context = new PlanningContext("put the red cube in the bin", TestScenes.ThreeCubesAndBin(), TestScenes.Catalogue, [], null);
        var result = planner.PlanAsync(context, CancellationToken.None).GetAwaiter().GetResult();
        Assert.Equal("pick(red_cube); place(red_cube, bin)", Steps(result));
    }

    [Fact]
    public void PreferringLearnedSkillsPlansTheLearnedTransferAndFallsBackAfterItFails()
    {
        var planner = new RulePlanner(preferLearned: true);
        var context = new PlanningContext("put the red cube in the bin", TestScenes.ThreeCubesAndBin(), TestScenes.Catalogue, [], null);
        Assert.Equal("learned_pick_place(red_cube, bin)", Steps(planner.PlanAsync(context, CancellationToken.None).GetAwaiter().GetResult()));
        // Two objects: one learned transfer each.
        var both = context with { Instruction = "put the red cube and the blue cube in the bin" };
        Assert.Equal("learned_pick_place(red_cube, bin); learned_pick_place(blue_cube, bin)", Steps(planner.PlanAsync(both, CancellationToken.None).GetAwaiter().GetResult()));
        // After the learned skill failed, the analytic skills take over.
        var failed = context with { Anomaly = new Anomaly("no_progress", "learned_pick_place(red_cube, bin): the policy did not finish within 20 s", 0) };
        Assert.Equal("pick(red_cube); place(red_cube, bin)", Steps(planner.PlanAsync(failed, CancellationToken.None).GetAwaiter().GetResult()));
        // Other anomalies keep the preference.
        var slipped = context with { Anomaly = new Anomaly("object_dropped", "place(red_cube, bin): carry", 0) };
        Assert.Equal("learned_pick_place(red_cube, bin)", Steps(planner.PlanAsync(slipped, CancellationToken.None).GetAwaiter().GetResult()));
    }

    [Fact]
    public void MemoryOfTheLearnedSkillFailingWithAnObjectMakesThePlanAnalyticForThatObjectOnly()
    {
        var planner = new RulePlanner(preferLearned: true);
        var t = DateTimeOffset.UnixEpoch;
        SemanticFact Learned(string obj, int ok, int failed) =>
            new(obj, SkillNames.LearnedPickPlace, ok, failed, 0, t, t, null, t, ["no_progress: stopped above the cube"], 1);
        var context = new PlanningContext("put the red cube and the blue cube in the bin", TestScenes.ThreeCubesAndBin(), TestScenes.Catalogue, [], null)
        {
            Facts = [Learned("red_cube", 1, 2), Learned("blue_cube", 3, 1)],
        };
        Assert.Equal("pick(red_cube); place(red_cube, bin); learned_pick_place(blue_cube, bin)",
            Steps(planner.PlanAsync(context, CancellationToken.None).GetAwaiter().GetResult()));
        // One failure is not yet a pattern.
        Assert.False(RulePlanner.LearnedUnreliableFor("red_cube", [Learned("red_cube", 0, 1)]));
        Assert.True(RulePlanner.LearnedUnreliableFor("red_cube", [Learned("red_cube", 0, 1), Learned("red_cube", 0, 1) with { Tuning = "x" }]));
    }

    [Fact]
    public void RefusesAnObjectNotInTheScene() =>
        Assert.Equal("there is no yellow cube in the scene; present: red_cube, green_cube, blue_cube",
            Refusal(Plan("put the yellow cube in the bin")));

    [Fact]
    public void RefusesAnObjectMissingFromThisScene()
    {
        var scene = TestScenes.Of(TestScenes.Cube("red", 0.4, 0.1), TestScenes.Cube("blue", 0.4, -0.1), TestScenes.Bin());
        Assert.Equal("there is no green cube in the scene; present: red_cube, blue_cube", Refusal(Plan("put the green cube in the bin", scene)));
        Assert.StartsWith("there is no green block in the scene", Refusal(Plan("pick up the green block", scene)));
    }

    [Fact]
    public void RefusesAnUnknownKindOfObject() =>
        Assert.StartsWith("there is no red sphere in the scene", Refusal(Plan("put the red sphere in the bin")));

    [Theory]
    [InlineData("paint the red cube blue", "paint")]
    [InlineData("juggle the red cube and the blue cube", "juggle")]
    [InlineData("dance", "dance")]
    public void RefusesAnUnknownVerb(string instruction, string verb) =>
        Assert.StartsWith($"I don't know how to '{verb}'", Refusal(Plan(instruction)));

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData(null)]
    public void RefusesAnEmptyInstruction(string? instruction) =>
        Assert.StartsWith("the instruction is empty", Refusal(Plan(instruction)));

    [Fact]
    public void AsksWhichCubeWhenSeveralMatch() =>
        Assert.Equal("which cube? present: red_cube, green_cube, blue_cube", Refusal(Plan("put the cube in the bin")));

    [Theory]
    [InlineData("put the red cube in the blue cube", "blue_cube is not a container; I can only put things into: bin")]
    [InlineData("put the red cube inside the green block", "green_cube is not a container; I can only put things into: bin")]
    [InlineData("put the red cube in the blue box", "blue_cube is not a container; I can only put things into: bin")]
    [InlineData("put the red cube on the table", "there is no table in the scene; I can only put things into: bin")]
    public void RefusesATargetThatIsNotAContainer(string instruction, string expected) =>
        Assert.Equal(expected, Refusal(Plan(instruction)));

    [Fact]
    public void RefusesWhenThereIsNoContainer()
    {
        var scene = TestScenes.Of(TestScenes.Cube("red", 0.4, 0.1));
        Assert.Equal("there is no bin in the scene; there are no containers in the scene", Refusal(Plan("put the red cube in the bin", scene)));
    }

    [Theory]
    [MemberData(nameof(CannotDo))]
    public void RefusesWhatItCannotDo(string instruction, string expectedStart) =>
        Assert.StartsWith(expectedStart, Refusal(Plan(instruction)));

    [Fact]
    public void AsksWhichBinWhenSeveralContainersExist()
    {
        var scene = TestScenes.Of(TestScenes.Cube("red", 0.4, 0.1), TestScenes.Bin("left_bin", "grey", 0.5, 0.3), TestScenes.Bin("right_bin", "white", 0.5, -0.3));
        Assert.Equal("which bin? containers: left_bin, right_bin", Refusal(Plan("put the red cube in the bin", scene)));
        Assert.Equal("pick(red_cube); place(red_cube, right_bin)", Steps(Plan("put the red cube in the white bin", scene)));
        Assert.Equal("pick(red_cube); place(red_cube, left_bin)", Steps(Plan("put the red cube in left_bin", scene)));
    }

    [Fact]
    public void RefusesWhenTheCatalogueLacksASkill()
    {
        var catalogue = new Core.Skills.SkillCatalogue(TestScenes.Catalogue.Skills.Where(s => s.Name != "place"));
        var result = RulePlanner.MakePlan("put the red cube in the bin", TestScenes.ThreeCubesAndBin(), catalogue);
        Assert.Contains("unknown skill 'place'", Refusal(result));
    }
}
