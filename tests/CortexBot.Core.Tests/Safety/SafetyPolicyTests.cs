using CortexBot.Core.Safety;

namespace CortexBot.Core.Tests.Safety;

public class SafetyPolicyTests
{
    [Fact]
    public void The_shipped_policies_load_and_the_default_has_no_zones()
    {
        var def = SafetyPolicy.Load(Path.Combine(RepoPaths.Agents, "safety.json"));
        Assert.False(def.HasZones);
        Assert.Equal(1.0, def.PayloadKg);
        var sample = SafetyPolicy.Load(Path.Combine(RepoPaths.Agents, "safety.sample.json"));
        Assert.Equal("operator_hand", Assert.Single(sample.KeepOutZones).Name);
        Assert.Equal(0.5, Assert.Single(sample.SpeedZones).MaxToolSpeed);
        Assert.Equal(2.0, sample.ZoneBraking);
        Assert.Equal(2.0, SafetyZones.From(sample)!.Braking);
        Assert.True(sample.RequireProperties);
        Assert.Contains(sample.ForbiddenRelations, r => r.Name == "nothing_on_fragile" && r.Relation == "on" && r.Target == "fragile");
    }

    [Theory]
    [InlineData("""{ "arm": { "payload_kg": -1 } }""", "arm.payload_kg: must be above 0")]
    [InlineData("""{ "arm": { "payload": 1 } }""", "arm.payload: unknown key")]
    [InlineData("""{ "keepout_zones": [] }""", "keepout_zones: unknown key")]
    [InlineData("""{ "keep_out_zones": [ { "min": [0,0,0], "max": [1,1,1] } ] }""", "keep_out_zones[0].name: missing")]
    [InlineData("""{ "keep_out_zones": [ { "name": "a", "min": [0,0], "max": [1,1,1] } ] }""", "keep_out_zones[0].min: must be a list of three numbers")]
    [InlineData("""{ "keep_out_zones": [ { "name": "a", "min": [0,0,0], "max": [1,-1,1] } ] }""", "keep_out_zones[0].max: must be above min on every axis")]
    [InlineData("""{ "speed_zones": [ { "name": "s", "min": [0,0,0], "max": [1,1,1] } ] }""", "speed_zones[0].max_tool_speed: missing")]
    [InlineData("""{ "keep_out_zones": [ { "name": "a", "min": [0,0,0], "max": [1,1,1] } ], "speed_zones": [ { "name": "a", "min": [0,0,0], "max": [1,1,1], "max_tool_speed": 0.1 } ] }""", "zone name 'a' is used twice")]
    [InlineData("""{ "objects": [ { "kind": "cube" } ] }""", "objects[0]: gives no property")]
    [InlineData("""{ "objects": [ { "fragile": true } ] }""", "objects[0]: matches nothing")]
    [InlineData("""{ "objects": [ { "kind": "cube", "fragile": "yes" } ] }""", "objects[0].fragile: must be true or false")]
    [InlineData("""{ "forbidden_relations": [ { "name": "r", "relation": "under", "target": "*" } ] }""", "forbidden_relations[0].relation: must be one of in, on, lifted")]
    [InlineData("""{ "forbidden_relations": [ { "name": "r", "relation": "in", "target": "zone:nowhere" } ] }""", "forbidden_relations[0].target: names zone 'nowhere'")]
    [InlineData("""{ "forbidden_relations": [ { "name": "r", "relation": "on" } ] }""", "forbidden_relations[0].target: missing")]
    [InlineData("""{ "hazard_words": ["two words"] }""", "hazard_words[0]: must be a single word")]
    [InlineData("""{ "fragile_tool_speed": 0 }""", "fragile_tool_speed: must be above 0")]
    [InlineData("""{ "zone_braking": -2 }""", "zone_braking: must be above 0")]
    [InlineData("""[1, 2]""", "(root): must be a JSON object")]
    [InlineData("""{ "arm": """, "is not valid JSON")]
    public void Malformed_policies_are_refused_naming_the_key_and_the_reason(string text, string expected)
    {
        var e = Assert.Throws<ConfigurationException>(() => SafetyPolicy.Parse(text, "test.json"));
        Assert.StartsWith("safety policy test.json", e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_file_is_refused()
    {
        var e = Assert.Throws<ConfigurationException>(() => SafetyPolicy.Load("/nonexistent/safety.json"));
        Assert.Contains("safety policy not found: /nonexistent/safety.json", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Object_rules_merge_in_order_later_entries_win()
    {
        var p = SafetyPolicy.Parse("""
            { "objects": [ { "kind": "cube", "mass_kg": 0.05 }, { "name": "glass_*", "fragile": true }, { "color": "blue", "mass_kg": 0.3 } ] }
            """, "t");
        var glass = new Messages.SceneObject("glass_blue", "cube", "blue", Geometry.Pose.Identity, new Geometry.Vec3(0.02, 0.02, 0.02));
        var props = p.PropertiesOf(glass);
        Assert.True(props.Known);
        Assert.True(props.Fragile);
        Assert.Equal(0.3, props.MassKg);
        Assert.False(p.PropertiesOf(new Messages.SceneObject("bin", "bin", null, Geometry.Pose.Identity, default)).Known);
    }

    [Fact]
    public void Zone_depth_is_the_distance_to_the_nearest_face()
    {
        var z = new SafetyZone("z", new Geometry.Vec3(0, 0, 0), new Geometry.Vec3(1, 1, 1));
        Assert.Equal(0.1, z.Depth(new Geometry.Vec3(0.1, 0.5, 0.5)), 9);
        Assert.Equal(0, z.Depth(new Geometry.Vec3(-0.1, 0.5, 0.5)));
        Assert.Equal(0.5, z.Depth(new Geometry.Vec3(0.5, 0.5, 0.5)), 9);
    }
}
