using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;

namespace CortexBot.Core.Tests;

public class SceneTests
{
    private static readonly Vec3 Cube = new(0.02, 0.02, 0.02);

    private static SceneSnapshot Scene(Vec3 cubeAt, double binYaw = 0) => new(0, [
        new SceneObject("red_cube", "cube", "red", new Pose(cubeAt, Quat.Identity), Cube),
        new SceneObject("bin", "bin", null, new Pose(new Vec3(0.25, -0.4, 0.04), Quat.FromAxisAngle(Vec3.UnitZ, binYaw)), new Vec3(0.08, 0.08, 0.04)),
    ]);

    [Fact]
    public void Inside_means_within_the_containers_inner_volume()
    {
        Assert.True(Scene(new Vec3(0.25, -0.4, 0.02)).IsInside("red_cube", "bin"));
        Assert.True(Scene(new Vec3(0.32, -0.47, 0.02)).IsInside("red_cube", "bin"));
        Assert.False(Scene(new Vec3(0.34, -0.4, 0.02)).IsInside("red_cube", "bin"));
        Assert.False(Scene(new Vec3(0.25, -0.4, 0.20)).IsInside("red_cube", "bin"));
        Assert.False(Scene(new Vec3(0.4, 0.1, 0.02)).IsInside("red_cube", "bin"));
    }

    [Fact]
    public void Inside_respects_the_containers_rotation()
    {
        var corner = new Vec3(0.25 + 0.075, -0.4 + 0.075, 0.02);
        Assert.True(Scene(corner).IsInside("red_cube", "bin"));
        Assert.False(Scene(corner, Math.PI / 4).IsInside("red_cube", "bin"));
    }

    [Fact]
    public void Unknown_names_and_non_finite_positions_are_never_inside()
    {
        Assert.False(Scene(new Vec3(0.25, -0.4, 0.02)).IsInside("blue_cube", "bin"));
        Assert.False(Scene(new Vec3(0.25, -0.4, 0.02)).IsInside("red_cube", "crate"));
        Assert.False(Scene(new Vec3(double.NaN, -0.4, 0.02)).IsInside("red_cube", "bin"));
    }

    [Fact]
    public void Find_ignores_case()
    {
        Assert.NotNull(Scene(Vec3.Zero).Find("RED_CUBE"));
    }

    [Fact]
    public void Quaternion_rotation_and_yaw_agree()
    {
        var q = Quat.FromAxisAngle(Vec3.UnitZ, 0.7);
        var v = q.Rotate(Vec3.UnitX);
        Assert.Equal(Math.Cos(0.7), v.X, 12);
        Assert.Equal(Math.Sin(0.7), v.Y, 12);
        Assert.Equal(0.7, q.Yaw, 12);
        var back = (q * q.Conjugate()).Rotate(new Vec3(1, 2, 3));
        Assert.Equal(2, back.Y, 12);
    }

    [Fact]
    public void Skill_invocations_compare_by_value()
    {
        Assert.Equal(SkillInvocation.Of("place", "red_cube", "bin"), SkillInvocation.Of("place", "red_cube", "bin"));
        Assert.NotEqual(SkillInvocation.Of("place", "red_cube", "bin"), SkillInvocation.Of("place", "blue_cube", "bin"));
        Assert.Equal("place(red_cube, bin)", SkillInvocation.Of("place", "red_cube", "bin").ToString());
    }
}
