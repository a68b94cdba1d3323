using CortexBot.Brainstem;
using CortexBot.Cerebellum.Control;
using CortexBot.Cerebellum.Kinematics;
using CortexBot.Cerebellum.Skills;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using CortexBot.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace CortexBot.Cerebellum.Tests;

/// <summary>The control loop in front of a link that takes whole trajectories (a joint_trajectory_controller).</summary>
public class TrajectoryLinkTests
{
    private static SceneSnapshot Scene() => new(0, [
        new SceneObject("red_cube", "cube", "red", new Pose(new Vec3(0.42, 0.1, 0.02), Quat.FromAxisAngle(Vec3.UnitZ, 0.3)), new Vec3(0.02, 0.02, 0.02)),
        new SceneObject("bin", "bin", null, new Pose(new Vec3(0.25, -0.4, 0.04), Quat.Identity), new Vec3(0.08, 0.08, 0.04)),
    ]);

    private static (ControlLoop loop, FakeTrajectoryLink link, SafetyGate gate) Make()
    {
        var link = new FakeTrajectoryLink(TestArm.Model);
        var gate = new SafetyGate(link, TestArm.Model);
        var loop = new ControlLoop(gate, new ControlLoopOptions { RateHz = 500, Pacing = Pacing.Fast, UseRealtimePriority = false }, NullLogger<ControlLoop>.Instance);
        return (loop, link, gate);
    }

    private static SkillProgram Compile(ControlLoop loop, SkillInvocation skill)
    {
        var c = new SkillCompiler(new ArmKinematics(TestArm.Model)).Compile(skill, Scene(), new ArmContext(loop.LatestCommand(), 0.08, 0.08));
        Assert.True(c.Program is not null, c.Error);
        return (SkillProgram)c.Program!;
    }

    private static ProgramReport Run(ControlLoop loop, IControlProgram program, Func<long, bool>? each = null)
    {
        ProgramReport? report = null;
        loop.Submit(program, r => report = r);
        for (long i = 0; i < 20_000 && report is null; i++)
        {
            loop.TickOnce();
            if (each?.Invoke(i) == true) break;
        }
        return report!;
    }

    [Fact]
    public void Each_move_segment_goes_to_the_link_once_as_a_sampled_minimum_jerk_trajectory_when_it_begins()
    {
        var (loop, link, gate) = Make();
        loop.PrepareInline();
        link.Arm.GripperBlockAt = 0.04;
        var program = Compile(loop, SkillInvocation.Of("pick", "red_cube"));
        var moves = program.Segments.Where(s => s.Kind == SegmentKind.Move).ToArray();
        Assert.True(moves.Length >= 3);
        // which segment runs on the tick each trajectory arrives
        var startedAt = new List<string>();
        int seen = 0;
        var report = Run(loop, program, _ =>
        {
            if (link.Executed.Count > seen) { seen = link.Executed.Count; startedAt.Add(program.CurrentLabel); }
            return false;
        });
        Assert.Equal(ProgramStatus.Succeeded, report.Status);
        Assert.Equal(moves.Length, link.Executed.Count);
        Assert.Equal(moves.Length, loop.TrajectoriesSent);
        Assert.Equal(moves.Length, gate.TrajectoriesPassed);
        Assert.Equal(moves.Select(m => m.Label), link.Executed.Select(t => t.Label));
        Assert.Equal(moves.Select(m => m.Label), startedAt);
        Assert.Equal(0, link.Cancels);
        for (int k = 0; k < moves.Length; k++)
        {
            var (m, t) = (moves[k], link.Executed[k]);
            Assert.Equal(m.Duration, t.Duration, 12);
            Assert.Equal((int)Math.Ceiling(m.Duration / 0.02 - 1e-9), t.Count);
            Assert.Equal(0.02, t.TimeFromStart[0], 12);
            for (int j = 0; j < 6; j++)
            {
                Assert.Equal(m.To[j], t.At(t.Count - 1, j));
                Assert.Equal(0, t.Velocity[(t.Count - 1) * 6 + j], 12); // ends at rest
                // halfway the minimum-jerk motion is halfway and at its peak speed, 1.875 x the mean
                int mid = Array.FindIndex(t.TimeFromStart, 0, t.Count, x => Math.Abs(x - m.Duration / 2) < 1e-9);
                if (mid >= 0)
                {
                    Assert.Equal((m.From[j] + m.To[j]) / 2, t.At(mid, j), 9);
                    Assert.Equal(1.875 * (m.To[j] - m.From[j]) / m.Duration, t.Velocity[mid * 6 + j], 9);
                }
            }
        }
    }

    [Fact]
    public void A_link_that_streams_gets_no_trajectories()
    {
        var (loop, link, _) = Make();
        link.TakesTrajectories = false;
        loop.PrepareInline();
        link.Arm.GripperBlockAt = 0.04;
        Assert.Equal(ProgramStatus.Succeeded, Run(loop, Compile(loop, SkillInvocation.Of("pick", "red_cube"))).Status);
        Assert.Empty(link.Executed);
        Assert.Equal(0, loop.TrajectoriesSent);
    }

