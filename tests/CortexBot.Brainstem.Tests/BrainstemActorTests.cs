using Akka.Actor;
using CortexBot.Cerebellum.Control;
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

    [Fact]
    public void Emergency_stop_holds_the_arm_until_resumed()
    {
        var (actor, gate, loop, _) = Make();
        actor.Tell(new EmergencyStop("test"));
        AwaitCondition(() => gate.EmergencyStopped);
        actor.Tell(new Resume());
        AwaitCondition(() => !gate.EmergencyStopped);
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
