using System.Collections.Immutable;
using CortexBot.Brainstem;
using CortexBot.Cerebellum.Control;
using CortexBot.Cerebellum.Kinematics;
using CortexBot.Cerebellum.Skills;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;
using CortexBot.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace CortexBot.Cerebellum.Tests;

public class ControlLoopTests
{
    private static SceneSnapshot Scene() => new(0, [
        new SceneObject("red_cube", "cube", "red", new Pose(new Vec3(0.42, 0.1, 0.02), Quat.FromAxisAngle(Vec3.UnitZ, 0.3)), new Vec3(0.02, 0.02, 0.02)),
        new SceneObject("bin", "bin", null, new Pose(new Vec3(0.25, -0.4, 0.04), Quat.Identity), new Vec3(0.08, 0.08, 0.04)),
    ]);

    private static (ControlLoop loop, FakeArmLink link, SafetyGate gate) Make(Pacing pacing = Pacing.Fast)
    {
        var link = new FakeArmLink(TestArm.Model);
        var gate = new SafetyGate(link, TestArm.Model);
        var loop = new ControlLoop(gate, new ControlLoopOptions { RateHz = 500, Pacing = pacing, UseRealtimePriority = false }, NullLogger<ControlLoop>.Instance);
        return (loop, link, gate);
    }

    private static SkillProgram Compile(ControlLoop loop, SkillInvocation skill, double gripperMeasured = 0.08)
    {
        var compiler = new SkillCompiler(new ArmKinematics(TestArm.Model));
        var c = compiler.Compile(skill, Scene(), new ArmContext(loop.LatestCommand(), 0.08, gripperMeasured));
        Assert.True(c.Program is not null, c.Error);
        return (SkillProgram)c.Program!;
    }

    [Fact]
    public void Idle_loop_holds_the_start_position()
    {
        var (loop, link, _) = Make();
        loop.PrepareInline();
        for (int i = 0; i < 100; i++) loop.TickOnce();
        Assert.Equal(100, link.Writes);
        for (int i = 0; i < 6; i++) Assert.Equal(TestArm.Model.Home[i], link.LastCommand[i], 9);
    }

    [Fact]
    public void Pick_runs_to_completion_and_ends_with_the_object_held()
    {
        var (loop, link, _) = Make();
        loop.PrepareInline();
        link.GripperBlockAt = 0.04; // a cube between the fingers
        ProgramReport? report = null;
        loop.Submit(Compile(loop, SkillInvocation.Of("pick", "red_cube")), r => report = r);
        for (int i = 0; i < 20_000 && report is null; i++) loop.TickOnce();
        Assert.NotNull(report);
        Assert.Equal(ProgramStatus.Succeeded, report.Status);
        Assert.True(link.MaxLimitViolation <= 0, "a command left the joint range");
        Assert.True(link.MaxStepRatio <= 1.0 + 1e-9, $"a command exceeded a velocity limit ({link.MaxStepRatio:F3}x)");
    }

    [Fact]
    public void Closing_on_nothing_is_reported_as_a_missed_grasp()
    {
        var (loop, link, _) = Make();
        loop.PrepareInline();
        ProgramReport? report = null;
        loop.Submit(Compile(loop, SkillInvocation.Of("pick", "red_cube")), r => report = r);
        for (int i = 0; i < 20_000 && report is null; i++) loop.TickOnce();
        Assert.Equal(ProgramStatus.Failed, report!.Status);
        Assert.Equal(AnomalyKinds.GraspMissed, report.AnomalyKind);
    }

    [Fact]
    public void The_tick_allocates_nothing()
    {
        var (loop, link, _) = Make();
        loop.PrepareInline();
        link.GripperBlockAt = 0.04;
        loop.Submit(Compile(loop, SkillInvocation.Of("pick", "red_cube")), _ => { });
        for (int i = 0; i < 200; i++) loop.TickOnce(); // warm up, program running
        Assert.Equal(0, Allocations.SteadyState(() => { for (int i = 0; i < 1000; i++) loop.TickOnce(); }));
    }

