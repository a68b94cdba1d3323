using CortexBot.Core;
using CortexBot.Core.Goals;
using CortexBot.Core.Messages;

namespace CortexBot.Cortex.Llama.Tests;

public class GrammarAndPromptTests
{
    [Fact]
    public void GrammarNamesEveryGroundableSkillAndEveryObject()
    {
        var g = PlanGrammar.Build(TestModels.Catalogue, TestModels.ThreeCubesAndBin(), 8, out var reason, trackHeld: false)!;
        Assert.Null(reason);
        foreach (var skill in TestModels.Catalogue.Skills) Assert.Contains($"\"\\\"{skill.Name}\\\"\"", g);
        Assert.Contains("object ::= \"\\\"red_cube\\\"\" | \"\\\"green_cube\\\"\" | \"\\\"blue_cube\\\"\" | \"\\\"bin\\\"\"", g);
        Assert.Contains("container ::= \"\\\"bin\\\"\"", g);
        Assert.Contains("graspable ::= \"\\\"red_cube\\\"\" | \"\\\"green_cube\\\"\" | \"\\\"blue_cube\\\"\"\n", g);
        Assert.Contains("(ws \",\" ws step){0,7}", g);
        Assert.Contains("ws ::= \" \"?", g);
    }

    [Fact]
    public void TrackingGrammarHasOneRulePerStepAndHandState()
    {
        var g = PlanGrammar.Build(TestModels.Catalogue, TestModels.ThreeCubesAndBin(), 4, out _)!;
        Assert.Contains("root ::= \"{\" ws \"\\\"steps\\\"\" ws \":\" ws \"[\" ws s0e ws \"]\" ws \"}\"", g);
        // 3 graspable cubes: at each of 4 steps, one empty-handed state and three holding states.
        for (int k = 0; k < 4; k++)
        {
            Assert.Contains($"\ns{k}e ::= ", g);
            for (int o = 0; o < 3; o++) Assert.Contains($"\ns{k}h{o} ::= ", g);
        }
        Assert.DoesNotContain("s4e", g);
        // pick(red_cube) leads to holding red_cube (h0); place(red_cube, ...) is only possible from there.
        Assert.Matches(@"\ns0e ::= .*skill4o0 \(ws "","" ws s1h0\)\?", g);
        Assert.Matches(@"\ns0h0 ::= .*skill5o0 \(ws "","" ws s1e\)\?", g);
        Assert.DoesNotMatch(@"\ns0e ::= [^\n]*skill5o", g);
        Assert.DoesNotMatch(@"\ns0h0 ::= [^\n]*skill4o", g);
    }

    [Fact]
    public void TheValidatorsSimulationRefusesWhatTheTrackingGrammarCannotProduce()
    {
        var cat = TestModels.Catalogue;
        var scene = TestModels.ThreeCubesAndBin();
        Plan P(params SkillInvocation[] steps) => new([.. steps]);
        string? Check(Plan p) => PlanValidator.Validate(p, cat, scene);
        Assert.Null(Check(P(SkillInvocation.Of("pick", "red_cube"), SkillInvocation.Of("place", "red_cube", "bin"))));
        Assert.Contains("holds nothing", Check(P(SkillInvocation.Of("place", "red_cube", "bin"))));
        Assert.Contains("holds red_cube", Check(P(SkillInvocation.Of("pick", "red_cube"), SkillInvocation.Of("place", "blue_cube", "bin"))));
        Assert.Contains("already holds red_cube", Check(P(SkillInvocation.Of("pick", "red_cube"), SkillInvocation.Of("pick", "blue_cube"))));
        Assert.Contains("holds nothing", Check(P(SkillInvocation.Of("pick", "red_cube"), SkillInvocation.Of("open_gripper"), SkillInvocation.Of("place", "red_cube", "bin"))));
        Assert.Contains("holds nothing", Check(P(SkillInvocation.Of("stack", "red_cube", "blue_cube"))));
    }

