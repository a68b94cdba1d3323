using CortexBot.Brainstem.Perception;
using CortexBot.Core;

namespace CortexBot.Brainstem.Tests;

/// <summary>The perception file loads with clear one-line errors.</summary>
public class PerceptionConfigTests
{
    private static string Write(string json)
    {
        var path = Path.Combine(Path.GetTempPath(), $"cortexbot-perception-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }

    private const string Classes = """ "classes": { "red_cube": { "name": "red_cube", "size": [0.04, 0.04, 0.04] } } """;

    [Fact]
    public void The_shipped_file_loads()
    {
        var c = PerceptionConfig.Load(PerceptionConfig.DefaultPath);
        Assert.Equal(3, c.Classes.Count);
        Assert.Equal("bin", Assert.Single(c.Fixtures).Name);
    }

    [Theory]
    [InlineData("{", "perception file")]
    [InlineData("""{ "table_height": 0, "colour": 1, __C__ }""", "'colour'")]
    [InlineData("""{ __C__ }""", "table_height must be the table top's height in metres")]
    [InlineData("""{ "table_height": 0, "stale_after_ms": 0, __C__ }""", "stale_after_ms must be in (0, 60000], got 0")]
    [InlineData("""{ "table_height": 0, "jump_m": -1, __C__ }""", "jump_m must be in (0, 10], got -1")]
    [InlineData("""{ "table_height": 0 }""", "classes must map at least one detection class id to an object")]
    [InlineData("""{ "table_height": 0, "classes": { "a": { "kind": "cube" } } }""", "classes.a.name is missing")]
    [InlineData("""{ "table_height": 0, "classes": { "a": { "name": "x" }, "b": { "name": "X" } } }""", "classes.b.name: 'X' names two objects")]
    [InlineData("""{ "table_height": 0, "classes": { "a": { "name": "x", "size": [0.04, 0.04] } } }""", "classes.a.size must be three positive lengths")]
    [InlineData("""{ "table_height": 0, "classes": { "a": { "name": "x", "kind": "bin" } } }""", "containers are fixtures")]
    [InlineData("""{ "table_height": 0, __C__, "fixtures": [ { "name": "bin", "inner_half_size": [0.08, 0.08, 0.04] } ] }""", "fixtures[0].position must be [x, y, z]")]
    [InlineData("""{ "table_height": 0, __C__, "fixtures": [ { "name": "bin", "position": [0, 0, 0] } ] }""", "fixtures[0].inner_half_size is missing")]
    [InlineData("""{ "table_height": 0, __C__, "fixtures": [ { "name": "red_cube", "position": [0, 0, 0], "inner_half_size": [1, 1, 1] } ] }""", "fixtures[0].name: 'red_cube' names two objects")]
    [InlineData("""{ "table_height": 0, __C__, "fixtures": [ { "name": "bin", "kind": "tray", "position": [0, 0, 0], "inner_half_size": [1, 1, 1] } ] }""", "fixtures[0].kind must be 'bin'")]
    [InlineData("""{ "table_height": 0, __C__, "fixtures": [ { "name": "bin", "class_id": "red_cube", "position": [0, 0, 0], "inner_half_size": [1, 1, 1] } ] }""", "also a movable object's class")]
    public void Bad_files_are_one_clear_line_naming_the_file_and_key(string json, string message)
    {
        var path = Write(json.Replace("__C__", Classes, StringComparison.Ordinal));
        try
        {
            var e = Assert.Throws<ConfigurationException>(() => PerceptionConfig.Load(path));
            Assert.Contains(path, e.Message, StringComparison.Ordinal);
            Assert.Contains(message, e.Message, StringComparison.Ordinal);
            Assert.DoesNotContain('\n', e.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void A_missing_file_is_named()
    {
        var e = Assert.Throws<ConfigurationException>(() => PerceptionConfig.Load("/nonexistent/perception.json"));
        Assert.Equal("perception file not found: /nonexistent/perception.json", e.Message);
    }
}
