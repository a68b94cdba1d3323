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
