using System.Threading.Channels;
using Akka.Actor;
using CortexBot.Core;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;

namespace CortexBot.Host.Tests;

/// <summary>
/// The episode takes robot time and the motion trace from the cerebellum by message (they live with the control loop, on
/// the robot node once the organs are split). Organ doubles here answer as the real organs do, or fall silent: an episode
/// whose robot side stops answering is still stored, as failed, with the reason.
/// </summary>
public sealed class EpisodeRobotSilenceTests : IAsyncLifetime
{
    private readonly ActorSystem _system = ActorSystem.Create("episode-robot-silence");
    private readonly Channel<EpisodeRecord> _stored = Channel.CreateUnbounded<EpisodeRecord>();

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _system.Terminate();

    // Every other wait is a minute: an outcome within seconds can only come from the robot timeout.
    private static readonly EpisodeTimeouts Timeouts = new(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1),
        TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1)) { UseMemory = false, Robot = TimeSpan.FromMilliseconds(300) };

    private static readonly SceneSnapshot Scene = new(MonotonicClock.NowNs,
        [new SceneObject("red_cube", SceneKinds.Cube, "red", new Pose(new Vec3(0.4, 0.1, 0.02), Quat.Identity), new Vec3(0.02, 0.02, 0.02))]);

    /// <summary>An organ double: answers each message with what <paramref name="answer"/> returns (null: nothing).</summary>
    private sealed class Organ : ReceiveActor
    {
        public Organ(Func<object, object?> answer) => ReceiveAny(m =>
        {
            if (answer(m) is { } reply) Sender.Tell(reply);
        });
    }

    private IActorRef OrganOf(Func<object, object?> answer) => _system.ActorOf(Props.Create(() => new Organ(answer)));

    private IActorRef Brainstem() => OrganOf(m => m switch
    {
        ResetWorld r => new WorldReady(r.Seed, Scene),
        GetScene => Scene,
        _ => null,
    });

    private IActorRef Cortex() => OrganOf(m => m is PlanRequest p
        ? new PlanReady(p.TaskId, new Plan([SkillInvocation.Of(SkillNames.OpenGripper)]), "test", TimeSpan.Zero)
        : null);

    private IActorRef Hippocampus() => OrganOf(m =>
    {
        if (m is not StoreEpisode s) return null;
        _stored.Writer.TryWrite(s.Episode);
        return new EpisodeStored(s.Episode.TaskId, 1);
    });

    /// <summary>Runs one "open the gripper" episode against <paramref name="cerebellum"/>; its outcome and the record the hippocampus got.</summary>
    private async Task<(EpisodeOutcome Outcome, EpisodeRecord Stored)> RunAsync(IActorRef cerebellum)
    {
        var inbox = Inbox.Create(_system);
        var organs = new Organs(Cortex(), cerebellum, Hippocampus(), Brainstem());
        _system.ActorOf(EpisodeActor.Props(new RunEpisode("open the gripper", 3), inbox.Receiver, organs, Timeouts, "test-1"));
        var outcome = Assert.IsType<EpisodeOutcome>(await inbox.ReceiveAsync(TimeSpan.FromSeconds(20)));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        var stored = await _stored.Reader.ReadAsync(cts.Token);
        return (outcome, stored);
    }

    [Fact]
    public async Task A_cerebellum_that_never_answers_ends_the_episode_stored_as_failed_with_the_reason()
    {
        var (outcome, stored) = await RunAsync(OrganOf(_ => null));

        Assert.False(stored.Success);
        Assert.Equal("the cerebellum did not start the episode's trace within 0.3 s", stored.FailureReason);
        Assert.Empty(stored.Steps);
        Assert.Null(stored.Trace);
        Assert.Equal(1, outcome.StoredId);
        Assert.Equal(stored.FailureReason, outcome.Episode.FailureReason);
    }

    [Fact]
    public async Task Robot_time_comes_from_the_cerebellums_clock_and_a_trace_that_never_comes_fails_the_episode_but_keeps_its_steps()
    {
        // A robot clock at 500 Hz that moves one second (500 ticks) between readings, whose skill program ended 0.1 s
        // before the reading after its result; the trace is started but never returned.
        long tick = 1000;
        var cerebellum = OrganOf(m => m switch
        {
            BeginEpisodeTrace b => new EpisodeTraceStarted(b.TaskId, tick, 0.002),
            GetRobotClock => new RobotClock(tick += 500, 0.002, tick == 2000 ? 1950 : -1),
            ExecuteSkill x => new SkillResult(x.TaskId, x.StepIndex, x.Skill, SkillOutcome.Succeeded, null, TimeSpan.FromSeconds(1), null),
            Settle => new Settled(),
            _ => null, // EndEpisodeTrace: silence
        });

        var (outcome, stored) = await RunAsync(cerebellum);

        // The step started at the clock read when the plan came (1 s) and ended when the robot's program did (1.9 s).
        var step = Assert.Single(stored.Steps);
        Assert.Equal(SkillOutcome.Succeeded, step.Outcome);
        Assert.Equal(1.0, step.StartedAtS);
        Assert.Equal(0.9, step.DurationS);
        Assert.Equal(2.0, stored.DurationS); // the last robot time known
        Assert.False(stored.Success);
        Assert.Equal("the cerebellum did not return the episode's trace within 0.3 s", stored.FailureReason);
        Assert.Null(stored.Trace);
        Assert.Equal(1, outcome.StoredId);
    }

    [Fact]
    public async Task A_cerebellum_that_answers_gives_the_episode_its_robot_duration_and_trace()
    {
        long tick = 1000;
        var trace = new EpisodeTrace(["shoulder"], 500, 0.04, [0.1f, 0.04f, 0.2f, 0.03f]);
        var cerebellum = OrganOf(m => m switch
        {
            BeginEpisodeTrace b => new EpisodeTraceStarted(b.TaskId, tick, 0.002),
            GetRobotClock => new RobotClock(tick += 500, 0.002),
            ExecuteSkill x => new SkillResult(x.TaskId, x.StepIndex, x.Skill, SkillOutcome.Succeeded, null, TimeSpan.FromSeconds(1), null),
            Settle => new Settled(),
            EndEpisodeTrace e when e.StartTick == 1000 => new EpisodeTraceEnded(e.TaskId, 2.6, trace),
            _ => null,
        });

        var (outcome, stored) = await RunAsync(cerebellum);

        Assert.True(stored.Success, stored.FailureReason);
        Assert.Equal(2.6, stored.DurationS);
        Assert.Same(trace, stored.Trace);
        Assert.True(outcome.Episode.Success);
    }
}