    [Fact]
    public void Non_finite_state_stops_the_skill_and_holds()
    {
        var (loop, link, _) = Make();
        loop.PrepareInline();
        ProgramReport? report = null;
        loop.Submit(Compile(loop, SkillInvocation.Of("move_home")), r => report = r);
        loop.Submit(Compile(loop, SkillInvocation.Of("move_above", "bin")), r => report = r);
        for (int i = 0; i < 50; i++) loop.TickOnce();
        var held = (double[])link.LastCommand.Clone();
        link.InjectNaN = true;
        for (int i = 0; i < 50; i++) loop.TickOnce();
        Assert.Equal(ProgramStatus.Failed, report!.Status);
        Assert.Equal(AnomalyKinds.InvalidState, report.AnomalyKind);
        for (int i = 0; i < 6; i++) Assert.Equal(held[i], link.LastCommand[i], 2);
        var after = (double[])link.LastCommand.Clone();
        for (int i = 0; i < 50; i++) loop.TickOnce();
        Assert.Equal(after, link.LastCommand);
    }

    [Fact]
    public void A_stamped_command_is_timed_at_the_first_tick_that_writes_it_and_an_unstamped_one_is_not()
    {
        var (loop, link, _) = Make();
        loop.PrepareInline();
        loop.Submit(Compile(loop, SkillInvocation.Of("move_above", "bin")), _ => { });
        loop.TickOnce();
        Assert.Equal(0, loop.CommandLatency().Count);
        long sent = Core.WallClock.UnixNs - 2_000_000; // sent 2 ms before it reaches the loop
        loop.Submit(Compile(loop, SkillInvocation.Of("move_above", "red_cube")), _ => { }, sent);
        Assert.Equal(0, loop.CommandLatency().Count); // no tick has written it yet
        long writes = link.Writes;
        loop.TickOnce();
        Assert.Equal(writes + 1, link.Writes);
        var (count, p50, p99, max) = loop.CommandLatency();
        Assert.Equal(1, count);
        Assert.True(p50 >= 2000 && p99 == p50 && max == p50, $"{p50} us");
        for (int i = 0; i < 50; i++) loop.TickOnce(); // the same program's later ticks are not timed again
        Assert.Equal(1, loop.CommandLatency().Count);
        loop.ResetStats();
        Assert.Equal(0, loop.CommandLatency().Count);
    }

    [Fact]
    public void Abort_holds_the_last_command()
    {
        var (loop, link, _) = Make();
        loop.PrepareInline();
        ProgramReport? report = null;
        loop.Submit(Compile(loop, SkillInvocation.Of("move_above", "bin")), r => report = r);
        for (int i = 0; i < 100; i++) loop.TickOnce();
        loop.Abort("test");
        loop.TickOnce();
        var held = (double[])link.LastCommand.Clone();
        for (int i = 0; i < 100; i++) loop.TickOnce();
        Assert.Equal(ProgramStatus.Failed, report!.Status);
        Assert.Equal(held, link.LastCommand);
    }

    [Fact]
    public void Realtime_thread_ticks_and_reports_jitter()
    {
        var (loop, link, _) = Make(Pacing.Realtime);
        using (loop)
        {
            loop.Start();
            Thread.Sleep(400);
            var stats = loop.Stats();
            Assert.True(stats.Ticks > 50, $"only {stats.Ticks} ticks");
            Assert.Equal("realtime", stats.Pacing);
            Assert.True(stats.JitterP50Us <= stats.JitterP99Us && stats.JitterP99Us <= stats.JitterMaxUs);
        }
        Assert.False(loop.IsRunning);
    }

    [Fact]
    public void Place_without_a_held_object_is_refused()
    {
        var compiler = new SkillCompiler(new ArmKinematics(TestArm.Model));
        var c = compiler.Compile(SkillInvocation.Of("place", "red_cube", "bin"), Scene(), new ArmContext(TestArm.Model.Home.ToArray(), 0.0, 0.0));
        Assert.Null(c.Program);
        Assert.Contains("holds nothing", c.Error);
    }

    [Fact]
    public void Unknown_skills_and_objects_are_refused()
    {
        var compiler = new SkillCompiler(new ArmKinematics(TestArm.Model));
        var arm = new ArmContext(TestArm.Model.Home.ToArray(), 0.08, 0.08);
        Assert.Null(compiler.Compile(SkillInvocation.Of("dance"), Scene(), arm).Program);
        Assert.Contains("not in the scene", compiler.Compile(SkillInvocation.Of("pick", "yellow_cube"), Scene(), arm).Error);
        var far = new SceneSnapshot(0, [new SceneObject("far_cube", "cube", "red", new Pose(new Vec3(2, 0, 0.02), Quat.Identity), new Vec3(0.02, 0.02, 0.02))]);
        var c = compiler.Compile(SkillInvocation.Of("pick", "far_cube"), far, arm);
        Assert.Equal(AnomalyKinds.Unreachable, c.ErrorKind);
    }
}
