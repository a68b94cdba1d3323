using CortexBot.Brainstem;
using CortexBot.Cerebellum.Control;
using CortexBot.Cerebellum.Kinematics;
using CortexBot.Cerebellum.Skills;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;
using CortexBot.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace CortexBot.Cerebellum.Tests;

public class SkillRunnerTests
{
    private static readonly SceneSnapshot Scene = new(0, [
        new SceneObject("red_cube", "cube", "red", new Pose(new Vec3(0.42, 0.1, 0.02), Quat.Identity), new Vec3(0.02, 0.02, 0.02)),
        new SceneObject("bin", "bin", null, new Pose(new Vec3(0.25, -0.4, 0.04), Quat.Identity), new Vec3(0.08, 0.08, 0.04)),
    ]);

    private static (ControlLoop Loop, FakeArmLink Link, SkillCompiler Compiler) Start(Pacing pacing = Pacing.Fast)
    {
        var link = new FakeArmLink(TestArm.Model);
        var loop = new ControlLoop(new SafetyGate(link, TestArm.Model),
            new ControlLoopOptions { RateHz = 500, Pacing = pacing, UseRealtimePriority = false }, NullLogger<ControlLoop>.Instance);
        loop.Start();
        return (loop, link, new SkillCompiler(new ArmKinematics(TestArm.Model)));
    }

    [Fact]
    public async Task A_skill_runs_to_success_and_returns_after_its_last_tick_was_written()
    {
        var (loop, link, compiler) = Start();
        using var _ = loop;
        var run = await SkillRunner.RunAsync(loop, compiler, SkillInvocation.Of(SkillNames.MoveAbove, "red_cube"), Scene, null, TimeSpan.FromMinutes(1));
        Assert.True(run.Succeeded, run.Detail);
        Assert.True(run.DurationS > 0.1, $"a move above lasts more than a few ticks, got {run.DurationS}s");
        // the program ended on a tick; the link has seen that tick's command (and the arm is where the skill put it)
        var cmd = loop.LatestCommand();
        for (int i = 0; i < cmd.Length; i++) Assert.Equal(cmd[i], link.LastCommand[i], 9);
    }

    [Fact]
    public async Task An_uncompilable_skill_fails_without_moving_the_arm()
    {
        var (loop, _, compiler) = Start();
        using var _ = loop;
        var run = await SkillRunner.RunAsync(loop, compiler, SkillInvocation.Of(SkillNames.Pick, "purple_cube"), Scene, null, TimeSpan.FromMinutes(1));
        Assert.Equal(SkillOutcome.Failed, run.Outcome);
        Assert.Contains("purple_cube", run.Detail);
        Assert.Equal(0, run.DurationS);
        var cmd = loop.LatestCommand();
        for (int i = 0; i < 6; i++) Assert.Equal(TestArm.Model.Home[i], cmd[i], 9);
        Assert.False(loop.HasActiveProgram);
    }

    [Fact]
    public async Task A_skill_that_outlives_its_timeout_is_aborted_and_the_loop_holds()
    {
        // paced in real time: the move lasts about a second, far past its 1 ms allowance
        var (loop, _, compiler) = Start(Pacing.Realtime);
        using var _ = loop;
        var run = await SkillRunner.RunAsync(loop, compiler, SkillInvocation.Of(SkillNames.MoveAbove, "red_cube"), Scene, null, TimeSpan.FromMilliseconds(1));
        Assert.Equal(SkillOutcome.Aborted, run.Outcome);
        Assert.Equal(AnomalyKinds.NoProgress, run.AnomalyKind);
        // the abort reaches a program whether it was already running or still waiting to be adopted: nothing runs afterwards
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (loop.HasActiveProgram && DateTime.UtcNow < deadline) await Task.Delay(5);
        Assert.False(loop.HasActiveProgram);
        await Task.Delay(100);
        Assert.False(loop.HasActiveProgram);
    }
}
