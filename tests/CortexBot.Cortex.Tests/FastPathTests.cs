using Akka.Actor;
using CortexBot.Core.Goals;
using CortexBot.Core.Instructions;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using Xunit.Abstractions;

namespace CortexBot.Cortex.Tests;

/// <summary>
/// The fast path: a remembered plan for a goal of the same structure, grounded in this scene and checked, is the plan
/// (no planner call); when the scene no longer fits it, the planner plans (the slow path).
/// </summary>
public class FastPathTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(3);

    /// <summary>The rule planner, counting its calls.</summary>
    private sealed class CountingPlanner : IPlanner
    {
        private int _calls;
        public int Calls => Volatile.Read(ref _calls);
        public string Name => RulePlanner.PlannerName;
        public Task<PlanResult> PlanAsync(PlanningContext context, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            return new RulePlanner().PlanAsync(context, cancellationToken);
        }
    }

    private readonly CountingPlanner _planner = new();

    private IActorRef Cortex() => Sys.ActorOf(CortexActor.Props(_planner, TestScenes.Catalogue, TimeSpan.FromSeconds(5)));

    private static SceneObject CubeIn(string color, SceneObject bin) =>
        TestScenes.Cube(color, bin.Pose.Position.X, bin.Pose.Position.Y) with
        { Pose = new Core.Geometry.Pose(new Core.Geometry.Vec3(bin.Pose.Position.X, bin.Pose.Position.Y, bin.Pose.Position.Z - 0.02), Core.Geometry.Quat.Identity) };

    /// <summary>What an earlier successful episode of <paramref name="instruction"/> in <paramref name="scene"/> left in memory.</summary>
    private static RememberedPlan Remembered(string instruction, SceneSnapshot scene, long id = 41)
    {
        var reading = InstructionReader.Read(instruction, scene);
        Assert.True(reading.Plan is not null && reading.Goal is not null, reading.Refusal);
        return new RememberedPlan(id, reading.Goal!, reading.Plan!);
    }

    private static PlanRequest Request(string instruction, SceneSnapshot scene, TaskGoal? goal, params RememberedPlan[] remembered) =>
        TestScenes.Request(instruction, scene) with { Goal = goal ?? InstructionReader.Read(instruction, scene).Goal, RememberedPlans = [.. remembered] };

    [Fact]
    public void A_remembered_plan_grounded_in_a_new_scene_is_the_plan_without_a_planner_call()
    {
        const string task = "put all the cubes in the bin";
        var remembered = Remembered(task, TestScenes.ThreeCubesAndBin());
        // other places, another bin name: the same goal structure
        var scene = TestScenes.Of(TestScenes.Cube("blue", 0.35, 0.15), TestScenes.Cube("red", 0.42, 0.02), TestScenes.Cube("green", 0.38, -0.12),
            TestScenes.Bin("box", x: 0.55, y: 0.3));
        var cortex = Cortex();

        cortex.Tell(Request(task, scene, null, remembered), TestActor);

        var ready = ExpectMsg<PlanReady>(Patience);
        Assert.True(ready.FastPath);
        Assert.Equal(41, ready.FromEpisode);
        Assert.Equal(CortexActor.MemoryPlannerName, ready.Planner);
        Assert.Equal(0, _planner.Calls);
        Assert.All(ready.Plan.Steps.Where(s => s.Skill == "place"), s => Assert.Equal("box", s.Args[1]));
        Assert.Null(PlanValidator.Validate(ready.Plan, TestScenes.Catalogue, scene));
        Assert.Equal(3, ready.Subgoals.Count(g => g.Relation is not null));
    }

    [Fact]
    public void Without_remembered_plans_the_planner_plans()
    {
        var cortex = Cortex();
        cortex.Tell(Request("put all the cubes in the bin", TestScenes.ThreeCubesAndBin(), null), TestActor);
        var ready = ExpectMsg<PlanReady>(Patience);
        Assert.False(ready.FastPath);
        Assert.Equal("rule", ready.Planner);
        Assert.Equal(1, _planner.Calls);
    }

    [Fact]
    public void A_cube_already_in_the_bin_sends_the_task_to_the_planner()
    {
        const string task = "put all the cubes in the bin";
        var remembered = Remembered(task, TestScenes.ThreeCubesAndBin());
        var bin = TestScenes.Bin();
        var scene = TestScenes.Of(CubeIn("red", bin), TestScenes.Cube("green", 0.45, 0.0), TestScenes.Cube("blue", 0.4, -0.1), bin);
        // the goal as remembered (all three cubes), now with one of them inside already
        var cortex = Cortex();

        cortex.Tell(Request(task, scene, remembered.Goal, remembered), TestActor);

        var answer = ExpectMsg<object>(Patience);
        Assert.Equal(1, _planner.Calls);
        Assert.False(answer is PlanReady { FastPath: true });
        Assert.Contains("already holds", CortexActor.GroundRemembered(remembered, remembered.Goal, scene, TestScenes.Catalogue, out var why) is null ? why : "grounded");
    }

    [Fact]
    public void A_missing_cube_sends_the_task_to_the_planner()
    {
        const string task = "put all the cubes in the bin";
        var remembered = Remembered(task, TestScenes.ThreeCubesAndBin());
        var scene = TestScenes.Of(TestScenes.Cube("red", 0.4, 0.1), TestScenes.Cube("green", 0.45, 0.0), TestScenes.Bin());
        var cortex = Cortex();

        // the reader's goal has two cubes now: another structure
        cortex.Tell(Request(task, scene, null, remembered), TestActor);
        Assert.False(ExpectMsg<PlanReady>(Patience).FastPath);
        // and the remembered goal itself names a cube the scene lacks
        Assert.Null(CortexActor.GroundRemembered(remembered, remembered.Goal, scene, TestScenes.Catalogue, out var why));
        Assert.Contains("blue_cube", why);
        Assert.Equal(1, _planner.Calls);
    }

    [Fact]
    public void A_stack_whose_base_is_now_a_container_is_refused_by_the_check()
    {
        var remembered = Remembered("stack the red cube on the blue cube", TestScenes.ThreeCubesAndBin());
        var scene = TestScenes.ThreeCubesAndBin();
        // the same structure bound to the bin as the base: the plan grounds, and the validator refuses it
        var goal = new TaskGoal([new Relation.On("red_cube", "bin")]);
        Assert.Equal(GoalStructure.Of(remembered.Goal), GoalStructure.Of(goal));
        Assert.Null(CortexActor.GroundRemembered(remembered, goal, scene, TestScenes.Catalogue, out var why));
        Assert.Contains("bin", why);

        var cortex = Cortex();
        cortex.Tell(Request("stack the red cube on the bin", scene, goal, remembered), TestActor);
        Assert.IsType<PlanRefused>(ExpectMsg<object>(Patience)); // the planner's own refusal
        Assert.Equal(1, _planner.Calls);
    }

    [Fact]
    public void Replans_after_an_anomaly_stay_on_the_slow_path()
    {
        const string task = "put the red cube in the bin";
        var remembered = Remembered(task, TestScenes.ThreeCubesAndBin());
        var cortex = Cortex();
        var request = Request(task, TestScenes.ThreeCubesAndBin(), null, remembered) with
            { Anomaly = new Anomaly(AnomalyKinds.ObjectDropped, "place(red_cube, bin): dropped", 0) };

        cortex.Tell(request, TestActor);

        Assert.False(ExpectMsg<PlanReady>(Patience).FastPath);
        Assert.Equal(1, _planner.Calls);
    }

    [Fact]
    public void The_most_recent_remembered_plan_that_fits_is_taken()
    {
        const string task = "put the red cube in the bin";
        var scene = TestScenes.ThreeCubesAndBin();
        // the newest names an object this scene lacks and the goal does not bind; the next one fits
        var unfit = Remembered(task, scene, id: 9) is var r ? r with { Plan = new Plan([SkillInvocation.Of("pick", "yellow_cube"), .. r.Plan.Steps]) } : null!;
        var fit = Remembered(task, scene, id: 7);
        var cortex = Cortex();

        cortex.Tell(Request(task, scene, null, unfit, fit), TestActor);

        Assert.Equal(7, ExpectMsg<PlanReady>(Patience).FromEpisode);
        Assert.Equal(0, _planner.Calls);
    }
}
