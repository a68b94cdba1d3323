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
        Assert.Equal(7, names.Count);
        Assert.All(names, n => Assert.True(c.Find(n) is not null, $"SkillNames has {n}, the catalogue does not"));
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