    [Fact]
    public void A_fault_the_controller_reports_fails_the_program_with_its_kind_holds_where_the_arm_is_and_cancels()
    {
        var (loop, link, _) = Make();
        loop.PrepareInline();
        var report = Run(loop, Compile(loop, SkillInvocation.Of("move_home")), i =>
        {
            if (i == 100) link.InjectFault(AnomalyKinds.PathTolerance, "aborted goal 3: PATH_TOLERANCE_VIOLATED (joint shoulder_lift)");
            return false;
        });
        Assert.Equal(ProgramStatus.Failed, report.Status);
        Assert.Equal(AnomalyKinds.PathTolerance, report.AnomalyKind);
        Assert.Contains("PATH_TOLERANCE_VIOLATED", report.Detail, StringComparison.Ordinal);
        Assert.Equal(1, link.Cancels);
        Assert.Same(report, loop.LastAnomaly);
        // a fault that arrives while nothing runs is not the next program's
        link.InjectFault(AnomalyKinds.GoalTolerance, "late");
        for (int i = 0; i < 10; i++) loop.TickOnce();
        var next = Run(loop, Compile(loop, SkillInvocation.Of("open_gripper")));
        Assert.Equal(ProgramStatus.Succeeded, next.Status);
    }

    [Fact]
    public void An_abort_cancels_the_trajectory_in_force()
    {
        var (loop, link, _) = Make();
        loop.PrepareInline();
        var report = Run(loop, Compile(loop, SkillInvocation.Of("move_above", "red_cube")), i =>
        {
            if (i == 50) loop.Abort("emergency stop: test");
            return false;
        });
        Assert.Equal(ProgramStatus.Failed, report.Status);
        Assert.Single(link.Executed);
        Assert.Equal(1, link.Cancels);
    }

    [Fact]
    public void A_refused_trajectory_fails_the_program_before_the_arm_moves()
    {
        var (loop, link, _) = Make();
        loop.PrepareInline();
        link.Refuse = "no thanks";
        var before = loop.LatestCommand();
        var report = Run(loop, Compile(loop, SkillInvocation.Of("move_above", "red_cube")));
        Assert.Equal(ProgramStatus.Failed, report.Status);
        Assert.Equal(AnomalyKinds.TrajectoryRefused, report.AnomalyKind);
        Assert.Equal("no thanks", report.Detail);
        for (int i = 0; i < 10; i++) loop.TickOnce();
        Assert.Equal(before, loop.LatestCommand());
    }

    [Fact]
    public void The_tick_allocates_nothing_while_it_hands_over_trajectories_through_the_gate()
    {
        var link = new FakeTrajectoryLink(TestArm.Model) { Record = false };
        var gate = new SafetyGate(link, TestArm.Model, Core.Robot.SafetyEnvelope.ForScene(Core.RepoPaths.DefaultScene, 1.0));
        var loop = new ControlLoop(gate, new ControlLoopOptions { RateHz = 500, Pacing = Pacing.Fast, UseRealtimePriority = false }, NullLogger<ControlLoop>.Instance);
        loop.PrepareInline();
        link.Arm.GripperBlockAt = 0.04;
        Assert.Equal(ProgramStatus.Succeeded, Run(loop, Compile(loop, SkillInvocation.Of("pick", "red_cube"))).Status); // warm up
        Assert.Equal(ProgramStatus.Succeeded, Run(loop, Compile(loop, SkillInvocation.Of("move_home"))).Status);
        int executed = link.ExecutedCount;
        var program = Compile(loop, SkillInvocation.Of("pick", "red_cube"));
        ProgramReport? report = null;
        loop.Submit(program, r => report = r);
        // from the first tick (the first segment's trajectory) across the segments' boundaries, while the program runs
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1000; i++) loop.TickOnce();
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Null(report);
        Assert.True(link.ExecutedCount - executed >= 2, $"{link.ExecutedCount - executed} trajectories in 1000 ticks");
        Assert.Equal(0, gate.TrajectoriesRefused);
        Assert.Equal(0, allocated);
    }
}

/// <summary>The gate refuses a skill's segment that would leave the envelope: the program fails before the arm moves.</summary>
public class TrajectoryEnvelopeTests
{
    [Fact]
    public void A_segment_that_leaves_the_envelope_is_refused_and_the_skill_fails_with_trajectory_refused()
    {
        var link = new FakeTrajectoryLink(TestArm.Model);
        var gate = new SafetyGate(link, TestArm.Model, Core.Robot.SafetyEnvelope.ForScene(Core.RepoPaths.DefaultScene, 1.0));
        var loop = new ControlLoop(gate, new ControlLoopOptions { RateHz = 500, Pacing = Pacing.Fast, UseRealtimePriority = false }, NullLogger<ControlLoop>.Instance);
        loop.PrepareInline();
        // an object sunk into the table: 10 cm above its top is still 3 cm below the table's
        var scene = new SceneSnapshot(0, [new SceneObject("red_cube", "cube", "red", new Pose(new Vec3(0.4, 0.1, -0.15), Quat.Identity), new Vec3(0.02, 0.02, 0.02))]);
        var c = new SkillCompiler(new ArmKinematics(TestArm.Model)).Compile(SkillInvocation.Of("move_above", "red_cube"), scene, new ArmContext(loop.LatestCommand(), 0.08, 0.08));
        Assert.True(c.Program is not null, c.Error);
        ProgramReport? report = null;
        loop.Submit(c.Program!, r => report = r);
        for (int i = 0; i < 10 && report is null; i++) loop.TickOnce();
        Assert.NotNull(report);
        Assert.Equal(AnomalyKinds.TrajectoryRefused, report.AnomalyKind);
        Assert.Contains("safety envelope", report.Detail, StringComparison.Ordinal);
        Assert.Empty(link.Executed);
        Assert.Equal(1, gate.TrajectoriesRefused);
    }
}
