using System.Diagnostics;
using Akka.Actor;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using Xunit.Abstractions;

namespace CortexBot.Cortex.Tests;

public class CortexActorTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(3);

    /// <summary>A planner made of a function, for test doubles.</summary>
    private sealed class FakePlanner(Func<PlanningContext, CancellationToken, Task<PlanResult>> plan, string name = "fake") : IPlanner
    {
        public string Name => name;
        public Task<PlanResult> PlanAsync(PlanningContext context, CancellationToken cancellationToken) => plan(context, cancellationToken);
    }

    private static readonly Plan RedIntoBin = new([SkillInvocation.Of("pick", "red_cube"), SkillInvocation.Of("place", "red_cube", "bin")]);

    private IActorRef Cortex(IPlanner planner, TimeSpan? timeout = null) =>
        Sys.ActorOf(CortexActor.Props(planner, TestScenes.Catalogue, timeout ?? TimeSpan.FromSeconds(5)));

    [Fact]
    public void RulePlannerGivesPlanReady()
    {
        var cortex = Cortex(new RulePlanner());
        var request = TestScenes.Request("put the red cube in the bin");
        cortex.Tell(request, TestActor);

        var ready = ExpectMsg<PlanReady>(Patience);
        Assert.Equal(request.TaskId, ready.TaskId);
        Assert.Equal("rule", ready.Planner);
        Assert.Equal(new[] { "pick(red_cube)", "place(red_cube, bin)" }, ready.Plan.Describe().ToArray());
        Assert.True(ready.Latency >= TimeSpan.Zero && ready.Latency < Patience);
    }

    [Fact]
    public void The_safety_screen_refuses_a_plan_naming_the_rule_and_passes_its_verdict_with_an_allowed_one()
    {
        var policy = Core.Safety.SafetyPolicy.Parse("""
            { "objects": [ { "color": "blue", "fragile": true } ],
              "keep_out_zones": [ { "name": "operator_hand", "min": [0.4, -0.4, 0], "max": [0.6, -0.2, 0.3] } ] }
            """, "test");
        var cortex = Sys.ActorOf(CortexActor.Props(new RulePlanner(), TestScenes.Catalogue, TimeSpan.FromSeconds(5), screener: new Core.Safety.PlanScreener(policy)));

        cortex.Tell(TestScenes.Request("put the red cube in the bin"), TestActor);   // the test bin is at (0.5, -0.3): in the zone
        var refused = ExpectMsg<PlanRefused>(Patience);
        Assert.Equal("safety: refuse: keep_out_zones.operator_hand: place target bin lies in the zone", refused.Reason);
        Assert.Equal(Core.Safety.SafetyDecision.Refuse, refused.Safety!.Decision);

        var elsewhere = TestScenes.Of(TestScenes.Cube("red", 0.4, 0.1), TestScenes.Cube("blue", 0.3, 0.2), TestScenes.Bin(x: 0.2, y: -0.45));
        cortex.Tell(TestScenes.Request("put the blue cube in the bin", elsewhere), TestActor);
        var ready = ExpectMsg<PlanReady>(Patience);
        Assert.Equal(Core.Safety.SafetyDecision.Modify, ready.Safety!.Decision);
        Assert.Equal(0.25, ready.Safety.SpeedCapFor(0));
    }

    [Fact]
    public void RulePlannerRefusalIsForwarded()
    {
        var cortex = Cortex(new RulePlanner());
        var request = TestScenes.Request("put the yellow cube in the bin");
        cortex.Tell(request, TestActor);

        var refused = ExpectMsg<PlanRefused>(Patience);
        Assert.Equal(request.TaskId, refused.TaskId);
        Assert.Equal("rule", refused.Planner);
        Assert.Equal("there is no yellow cube in the scene; present: red_cube, green_cube, blue_cube", refused.Reason);
    }

    [Fact]
    public void RepliesToTheOriginalSender()
    {
        var cortex = Cortex(new RulePlanner());
        var requester = CreateTestProbe();
        var request = TestScenes.Request("go home");
        requester.Send(cortex, request);

        var ready = requester.ExpectMsg<PlanReady>(Patience);
        Assert.Equal("move_home()", Assert.Single(ready.Plan.Describe()));
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void SlowPlannerTimesOutQuickly()
    {
        // Ignores its token: the cortex must answer on time anyway.
        var planner = new FakePlanner(async (_, _) => { await Task.Delay(TimeSpan.FromSeconds(2)); return PlanResult.Of(RedIntoBin); });
        var cortex = Cortex(planner, TimeSpan.FromMilliseconds(200));
        var clock = Stopwatch.StartNew();
        cortex.Tell(TestScenes.Request("put the red cube in the bin"), TestActor);

        var refused = ExpectMsg<PlanRefused>(TimeSpan.FromSeconds(1.5));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1.5), $"took {clock.Elapsed}");
        Assert.Equal("planner timed out after 0.2 s", refused.Reason);
        Assert.Equal("fake", refused.Planner);
        Assert.True(refused.Latency >= TimeSpan.FromMilliseconds(150), $"latency {refused.Latency}");
    }

    [Fact]
    public void TimeoutCancelsThePlannerAndItsLateResultIsDropped()
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var planner = new FakePlanner(async (_, ct) =>
        {
            ct.Register(() => cancelled.TrySetResult());
            await Task.Delay(Timeout.Infinite, ct);
            return PlanResult.Of(RedIntoBin);
        });
        var cortex = Cortex(planner, TimeSpan.FromMilliseconds(200));
        cortex.Tell(TestScenes.Request("put the red cube in the bin"), TestActor);

        Assert.StartsWith("planner timed out", ExpectMsg<PlanRefused>(Patience).Reason);
        Assert.True(cancelled.Task.Wait(Patience), "the planner's token was not cancelled");
        ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void CancelPlanningCancelsThePlanner()
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var planner = new FakePlanner(async (_, ct) =>
        {
            ct.Register(() => cancelled.TrySetResult());
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return PlanResult.Of(RedIntoBin);
        });
        var cortex = Cortex(planner);
        var requester = CreateTestProbe();
        var request = TestScenes.Request("put the red cube in the bin");
        requester.Send(cortex, request);
        Assert.True(started.Task.Wait(Patience), "the planner never started");

        cortex.Tell(new CancelPlanning(request.TaskId), TestActor);

        var refused = requester.ExpectMsg<PlanRefused>(Patience);
        Assert.Equal(request.TaskId, refused.TaskId);
        Assert.Equal("planning was cancelled", refused.Reason);
        Assert.True(cancelled.Task.Wait(Patience), "the planner's token was not cancelled");
        requester.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        ExpectNoMsg(TimeSpan.FromMilliseconds(50));
    }

    [Fact]
    public void CancellingAnUnknownTaskIsIgnored()
    {
        var cortex = Cortex(new RulePlanner());
        cortex.Tell(new CancelPlanning(Guid.NewGuid()), TestActor);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        cortex.Tell(TestScenes.Request("open the gripper"), TestActor);
        ExpectMsg<PlanReady>(Patience);
    }

    [Fact]
    public void ThrowingPlannerGivesPlanRefused()
    {
        var cortex = Cortex(new FakePlanner(async (_, _) => { await Task.Yield(); throw new InvalidOperationException("model crashed"); }));
        cortex.Tell(TestScenes.Request("put the red cube in the bin"), TestActor);

        var refused = ExpectMsg<PlanRefused>(Patience);
        Assert.Equal("planner 'fake' failed: model crashed", refused.Reason);
        Assert.Equal("fake", refused.Planner);
    }

    [Fact]
    public void PlannerThrowingSynchronouslyGivesPlanRefusedAndTheCortexCarriesOn()
    {
        var calls = 0;
        var planner = new FakePlanner((_, _) => Interlocked.Increment(ref calls) == 1
            ? throw new InvalidOperationException("not ready")
            : Task.FromResult(PlanResult.Of(RedIntoBin)));
        var cortex = Cortex(planner);

        cortex.Tell(TestScenes.Request("put the red cube in the bin"), TestActor);
        Assert.Equal("planner 'fake' failed: not ready", ExpectMsg<PlanRefused>(Patience).Reason);

        cortex.Tell(TestScenes.Request("put the red cube in the bin"), TestActor);
        ExpectMsg<PlanReady>(Patience);
    }

    [Fact]
    public void InvalidPlanFromAPlannerIsRefused()
    {
        var bad = new Plan([SkillInvocation.Of("pick", "red_cube"), SkillInvocation.Of("place", "red_cube", "green_cube")]);
        var cortex = Cortex(new FakePlanner((_, _) => Task.FromResult(PlanResult.Of(bad))));
        cortex.Tell(TestScenes.Request("put the red cube on the green cube"), TestActor);

        var refused = ExpectMsg<PlanRefused>(Patience);
        Assert.Equal("invalid plan from planner 'fake': step 2: place: 'green_cube' is not a container, so it cannot be the target", refused.Reason);
    }

    [Fact]
    public void RefusalWithoutAReasonGetsOne()
    {
        var cortex = Cortex(new FakePlanner((_, _) => Task.FromResult(new PlanResult(null, null))));
        cortex.Tell(TestScenes.Request("put the red cube in the bin"), TestActor);
        Assert.Equal("planner 'fake' gave neither a plan nor a reason", ExpectMsg<PlanRefused>(Patience).Reason);
    }

    [Fact]
    public void MailboxStaysResponsiveWhileAPlannerThinks()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var planner = new FakePlanner(async (ctx, _) =>
        {
            if (ctx.Instruction == "slow") await release.Task;
            return PlanResult.Of(RedIntoBin);
        });
        var cortex = Cortex(planner);
        var slow = TestScenes.Request("slow");
        var fast = TestScenes.Request("fast");

        cortex.Tell(slow, TestActor);
        cortex.Tell(fast, TestActor);

        Assert.Equal(fast.TaskId, ExpectMsg<PlanReady>(Patience).TaskId);
        release.SetResult();
        Assert.Equal(slow.TaskId, ExpectMsg<PlanReady>(Patience).TaskId);
    }

    [Fact]
    public void PassesTheRequestToThePlanner()
    {
        PlanningContext? seen = null;
        var cortex = Cortex(new FakePlanner((ctx, _) => { seen = ctx; return Task.FromResult(PlanResult.Of(RedIntoBin)); }));
        var anomaly = new Anomaly(AnomalyKinds.GraspMissed, "fingers closed on nothing", 1);
        var request = TestScenes.Request("put the red cube in the bin") with { Anomaly = anomaly, Memories = default };
        cortex.Tell(request, TestActor);

        ExpectMsg<PlanReady>(Patience);
        Assert.NotNull(seen);
        Assert.Equal(request.Instruction, seen!.Instruction);
        Assert.Same(request.Scene, seen.Scene);
        Assert.Same(TestScenes.Catalogue, seen.Catalogue);
        Assert.Equal(anomaly, seen.Anomaly);
        Assert.False(seen.Memories.IsDefault);
    }

    [Fact]
    public void ANewRequestForTheSameTaskSupersedesTheOldOne()
    {
        var planner = new FakePlanner(async (ctx, ct) =>
        {
            if (ctx.Instruction == "first") await Task.Delay(Timeout.Infinite, ct);
            return PlanResult.Of(RedIntoBin);
        });
        var cortex = Cortex(planner);
        var taskId = Guid.NewGuid();
        cortex.Tell(TestScenes.Request("first", taskId: taskId), TestActor);
        cortex.Tell(TestScenes.Request("second", taskId: taskId), TestActor);

        Assert.StartsWith("superseded", ExpectMsg<PlanRefused>(Patience).Reason);
        Assert.Equal(taskId, ExpectMsg<PlanReady>(Patience).TaskId);
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void BugInsideReceiveCrashesAndRestartsTheActor()
    {
        // A planner whose Name throws once: that throws inside the actor's receive, which is a bug, not a planner failure.
        var nameCalls = 0;
        var planner = new BuggyNamePlanner(() => Interlocked.Increment(ref nameCalls) == 1);
        var cortex = Cortex(planner);

        EventFilter.Exception<InvalidOperationException>("name exploded").ExpectOne(() =>
            cortex.Tell(TestScenes.Request("put the red cube in the bin"), TestActor));

        // The restarted cortex tells the requester whose request died with the old instance, then works again.
        Assert.Equal("the cortex stopped while planning", ExpectMsg<PlanRefused>(Patience).Reason);
        cortex.Tell(TestScenes.Request("put the red cube in the bin"), TestActor);
        ExpectMsg<PlanReady>(Patience);
    }

    private sealed class BuggyNamePlanner(Func<bool> shouldThrow) : IPlanner
    {
        public string Name => shouldThrow() ? throw new InvalidOperationException("name exploded") : "buggy";
        public Task<PlanResult> PlanAsync(PlanningContext context, CancellationToken cancellationToken) => Task.FromResult(PlanResult.Of(RedIntoBin));
    }
}