    [Fact]
    public void TheGrammarAdmitsEveryCataloguedSkillWithItsHandConditions()
    {
        var cat = TestModels.Catalogue;
        var g = PlanGrammar.Build(cat, TestModels.ThreeCubesAndBin(), 4, out _)!;
        for (int i = 0; i < cat.Skills.Count; i++)
        {
            var skill = cat.Skills[i];
            Assert.Contains($"\"\\\"{skill.Name}\\\"\"", g);
            // reachable: some step state offers it (generic or per held object)
            Assert.Matches($@"\ns0(e|h\d) ::= [^\n]*skill{i}(o\d)?\b", g);
        }
        int stack = cat.Skills.ToList().FindIndex(s => s.Name == "stack");
        int learned = cat.Skills.ToList().FindIndex(s => s.Name == "learned_pick_place");
        Assert.Equal(PlanGrammar.SkillEffect.PlaceHeld, PlanGrammar.EffectOf(cat.Skills[stack]));
        Assert.Equal(PlanGrammar.SkillEffect.NeedsEmpty, PlanGrammar.EffectOf(cat.Skills[learned]));
        // stack only of the held object, and its base is graspable (never the bin)
        Assert.Matches($@"\ns0h0 ::= [^\n]*skill{stack}o0 \(ws "","" ws s1e\)\?", g);
        Assert.DoesNotMatch($@"\ns0e ::= [^\n]*skill{stack}", g);
        Assert.Contains($"skill{stack}o0 ::= \"{{\" ws \"\\\"skill\\\"\" ws \":\" ws \"\\\"stack\\\"\" ws \",\" ws \"\\\"args\\\"\" ws \":\" ws \"[\" ws \"\\\"red_cube\\\"\" ws \",\" ws graspablenot0 ws \"]\" ws \"}}\"", g);
        // ... and its base is any other graspable object: never the held one itself
        Assert.Contains("\ngraspablenot0 ::= \"\\\"green_cube\\\"\" | \"\\\"blue_cube\\\"\"\n", g);
        // the learned skill needs empty hands
        Assert.DoesNotMatch($@"\ns0h0 ::= [^\n]*skill{learned}\b", g);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void GrammarRulesAreAllBounded(bool trackHeld)
    {
        var g = PlanGrammar.Build(TestModels.Catalogue, TestModels.ThreeCubesAndBin(), 8, out _, trackHeld)!;
        // No unbounded repetition anywhere: no '*', no '+', and the only '{' repetition is the bounded step list.
        foreach (var line in g.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var outsideLiterals = System.Text.RegularExpressions.Regex.Replace(line, "\"(\\\\.|[^\"\\\\])*\"", "");
            Assert.DoesNotContain("*", outsideLiterals);
            Assert.DoesNotContain("+", outsideLiterals);
        }
    }

    [Fact]
    public void SkillsNeedingAContainerAreLeftOutWithoutOne()
    {
        var scene = TestModels.Scene(TestModels.Cube("red", 0.4, 0.1));
        var g = PlanGrammar.Build(TestModels.Catalogue, scene, 4, out _)!;
        Assert.DoesNotContain("\\\"place\\\"", g);
        Assert.DoesNotContain("container ::=", g);
        Assert.Contains("\\\"pick\\\"", g);
    }

    [Fact]
    public void NoGroundableSkillGivesAReason()
    {
        var catalogue = new Core.Skills.SkillCatalogue([new("pick", "analytic", "", [new("object", Core.Skills.ArgKind.Object)])]);
        Assert.Null(PlanGrammar.Build(catalogue, TestModels.Scene(), 4, out var reason));
        Assert.Contains("scene is empty", reason);
    }

    [Fact]
    public void ContainersAreNeverTheHeldObject()
    {
        var scene = TestModels.Scene(TestModels.Bin());
        var g = PlanGrammar.Build(TestModels.Catalogue, scene, 4, out _)!;
        Assert.DoesNotContain("\\\"pick\\\"", g);
        Assert.DoesNotContain("\\\"place\\\"", g);
        Assert.Contains("\\\"move_above\\\"", g);
        var plan = new Plan([SkillInvocation.Of("pick", "bin")]);
        Assert.Contains("bin is a container and cannot be held", PlanValidator.Validate(plan, TestModels.Catalogue, scene));
    }

    [Fact]
    public void LiteralEscapesQuotesBackslashesAndControls()
    {
        Assert.Equal("\"a\\\"b\\\\c\\n\"", PlanGrammar.Literal("a\"b\\c\n"));
    }

    [Fact]
    public void PlanJsonParsesAndReportsErrors()
    {
        var plan = PlanJson.TryParse("{\"steps\": [{\"skill\": \"pick\", \"args\": [\"red_cube\"]}, {\"skill\":\"move_home\",\"args\":[]}]}", out var error);
        Assert.Null(error);
        Assert.Equal(["pick(red_cube)", "move_home()"], plan!.Describe().ToArray());
        Assert.Equal(plan.Describe().ToArray(), PlanJson.TryParse(PlanJson.Format(plan), out _)!.Describe().ToArray());
        Assert.Null(PlanJson.TryParse("{\"steps\": [{\"skill\": \"pi", out error));
        Assert.Contains("not complete JSON", error);
        Assert.Null(PlanJson.TryParse("[1,2]", out error));
        Assert.Contains("\"steps\"", error);
        Assert.Null(PlanJson.TryParse("{\"steps\":[{\"skill\":\"pick\",\"args\":[3]}]}", out error));
        Assert.Contains("must be a string", error);
    }

    [Fact]
    public void TemplatesRejectUnknownAndMissingPlaceholders()
    {
        var e = Assert.Throws<ConfigurationException>(() => new PromptTemplates("{{skills}} {{weather}}", "{{instruction}}", ""));
        Assert.Contains("unknown placeholder {{weather}}", e.Message);
        e = Assert.Throws<ConfigurationException>(() => new PromptTemplates("{{skills}}", "no instruction here", ""));
        Assert.Contains("must contain {{instruction}}", e.Message);
        e = Assert.Throws<ConfigurationException>(() => PromptTemplates.Load("/nonexistent/prompts"));
        Assert.Contains("prompt template not found", e.Message);
    }

    [Fact]
    public void TheShippedTemplatesLoad()
    {
        var t = PromptTemplates.Load();
        var user = t.RenderUser(TestModels.Context("put the red cube in the bin"), t.RenderRetry("{}", "step 1: bad"));
        Assert.Contains("Instruction: put the red cube in the bin", user);
        Assert.Contains("was rejected: step 1: bad", user);
        Assert.Contains("Past episodes: none", user);
        Assert.Contains("Anomaly: none", user);
    }

    [Fact]
    public void ThePromptCarriesTheGoalRelationsAndEachSkillsConditions()
    {
        var t = PromptTemplates.Load();
        var user = t.RenderUser(TestModels.Context("stack the red cube on the blue cube and put the green cube in the bin"), null);
        Assert.Contains("Goal (every relation must hold at the end): on(red_cube, blue_cube), in(green_cube, bin)", user);
        // the episode's goal, when given, is what the model is told
        var given = TestModels.Context("do as before") with { Goal = new TaskGoal([new Relation.In("blue_cube", "bin")]) };
        Assert.Contains("Goal (every relation must hold at the end): in(blue_cube, bin)", t.RenderUser(given, null));
        Assert.Contains("Goal (every relation must hold at the end): unknown", t.RenderUser(TestModels.Context("do a dance"), null));
        var system = t.RenderSystem(TestModels.Catalogue);
        Assert.Contains("- stack(object, base): Put the held object on top of base, aligned. Requires: holding(object), graspable(base), clear(base). Then: hand_empty, on(object, base).", system);
    }

    [Fact]
    public void FactsAboutObjectsInTheSceneAreRenderedMostAttemptedFirstAndCapped()
    {
        var t = DateTimeOffset.UnixEpoch;
        var scene = TestModels.ThreeCubesAndBin();
        var facts = new List<SemanticFact>
        {
            new("red_cube", "pick", 0, 1, 0, t, t, null, t, ["object_dropped: lift red_cube"], 1),
            new("red_cube", "pick", 4, 0, 0, t, t, t, null, [], 5) { Tuning = "firm_grip" },
            new("purple_cube", "pick", 9, 0, 0, t, t, t, null, [], 2),
        };
        var text = PromptTemplates.Facts(facts, scene);
        Assert.Equal("pick red_cube [firm_grip]: 4 ok, 0 failed; pick red_cube: 0 ok, 1 failed (object_dropped: lift red_cube)", text);
        Assert.Equal("none", PromptTemplates.Facts([], scene));
        var many = Enumerable.Range(0, 20).Select(i => new SemanticFact("red_cube", $"skill{i}", i, 0, 0, t, t, t, null, [], i)).ToList();
        Assert.Equal(PromptTemplates.MaxFacts, PromptTemplates.Facts(many, scene).Split("; ").Length);
    }

    [Fact]
    public void MemoriesAreCapped()
    {
        var many = Enumerable.Range(1, 20).Select(i => new EpisodeSummary(i, $"task {i}", true, "move_home()", null)).ToList();
        var text = PromptTemplates.Memories(many);
        Assert.Contains("\"task 5\"", text);
        Assert.DoesNotContain("\"task 6\"", text);
    }
}
