using CortexBot.Cerebellum.Kinematics;
using CortexBot.Cerebellum.Skills;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;
using CortexBot.Testing;

namespace CortexBot.Cerebellum.Tests;

/// <summary>Skills are timed for the tool speed limit in force, so the safety gate never has to slow them down.</summary>
public class ToolSpeedTimingTests
{
    private static readonly SceneSnapshot Scene = new(0, [
        new SceneObject("red_cube", "cube", "red", new Pose(new Vec3(0.42, 0.1, 0.02), Quat.FromAxisAngle(Vec3.UnitZ, 0.3)), new Vec3(0.02, 0.02, 0.02)),
        new SceneObject("bin", "bin", null, new Pose(new Vec3(0.25, -0.4, 0.04), Quat.Identity), new Vec3(0.08, 0.08, 0.04)),
    ]);

    /// <summary>The fastest tool speed between consecutive samples of every move of a program (1 ms samples of the minimum-jerk motion).</summary>
    private static double PeakToolSpeed(SkillProgram program, ArmKinematics kin)
    {
        double peak = 0;
        foreach (var seg in program.Segments.Where(s => s.Kind == SegmentKind.Move))
        {
            var q = new double[seg.From.Length];
            Vec3 At(double t)
            {
                double tau = Math.Clamp(t / seg.Duration, 0, 1), s = tau * tau * tau * (10 - 15 * tau + 6 * tau * tau);
                for (int i = 0; i < q.Length; i++) q[i] = seg.From[i] + (seg.To[i] - seg.From[i]) * s;
                return kin.Forward(q).Position;
            }
            const double dt = 0.001;
            var previous = At(0);
            for (double t = dt; t <= seg.Duration + dt / 2; t += dt)
            {
                var next = At(t);
                peak = Math.Max(peak, (next - previous).Norm / dt);
                previous = next;
            }
        }
        return peak;
    }

    private static (SkillProgram Pick, SkillProgram Place) Compile(SkillParameters parameters)
    {
        var kin = new ArmKinematics(TestArm.Model);
        var compiler = new SkillCompiler(kin, parameters);
        var pick = compiler.Compile(SkillInvocation.Of(SkillNames.Pick, "red_cube"), Scene, new ArmContext([.. TestArm.Model.Home], 0.08, 0.08));
        Assert.True(pick.Program is not null, pick.Error);
        var pickProgram = (SkillProgram)pick.Program!;
        var end = pickProgram.Segments[^1].To;
        var place = compiler.Compile(SkillInvocation.Of(SkillNames.Place, "red_cube", "bin"), Scene, new ArmContext([.. end], 0.015, 0.04));
        Assert.True(place.Program is not null, place.Error);
        return (pickProgram, (SkillProgram)place.Program!);
    }

    [Theory]
    [InlineData(0.25)]
    [InlineData(0.1)]
    public void Every_move_of_a_pick_and_place_stays_under_the_limit_with_its_margin(double limit)
    {
        var kin = new ArmKinematics(TestArm.Model);
        var p = new SkillParameters { MaxToolSpeed = limit };
        var (pick, place) = Compile(p);
        double peak = Math.Max(PeakToolSpeed(pick, kin), PeakToolSpeed(place, kin));
        Assert.InRange(peak, 0.5 * p.ToolSpeedMargin * limit, p.ToolSpeedMargin * limit * 1.01);
    }

    [Fact]
    public void Without_a_limit_the_joints_alone_time_the_motion_and_it_is_faster()
    {
        var kin = new ArmKinematics(TestArm.Model);
        var (freePick, _) = Compile(new SkillParameters());
        var (slowPick, _) = Compile(new SkillParameters { MaxToolSpeed = 0.25 });
        Assert.True(PeakToolSpeed(freePick, kin) > 0.3, "the unlimited skills move the tool faster than 0.3 m/s somewhere");
        Assert.True(freePick.Segments.Sum(s => s.Duration) < slowPick.Segments.Sum(s => s.Duration));
    }
}
