using Akka.Actor;
using CortexBot.Cerebellum.Control;
using CortexBot.Cerebellum.Skills;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using CortexBot.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace CortexBot.Brainstem.Tests;

public class BrainstemActorTests : Akka.TestKit.Xunit2.TestKit
{
    private sealed class FixedScene : IScenePerception
    {
        public SceneSnapshot Snapshot() => new(1, [new SceneObject("red_cube", "cube", "red", new Pose(new Vec3(0.4, 0, 0.02), Quat.Identity), new Vec3(0.02, 0.02, 0.02))]);
    }

    private (IActorRef actor, SafetyGate gate, ControlLoop loop, FakeArmLink link) Make()
    {
        var link = new FakeArmLink(TestArm.Model);
        var gate = new SafetyGate(link, TestArm.Model);
        var loop = new ControlLoop(gate, new ControlLoopOptions { Pacing = Pacing.Fast, UseRealtimePriority = false }, NullLogger<ControlLoop>.Instance);
        var actor = Sys.ActorOf(BrainstemActor.Props(new FixedScene(), null, null, gate, loop));
        return (actor, gate, loop, link);
    }

    [Fact]
    public void Answers_scene_and_state_queries()
    {
        var (actor, _, loop, _) = Make();
        actor.Tell(new GetScene());
        Assert.NotNull(ExpectMsg<SceneSnapshot>().Find("red_cube"));
        actor.Tell(new GetRobotState());
        var state = ExpectMsg<RobotStateSnapshot>();
        Assert.Equal(6, state.Position.Length);
        loop.Dispose();
    }

    /// <summary>Sweeps joint 0 slowly away from where the arm was when it began; never finishes.</summary>
    private sealed class Sweep : IControlProgram
    {
        private readonly double[] _start = new double[6];
        private long _begin;
        public long Steps;
        public string Name => "sweep";
        public string? FailureKind => null;
        public string? FailureDetail => null;
        public bool ScreenTracking => false;
        public void Begin(long tick, RobotStateBuffer state) { _begin = tick; for (int i = 0; i < 6; i++) _start[i] = state.Position[i]; }
        public ProgramStatus Step(long tick, double period, RobotStateBuffer state, JointCommandBuffer command)
        {
            Interlocked.Increment(ref Steps);
            for (int i = 0; i < 6; i++) command.Position[i] = _start[i];
            command.Position[0] += Math.Min(0.2, 0.0005 * (tick - _begin));
            command.GripperOpening = state.GripperOpening;
            return ProgramStatus.Running;
        }
    }

    [Fact]
    public void Emergency_stop_holds_the_arm_until_resumed()
    {
        var (actor, gate, loop, link) = Make();
        loop.Start();
        actor.Tell(new EmergencyStop("test"));
        AwaitCondition(() => gate.EmergencyStopped);
        var held = TestArm.Model.Home.ToArray(); // where the arm stands when stopped

        // A program that drives joint 0 away during the stop: every tick reaches the arm as the held command, and the loop
        // fails the program as held by the gate (it does not run on "succeeding" while the arm stands still).
        var sweep = new Sweep();
        ProgramReport? report = null;
        loop.Submit(sweep, r => Volatile.Write(ref report, r));
        long writes = link.Writes;
        AwaitCondition(() => Volatile.Read(ref report) is not null);
        Assert.Equal(AnomalyKinds.SafetyHold, report!.AnomalyKind);
        Assert.True(link.Writes >= writes + 50, $"{link.Writes - writes} writes while held");   // 100 ms at 500 Hz
        Assert.Equal(held, link.LastCommand.ToArray());

        // Resumed, commands reach the arm again: a fresh sweep moves joint 0.
        actor.Tell(new Resume());
        AwaitCondition(() => !gate.EmergencyStopped);
        loop.Submit(new Sweep(), _ => { });
        AwaitCondition(() => link.LastCommand[0] - held[0] > 0.01);
        loop.Dispose();
    }

    [Fact]
    public void A_link_that_is_not_a_simulator_refuses_world_resets()
    {
        var (actor, _, loop, _) = Make();
        actor.Tell(new ResetWorld(3));
        Assert.Contains("not a simulator", ExpectMsg<WorldResetFailed>().Reason);
        loop.Dispose();
    }
}
