using Akka.Actor;
using CortexBot.Core.Geometry;
using CortexBot.Core.Goals;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using CortexBot.Core.Skills;
using Xunit.Abstractions;

namespace CortexBot.Cortex.Tests;

/// <summary>The execution tree (task, subgoals, skills) read from the catalogue's effects, and the local repair of one subgoal.</summary>
public class PlanTreeTests(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit(output: output)
{
    private static SkillInvocation S(string skill, params string[] args) => SkillInvocation.Of(skill, args);

    [Fact]
    public void Steps_group_into_one_subgoal_per_relation_they_bring_about()
    {
        var plan = new Plan([S("pick", "red_cube"), S("place", "red_cube", "bin"), S("move_above", "bin"), S("pick", "green_cube"),
            S("stack", "green_cube", "blue_cube"), S("learned_pick_place", "blue_cube", "bin"), S("move_home")]);
        Assert.Equal(["in(red_cube, bin): steps 1-2", "on(green_cube, blue_cube): steps 3-5", "in(blue_cube, bin): steps 6-6", "(no relation): steps 7-7"],
            PlanTree.Group(plan, TestScenes.Catalogue).Select(g => g.ToString()));
        Assert.Empty(PlanTree.Group(new Plan([]), TestScenes.Catalogue));
    }

    [Fact]
    public void A_subgoal_is_repaired_from_the_scene_with_the_skills_its_relation_needs()
    {
        var scene = TestScenes.ThreeCubesAndBin();
        Assert.Equal(["pick(green_cube)", "place(green_cube, bin)"],
            PlanTree.Repair(new Relation.In("green_cube", "bin"), scene, TestScenes.Catalogue, out _)!.Describe().ToArray());
        Assert.Equal(["pick(red_cube)", "stack(red_cube, blue_cube)"],
            PlanTree.Repair(new Relation.On("red_cube", "blue_cube"), scene, TestScenes.Catalogue, out _)!.Describe().ToArray());
        // green rests on blue: red cannot be stood on blue until green is moved, so no local repair
        var occupied = TestScenes.Of(TestScenes.Cube("red", 0.4, 0.1), TestScenes.Cube("blue", 0.4, -0.1),
            new SceneObject("green_cube", SceneKinds.Cube, "green", new Pose(new Vec3(0.4, -0.1, 0.06), Quat.Identity), new Vec3(0.02, 0.02, 0.02)), TestScenes.Bin());
        Assert.Null(PlanTree.Repair(new Relation.On("red_cube", "blue_cube"), occupied, TestScenes.Catalogue, out var reason));
        Assert.Equal("step 2: stack(red_cube, blue_cube): green_cube is on blue_cube; move it first", reason);
        Assert.Null(PlanTree.Repair(new Relation.Lifted("red_cube"), scene, TestScenes.Catalogue, out reason));
        Assert.Equal("no skill brings about lifted(red_cube)", reason);
    }

    private sealed class CountingPlanner : IPlanner
    {
        public int Calls;
        public string Name => "counting";
        public Task<PlanResult> PlanAsync(PlanningContext context, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref Calls);
            return Task.FromResult(RulePlanner.MakePlan(context.Instruction, context.Scene, context.Catalogue));
        }
    }

    [Fact]
    public void The_cortex_repairs_a_subgoal_without_its_planner_and_groups_every_plan_it_gives()
    {
        var planner = new CountingPlanner();
        var cortex = Sys.ActorOf(CortexActor.Props(planner, TestScenes.Catalogue, TimeSpan.FromSeconds(5)));
        var whole = TestScenes.Request("put all the cubes in the bin");
        cortex.Tell(whole, TestActor);
        var ready = ExpectMsg<PlanReady>(TimeSpan.FromSeconds(3));
        Assert.Equal(["in(red_cube, bin): steps 1-2", "in(green_cube, bin): steps 3-4", "in(blue_cube, bin): steps 5-6"], ready.Subgoals.Select(g => g.ToString()));
        Assert.Equal(1, planner.Calls);

        cortex.Tell(whole with { Subgoal = new Relation.In("green_cube", "bin") }, TestActor);
        var repair = ExpectMsg<PlanReady>(TimeSpan.FromSeconds(3));
        Assert.Equal(CortexActor.RepairPlannerName, repair.Planner);
        Assert.Equal(["pick(green_cube)", "place(green_cube, bin)"], repair.Plan.Describe().ToArray());
        Assert.Equal(1, planner.Calls); // the planner was not asked

        cortex.Tell(whole with { Subgoal = new Relation.In("green_cube", "red_cube") }, TestActor);
        var refused = ExpectMsg<PlanRefused>(TimeSpan.FromSeconds(3));
        Assert.StartsWith("no local repair of in(green_cube, red_cube): ", refused.Reason);
    }
}
