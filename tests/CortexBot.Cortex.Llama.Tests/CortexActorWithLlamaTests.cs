using Akka.Actor;
using CortexBot.Core.Messages;
using Xunit.Abstractions;

namespace CortexBot.Cortex.Llama.Tests;

/// <summary>The llama planner behind the real cortex actor: plans arrive validated, timeouts and cancels stop generation.</summary>
public class CortexActorWithLlamaTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static PlanRequest Request(Guid? id = null) =>
        new(id ?? Guid.NewGuid(), "put the red cube in the bin", TestModels.ThreeCubesAndBin(), [], null);

    [Fact]
    public void ValidPlanReachesTheRequester()
    {
        using var planner = new LlamaPlanner(TestModels.Options(3, 5));
        var cortex = Sys.ActorOf(CortexActor.Props(planner, TestModels.Catalogue, Patience));
        var request = Request();
        cortex.Tell(request, TestActor);
        var ready = ExpectMsg<PlanReady>(Patience);
        Assert.Equal("llama", ready.Planner);
        Assert.Null(PlanValidator.Validate(ready.Plan, TestModels.Catalogue, request.Scene));
    }

    [Fact]
    public void TimeoutRefusesAndCancelsGenerationAndThePlannerRecovers()
    {
        int checks = 0;
        bool keepRejecting = true;
        using var planner = new LlamaPlanner(TestModels.Options() with
        {
            MaxRetries = 10,
            AdditionalCheck = (_, _) =>
            {
                Interlocked.Increment(ref checks);
                // Slow enough that 11 attempts cannot finish inside the 300 ms timeout on any machine.
                if (Volatile.Read(ref keepRejecting)) Thread.Sleep(100);
                return Volatile.Read(ref keepRejecting) ? "rejected to keep it busy" : null; },
        });
        planner.Load();
        var cortex = Sys.ActorOf(CortexActor.Props(planner, TestModels.Catalogue, TimeSpan.FromMilliseconds(300)));
        cortex.Tell(Request(), TestActor);
        var refused = ExpectMsg<PlanRefused>(Patience);
        Assert.Contains("timed out", refused.Reason);

        // The cancelled generation stops (it would otherwise run 11 attempts), and the next request is served.
        Volatile.Write(ref keepRejecting, false);
        var actor2 = Sys.ActorOf(CortexActor.Props(planner, TestModels.Catalogue, Patience));
        actor2.Tell(Request(), TestActor);
        ExpectMsg<PlanReady>(Patience);
        Assert.True(planner.LastStats!.Attempts == 1);
        Assert.True(checks < 11, $"the timed-out request ran all {checks} attempts");
    }

    [Fact]
    public void CancelPlanningStopsGeneration()
    {
        using var planner = new LlamaPlanner(TestModels.Options() with { MaxRetries = 10, AdditionalCheck = (_, _) => "keep going" });
        var cortex = Sys.ActorOf(CortexActor.Props(planner, TestModels.Catalogue, Patience));
        var id = Guid.NewGuid();
        cortex.Tell(Request(id), TestActor);
        cortex.Tell(new CancelPlanning(id), TestActor);
        var refused = ExpectMsg<PlanRefused>(Patience);
        Assert.Contains("cancelled", refused.Reason);
    }
}
