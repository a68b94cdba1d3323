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

/// <summary>
/// The robot clock and the episode trace are asked of the cerebellum actor by message (the episode may run on another
/// node); its answers are the control loop's own tick count and trace, driven tick by tick here.
/// </summary>
public sealed class CerebellumClockTests : IAsyncLifetime
{
    private readonly ActorSystem _system = ActorSystem.Create("cerebellum-clock");

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _system.Terminate();

    private sealed class EmptyScene : IScenePerception
    {
        public SceneSnapshot Snapshot() => new(0, []);
    }

    private (ControlLoop Loop, IActorRef Cerebellum) Make(double traceHz)
    {
        var link = new FakeArmLink(TestArm.Model);
        var loop = new ControlLoop(new SafetyGate(link, TestArm.Model),
            new ControlLoopOptions { RateHz = 500, Pacing = Pacing.Fast, UseRealtimePriority = false, TraceRateHz = traceHz }, NullLogger<ControlLoop>.Instance);
        loop.PrepareInline();
        var cerebellum = _system.ActorOf(CerebellumActor.Props(loop, new SkillCompiler(new ArmKinematics(TestArm.Model)), new EmptyScene()));
        return (loop, cerebellum);
    }

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Tells_the_loops_tick_and_period_and_traces_an_episode_from_the_tick_it_began()
    {
        var (loop, cerebellum) = Make(traceHz: 25);
        for (int i = 0; i < 13; i++) loop.TickOnce();

        var clock = await cerebellum.Ask<RobotClock>(GetRobotClock.Instance, Wait);
        Assert.Equal(13, clock.Tick);
        Assert.Equal(0.002, clock.PeriodS, 12);
        Assert.Equal(-1, clock.LastSkillEndTick); // no skill has run

        var task = Guid.NewGuid();
        var started = await cerebellum.Ask<EpisodeTraceStarted>(new BeginEpisodeTrace(task), Wait);
        Assert.Equal((task, 13L, 0.002), (started.TaskId, started.StartTick, started.PeriodS));
        for (int i = 0; i < 100; i++) loop.TickOnce();

        var ended = await cerebellum.Ask<EpisodeTraceEnded>(new EndEpisodeTrace(task, started.StartTick), Wait);
        Assert.Equal(task, ended.TaskId);
        Assert.Equal(0.2, ended.RobotSeconds, 9);
        var trace = Assert.IsType<EpisodeTrace>(ended.Trace);
        Assert.Equal(5, trace.Count); // ticks 13, 33, ..., 93 of the 100 since the start, every 20th
        Assert.Equal(TestArm.Model.JointNames, trace.JointNames.AsEnumerable());
        Assert.DoesNotContain(trace.CopySamples(), float.IsNaN);

        // A trace asked for from another start (the recorder moved on) is none, but the robot time still comes.
        var other = await cerebellum.Ask<EpisodeTraceEnded>(new EndEpisodeTrace(task, 3), Wait);
        Assert.Null(other.Trace);
        Assert.Equal(0.22, other.RobotSeconds, 9);
    }

    [Fact]
    public async Task Stamps_the_tick_a_skill_program_ended_at_however_late_the_clock_is_asked()
    {
        var (loop, cerebellum) = Make(traceHz: 25);
        for (int i = 0; i < 5; i++) loop.TickOnce();
        var result = cerebellum.Ask<SkillResult>(new ExecuteSkill(Guid.NewGuid(), 0, SkillInvocation.Of(SkillNames.CloseGripper)), Wait);
        var submitted = Task.Run(async () => { while (!loop.HasActiveProgram) await Task.Delay(1); });
        await submitted.WaitAsync(Wait);
        long adopted = loop.TotalTicks; // the next tick adopts the program
        var running = await cerebellum.Ask<RobotClock>(GetRobotClock.Instance, Wait);
        Assert.Equal(-1, running.LastSkillEndTick);
        // Tick until the program has ended, then stop: the result travels through the actor at its own pace (ticking on
        // while waiting for it would race ahead of a busy thread pool).
        while (loop.HasActiveProgram)
        {
            loop.TickOnce();
            if (loop.TotalTicks - adopted > 5000) Assert.Fail("the skill did not end in 10 s of robot time");
        }
        var r = await result.WaitAsync(Wait);
        Assert.True(r.Succeeded, r.Detail);
        for (int i = 0; i < 40; i++) loop.TickOnce(); // the clock is asked later than the program ended

        var clock = await cerebellum.Ask<RobotClock>(GetRobotClock.Instance, Wait);
        long programTicks = (long)Math.Round(r.Duration.TotalSeconds / clock.PeriodS);
        Assert.True(programTicks > 10, $"{programTicks} ticks");
        Assert.Equal(adopted + programTicks + 1, clock.LastSkillEndTick);
        Assert.True(clock.Tick >= clock.LastSkillEndTick + 40);
    }

    [Fact]
    public async Task Without_a_trace_recorder_the_episode_still_gets_its_start_and_robot_time()
    {
        var (loop, cerebellum) = Make(traceHz: 0);
        var started = await cerebellum.Ask<EpisodeTraceStarted>(new BeginEpisodeTrace(Guid.NewGuid()), Wait);
        for (int i = 0; i < 50; i++) loop.TickOnce();
        var ended = await cerebellum.Ask<EpisodeTraceEnded>(new EndEpisodeTrace(started.TaskId, started.StartTick), Wait);
        Assert.Null(ended.Trace);
        Assert.Equal(0.1, ended.RobotSeconds, 9);
    }
}
