using CortexBot.Cerebellum.Kinematics;
using CortexBot.Cerebellum.Skills;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;
using CortexBot.Testing;

namespace CortexBot.Cerebellum.Tests;

/// <summary>
/// Where the compiled place and stack put the held object: a free spot of the container from the perceived occupancy,
/// or aligned on top of the base; and what they refuse, with the reason. The arm's poses are read back through forward
/// kinematics from the compiled segments.
/// </summary>
public class PlaceAndStackCompileTests
{
    private static readonly Vec3 Cube = new(0.02, 0.02, 0.02);
    private static readonly ArmKinematics Kin = new(TestArm.Model);
    private static readonly SkillCompiler Compiler = new(Kin);
    private static readonly SceneObject Bin = new("bin", SceneKinds.Bin, null, new Pose(new Vec3(0.25, -0.40, 0.04), Quat.Identity), new Vec3(0.08, 0.08, 0.04));

    /// <summary>The arm holding <c>red_cube</c> above the table (home posture, gripper closed on the cube).</summary>
    private static ArmContext Holding => new(TestArm.Model.Home.ToArray(), 0.015, 0.04);

    private static SceneObject CubeAt(string name, double x, double y, double z = 0.02, double yaw = 0) =>
        new(name, SceneKinds.Cube, null, new Pose(new Vec3(x, y, z), Quat.FromAxisAngle(Vec3.UnitZ, yaw)), Cube);

    private static SceneSnapshot Scene(params SceneObject[] objects) => new(0, [CubeAt("red_cube", 0.40, 0.10, 0.3), Bin, .. objects]);

    private static SkillProgram Compile(SkillInvocation skill, SceneSnapshot scene)
    {
        var c = Compiler.Compile(skill, scene, Holding);
        Assert.True(c.Program is not null, c.Error);
        return (SkillProgram)c.Program!;
    }

    private static Pose ToolAt(SkillProgram p, string labelStart) => Kin.Forward(p.Segments.Single(s => s.Label.StartsWith(labelStart, StringComparison.Ordinal)).To);

    [Fact]
    public void Place_into_an_empty_bin_lowers_the_object_to_just_above_the_floor_at_the_centre_and_opens_just_wider_than_it()
    {
        var p = Compile(SkillInvocation.Of(SkillNames.Place, "red_cube", "bin"), Scene());
        var release = ToolAt(p, "lower red_cube into bin").Position;
        Assert.True(Math.Abs(release.X - 0.25) < 1e-3 && Math.Abs(release.Y + 0.40) < 1e-3, $"released at {release}");
        // the palm stays above the rim (8 cm): the tool point no lower than rim - 45 mm + 5 mm; the cube's bottom 2 cm above the floor at most
        Assert.InRange(release.Z, 0.04 - 1e-3, 0.02 + 0.02 + 1e-3);
        var open = p.Segments.Single(s => s.Label == "release red_cube");
        Assert.Equal(0.04 + 2 * new SkillParameters().ReleaseGap, open.Gripper, 9);
    }

    [Fact]
    public void Place_next_to_objects_already_in_the_bin_picks_the_free_spot_nearest_the_centre()
    {
        var first = CubeAt("green_cube", 0.25, -0.40);
        var p = Compile(SkillInvocation.Of(SkillNames.Place, "red_cube", "bin"), Scene(first));
        var spot = ToolAt(p, "lower red_cube into bin").Position;
        double dx = Math.Abs(spot.X - 0.25), dy = Math.Abs(spot.Y + 0.40);
        // beside the first cube (faces apart by the margin; the tool point is solved to about a millimetre), not on it, and inside the walls
        Assert.True(Math.Max(dx, dy) >= 0.04 + 0.006 - 1e-3, $"spot {spot} overlaps green_cube");
        Assert.True(Math.Max(dx, dy) < 0.06, $"spot {spot} is not the nearest free one");
        Assert.True(dx + 0.02 <= 0.08 && dy + 0.02 <= 0.08);

        // a third goes on the other side of the first, in the same row
        var second = CubeAt("blue_cube", spot.X, spot.Y);
        var third = ToolAt(Compile(SkillInvocation.Of(SkillNames.Place, "red_cube", "bin"), Scene(first, second)), "lower red_cube into bin").Position;
        Assert.True((third - first.Pose.Position with { Z = third.Z }).Norm >= 0.046 - 1e-3 && (third - second.Pose.Position with { Z = third.Z }).Norm >= 0.046 - 1e-3,
            $"third spot {third} collides");
        Assert.True(Math.Abs(third.X - 0.25) + 0.02 <= 0.08 && Math.Abs(third.Y + 0.40) + 0.02 <= 0.08);
    }

