using Akka.Actor;
using CortexBot.Brainstem;
using CortexBot.Cerebellum.Control;
using CortexBot.Cerebellum.Kinematics;
using CortexBot.Cerebellum.Skills;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using CortexBot.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace CortexBot.Cerebellum.Tests;

/// <summary>A skill's safety speed cap (a modify verdict's): compiled for, enforced by the gate while it runs, lifted after; never dropped.</summary>
public sealed class SpeedCapTests : IAsyncLifetime
{
    private readonly ActorSystem _system = ActorSystem.Create("speed-cap");
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    public Task InitializeAsync() => Task.CompletedTask;
    public Task DisposeAsync() => _system.Terminate();

    private sealed class OneCube : IScenePerception
    {
        public SceneSnapshot Snapshot() => new(0, [new SceneObject("red_cube", SceneKinds.Cube, "red",
            new Core.Geometry.Pose(new Core.Geometry.Vec3(0.40, 0.20, 0.02), Core.Geometry.Quat.Identity), new Core.Geometry.Vec3(0.02, 0.02, 0.02))]);
    }

    private (ControlLoop Loop, SafetyGate Gate, IActorRef Cerebellum, List<double> Caps) Make(bool capping)
    {
        var gate = new SafetyGate(new FakeArmLink(TestArm.Model), TestArm.Model, Core.Robot.SafetyEnvelope.ForScene(Core.RepoPaths.DefaultScene, 1.0));
        var loop = new ControlLoop(gate, new ControlLoopOptions { RateHz = 500, Pacing = Pacing.Fast, UseRealtimePriority = false }, NullLogger<ControlLoop>.Instance);
        loop.PrepareInline();
        var parameters = new SkillParameters { MaxToolSpeed = 1.0 };
        var caps = new List<double>();
        var speedCapping = capping ? SpeedCapping.For(gate, p => { caps.Add(p.MaxToolSpeed); return new SkillCompiler(new ArmKinematics(TestArm.Model), p); }, parameters) : null;
        var cerebellum = _system.ActorOf(CerebellumActor.Props(loop, new SkillCompiler(new ArmKinematics(TestArm.Model), parameters), new OneCube(), speedCapping));
        return (loop, gate, cerebellum, caps);
    }

    [Fact]
    public async Task A_capped_skill_is_compiled_for_the_cap_enforced_while_it_runs_and_the_cap_lifted_after()
    {
        var (loop, gate, cerebellum, caps) = Make(capping: true);
        var result = cerebellum.Ask<SkillResult>(new ExecuteSkill(Guid.NewGuid(), 0, SkillInvocation.Of(SkillNames.MoveAbove, "red_cube")) { MaxToolSpeed = 0.1 }, Wait);
        await Task.Run(async () => { while (!loop.HasActiveProgram) await Task.Delay(1); }).WaitAsync(Wait);
        Assert.Equal(0.1, gate.ToolSpeedCap);
        Assert.Equal([0.1], caps);
        long ticks = 0;
        while (loop.HasActiveProgram && ticks++ < 10_000) loop.TickOnce();
        var r = await result.WaitAsync(Wait);
        Assert.True(r.Succeeded, r.Detail);
        await Task.Run(async () => { while (double.IsFinite(gate.ToolSpeedCap)) await Task.Delay(1); }).WaitAsync(Wait);
        // timed for the cap (90% of it), so the gate held it under the cap without having to slow it
        Assert.InRange(gate.PeakToolSpeed, 0.05, 0.1 + 1e-9);
        Assert.Equal(0, gate.SpeedScaled);
    }

    [Fact]
    public async Task A_cap_between_skills_reaches_the_gate_and_an_infinite_one_lifts_it()
    {
        var (_, gate, cerebellum, _) = Make(capping: true);
        cerebellum.Tell(new CapToolSpeed(0.2));
        await Task.Run(async () => { while (gate.ToolSpeedCap != 0.2) await Task.Delay(1); }).WaitAsync(Wait);
        cerebellum.Tell(new CapToolSpeed(double.PositiveInfinity));
        await Task.Run(async () => { while (double.IsFinite(gate.ToolSpeedCap)) await Task.Delay(1); }).WaitAsync(Wait);
    }

    [Fact]
    public async Task Without_a_way_to_enforce_it_a_capped_skill_is_refused_not_run_uncapped()
    {
        var (loop, _, cerebellum, _) = Make(capping: false);
        var r = await cerebellum.Ask<SkillResult>(new ExecuteSkill(Guid.NewGuid(), 0, SkillInvocation.Of(SkillNames.MoveHome)) { MaxToolSpeed = 0.1 }, Wait);
        Assert.Equal(SkillOutcome.Failed, r.Outcome);
        Assert.Contains("cannot enforce", r.Detail);
        Assert.False(loop.HasActiveProgram);
    }
}
