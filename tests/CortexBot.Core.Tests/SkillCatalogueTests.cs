using System.Reflection;
using CortexBot.Core.Messages;
using CortexBot.Core.Skills;

namespace CortexBot.Core.Tests;

public class SkillCatalogueTests
{
    [Fact]
    public void The_shipped_catalogue_loads()
    {
        var c = SkillCatalogue.Load(RepoPaths.DefaultSkillCatalogue);
        Assert.NotNull(c.Find("pick"));
        Assert.Equal([ArgKind.Object, ArgKind.Container], c.Find("place")!.Args.Select(a => a.Kind));
    }

    [Fact]
    public void Every_skill_name_the_code_uses_is_in_the_shipped_catalogue()
    {
        var c = SkillCatalogue.Load(RepoPaths.DefaultSkillCatalogue);
        var names = typeof(SkillNames).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral).Select(f => (string)f.GetRawConstantValue()!).ToList();
        Assert.Equal(8, names.Count);
        Assert.All(names, n => Assert.True(c.Find(n) is not null, $"SkillNames has {n}, the catalogue does not"));
    }

    [Fact]
    public void The_shipped_catalogue_states_what_each_hand_skill_needs_and_does()
    {
        var c = SkillCatalogue.Load(RepoPaths.DefaultSkillCatalogue);
        var pick = c.Find(SkillNames.Pick)!;
        Assert.Equal(["hand_empty", "graspable(object)", "clear(object)"], pick.Preconditions.Select(p => p.ToString()));
        Assert.Equal(["not in(object, *)", "not on(object, *)", "holding(object)"], pick.Postconditions.Select(p => p.ToString()));
        Assert.Equal(0, pick.GraspsArg);
        var place = c.Find(SkillNames.Place)!;
        Assert.Equal(0, place.NeedsHeldArg);
        Assert.True(place.EmptiesHand);
        var stack = c.Find(SkillNames.Stack)!;
        Assert.Equal([("object", ArgKind.Object), ("base", ArgKind.Object)], stack.Args.Select(a => (a.Name, a.Kind)));
        Assert.Equal(["holding(object)", "graspable(base)", "clear(base)"], stack.Preconditions.Select(p => p.ToString()));
        Assert.Equal(["hand_empty", "on(object, base)"], stack.Postconditions.Select(p => p.ToString()));
        Assert.True(stack.IsGraspableArg(1));
        Assert.True(c.Find(SkillNames.LearnedPickPlace)!.NeedsEmptyHand);
        Assert.True(c.Find(SkillNames.OpenGripper)!.EmptiesHand);
        Assert.Empty(c.Find(SkillNames.MoveHome)!.Preconditions);
    }

    [Theory]
    [InlineData("\"requires\": [\"holdin(object)\"]", "skill 'grab', key 'requires': 'holdin(object)' is not a condition")]
    [InlineData("\"requires\": [\"holding(thing)\"]", "skill 'grab', key 'requires': 'holding(thing)' names 'thing', which is not an argument of the skill (arguments: object)")]
    [InlineData("\"requires\": [\"on(object)\"]", "skill 'grab', key 'requires': 'on(object)': on takes 2 argument(s), got 1")]
    [InlineData("\"requires\": [\"not on(object, *)\"]", "skill 'grab', key 'requires': 'not on(object, *)': '*' is only allowed in an effect")]
    [InlineData("\"effects\": [\"clear(object)\"]", "skill 'grab', key 'effects': 'clear(object)': clear can only be required")]
    [InlineData("\"effects\": [\"hand_empty\", \"holding(object)\"]", "skill 'grab', key 'effects': states the hand more than once")]
    [InlineData("\"requires\": [\"hand_empty\", \"holding(object)\"]", "skill 'grab', key 'requires': asks for an empty hand and for holding something")]
    [InlineData("\"effects\": [\"not holding(object)\"]", "skill 'grab', key 'effects': 'not holding(object)': say what the hand holds")]
    [InlineData("\"requires\": [3]", "is not valid JSON")]
    public void Bad_conditions_are_reported_with_skill_and_key(string key, string expected)
    {
        var path = Path.Combine(Path.GetTempPath(), $"skills-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, $"{{\"skills\": [{{\"name\":\"grab\",\"kind\":\"analytic\",\"description\":\"\",\"args\":[{{\"name\":\"object\",\"kind\":\"object\"}}], {key}}}]}}");
        try
        {
            var e = Assert.Throws<ConfigurationException>(() => SkillCatalogue.Load(path));
            Assert.Contains(expected, e.Message);
            Assert.Contains(path, e.Message);
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData(null, "not found")]
    [InlineData("{ not json", "not valid JSON")]
    [InlineData("{\"skills\": []}", "lists no skills")]
    [InlineData("{\"skills\": [{\"name\":\"a\",\"kind\":\"analytic\",\"description\":\"\",\"args\":[]},{\"name\":\"a\",\"kind\":\"analytic\",\"description\":\"\",\"args\":[]}]}", "listed twice")]
    [InlineData("{\"skills\": [{\"name\":\"a\",\"kind\":\"analytic\",\"description\":\"\",\"args\":[{\"name\":\"x\",\"kind\":\"colour\"}]}]}", "not valid JSON")]
    public void Bad_catalogues_are_reported_clearly(string? content, string expected)
    {
        var path = Path.Combine(Path.GetTempPath(), $"skills-{Guid.NewGuid():N}.json");
        if (content is not null) File.WriteAllText(path, content);
        var e = Assert.Throws<ConfigurationException>(() => SkillCatalogue.Load(path));
        Assert.Contains(expected, e.Message);
        File.Delete(path);
    }
}