    [Fact]
    public void Place_into_a_full_bin_fails_saying_so()
    {
        // a row of three across the middle and one on each side: no room left for a cube and the opening fingers
        var row = new[] { CubeAt("green_cube", 0.25, -0.40), CubeAt("blue_cube", 0.30, -0.40), CubeAt("yellow_cube", 0.20, -0.40),
            CubeAt("cube_4", 0.25, -0.35), CubeAt("cube_5", 0.25, -0.45) };
        var c = Compiler.Compile(SkillInvocation.Of(SkillNames.Place, "red_cube", "bin"), Scene(row), Holding);
        Assert.Null(c.Program);
        Assert.Contains("bin is full", c.Error);
        Assert.Contains("green_cube", c.Error);
    }

    [Fact]
    public void Objects_outside_the_bin_do_not_take_its_spots()
    {
        var beside = CubeAt("green_cube", 0.25, -0.25);  // on the table, next to the bin's wall
        var spot = ToolAt(Compile(SkillInvocation.Of(SkillNames.Place, "red_cube", "bin"), Scene(beside)), "lower red_cube into bin").Position;
        Assert.True(Math.Abs(spot.X - 0.25) < 1e-3 && Math.Abs(spot.Y + 0.40) < 1e-3, $"spot {spot}");
    }

    [Fact]
    public void Stack_lowers_the_object_onto_the_base_aligned_with_it()
    {
        var baseCube = CubeAt("blue_cube", 0.42, -0.05, yaw: 0.5);
        var p = Compile(SkillInvocation.Of(SkillNames.Stack, "red_cube", "blue_cube"), Scene(baseCube));
        var release = ToolAt(p, "lower red_cube onto blue_cube");
        Assert.True(Math.Abs(release.Position.X - 0.42) < 1e-3 && Math.Abs(release.Position.Y + 0.05) < 1e-3, $"released at {release.Position}");
        // the held cube's bottom 12 mm above the base's top (4 cm)
        Assert.Equal(0.04 + 0.02 + 0.012, release.Position.Z, 3);
        // the fingers (and so the held cube's faces) turned to the base's yaw, modulo a quarter turn
        var fingers = release.Orientation.Rotate(Vec3.UnitY);
        double toolYaw = Math.Atan2(fingers.Y, fingers.X) - Math.PI / 2;
        Assert.True(Math.Abs(Math.IEEERemainder(toolYaw - 0.5, Math.PI / 2)) < 1e-3, $"tool yaw {toolYaw}");
        Assert.Equal(0.04 + 2 * new SkillParameters().ReleaseGap, p.Segments.Single(s => s.Label.StartsWith("release", StringComparison.Ordinal)).Gripper, 9);
        // the cube stays held all the way down, and the base is watched (when poses are observed) meanwhile
        var lower = p.Segments.Single(s => s.Label.StartsWith("lower", StringComparison.Ordinal));
        Assert.True(lower.MustHold && lower.WatchTarget);
    }

    [Theory]
    [InlineData("bin", "is a container")]
    [InlineData("red_cube", "on itself")]
    public void Stack_on_a_container_or_on_itself_is_refused_with_the_reason(string baseName, string reason)
    {
        var c = Compiler.Compile(SkillInvocation.Of(SkillNames.Stack, "red_cube", baseName), Scene(), Holding);
        Assert.Null(c.Program);
        Assert.Equal(AnomalyKinds.Fault, c.ErrorKind);
        Assert.Contains(reason, c.Error);
    }

    [Fact]
    public void Stack_with_an_empty_hand_is_refused()
    {
        var c = Compiler.Compile(SkillInvocation.Of(SkillNames.Stack, "red_cube", "blue_cube"), Scene(CubeAt("blue_cube", 0.42, -0.05)),
            new ArmContext(TestArm.Model.Home.ToArray(), 0.08, 0.0));
        Assert.Null(c.Program);
        Assert.Contains("holds nothing", c.Error);
    }
}
