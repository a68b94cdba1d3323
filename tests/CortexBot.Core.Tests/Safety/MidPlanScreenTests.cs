using CortexBot.Core;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;
using CortexBot.Core.Safety;

namespace CortexBot.Core.Tests.Safety;

public class MidPlanScreenTests
{
    private static readonly SafetyPolicy Policy = SafetyPolicy.Parse("""
        { "keep_out_zones": [ { "name": "operator_hand", "min": [0.25, 0.36, 0.0], "max": [0.65, 0.70, 0.35] } ],
          "speed_zones": [ { "name": "over_bin", "min": [0.14, -0.51, 0.0], "max": [0.36, -0.29, 0.30], "max_tool_speed": 0.05 } ],
          "objects": [ { "kind": "cube", "mass_kg": 0.05 }, { "kind": "bin", "fragile": false } ], "fragile_tool_speed": 0.1 }
        """, "test");

    private static SceneObject Obj(string name, string kind, double x, double y) =>
        new(name, kind, null, new Pose(new Vec3(x, y, 0.02), Quat.Identity), new Vec3(0.02, 0.02, 0.02));

    private static readonly SceneSnapshot Screened = new(0, [Obj("red_cube", "cube", 0.4, 0.1), Obj("bin", "bin", 0.25, -0.4)]);
    private static readonly Plan Rest = new([SkillInvocation.Of(SkillNames.Place, "red_cube", "bin")]);

    [Fact]
    public void An_object_that_appeared_in_a_keep_out_zone_is_a_new_flag_and_one_that_was_there_is_not()
    {
        var now = Screened with { Objects = Screened.Objects.Add(Obj("visitor", "glove", 0.45, 0.5)) };
        var flag = Assert.Single(MidPlanScreen.NewFlags(Policy, Screened, now, Rest));
        Assert.StartsWith("keep_out_zones.operator_hand: visitor (kind glove) appeared", flag);
        Assert.Empty(MidPlanScreen.NewFlags(Policy, now, now, Rest));
        // a new object outside every zone and far from the targets: nothing to judge
        Assert.Empty(MidPlanScreen.NewFlags(Policy, Screened, Screened with { Objects = Screened.Objects.Add(Obj("visitor", "glove", 0.6, 0.0)) }, Rest));
    }

    [Fact]
    public void An_unknown_object_that_came_near_a_target_is_a_new_flag_a_known_one_is_not()
    {
        var glove = Screened with { Objects = Screened.Objects.Add(Obj("visitor", "glove", 0.25, -0.33)) };
        Assert.StartsWith("objects: no properties for visitor (kind glove), which came near bin", Assert.Single(MidPlanScreen.NewFlags(Policy, Screened, glove, Rest)));
        var cube = Screened with { Objects = Screened.Objects.Add(Obj("blue_cube", "cube", 0.25, -0.33)) };
        Assert.Empty(MidPlanScreen.NewFlags(Policy, Screened, cube, Rest));
    }

    [Fact]
    public void The_slow_speed_is_the_lowest_of_the_speed_zones_and_the_fragile_speed()
    {
        Assert.Equal(0.05, MidPlanScreen.SlowToolSpeed(Policy));
        Assert.Equal(0.1, MidPlanScreen.SlowToolSpeed(Policy with { SpeedZones = [] }));
    }
}
