using CortexBot.Core;
using CortexBot.Core.Geometry;
using CortexBot.Core.Goals;
using CortexBot.Core.Messages;

namespace CortexBot.Host.Tests;

/// <summary>The episode's bookkeeping, without actors: steps, retries, replans, tuning, judging and the stored record.</summary>
public class EpisodeJournalTests
{
    private static readonly Vec3 CubeHalf = new(0.02, 0.02, 0.02);

    private static SceneObject Cube(string color, double x, double y, double z = 0.02) =>
        new($"{color}_cube", SceneKinds.Cube, color, new Pose(new Vec3(x, y, z), Quat.Identity), CubeHalf);

    private static readonly SceneObject Bin = new("bin", SceneKinds.Bin, null, new Pose(new Vec3(0.5, -0.3, 0.05), Quat.Identity), new Vec3(0.1, 0.1, 0.05));

    private static SceneSnapshot Scene(params SceneObject[] objects) => new(MonotonicClock.NowNs, [.. objects]);

    private static readonly SceneSnapshot Start = Scene(Cube("red", 0.4, 0.1), Bin);
    private static readonly SceneSnapshot RedInBin = Scene(Cube("red", 0.5, -0.3, 0.04), Bin);

    private static readonly SkillInvocation Pick = SkillInvocation.Of("pick", "red_cube");
    private static readonly SkillInvocation Place = SkillInvocation.Of("place", "red_cube", "bin");

    private static EpisodeJournal Begun(TaskGoal? goal = null, string instruction = "put the red cube in the bin")
    {
        var journal = new EpisodeJournal(new RunEpisode(instruction, 7), "test-1");
        journal.Started(new WorldReady(7, Start), goal ?? new TaskGoal([new Relation.In("red_cube", "bin")]));
        return journal;
    }

    private static PlanReady Ready(EpisodeJournal j, double ms, params SkillInvocation[] steps) =>
        new(j.TaskId, new Plan([.. steps]), "rule", TimeSpan.FromMilliseconds(ms));

    private static SkillResult Result(EpisodeJournal j, SkillInvocation skill, SkillOutcome outcome, double seconds, Anomaly? anomaly = null, string? detail = null) =>
        new(j.TaskId, j.StepCounter, skill, outcome, detail, TimeSpan.FromSeconds(seconds), anomaly);

    [Fact]
    public void A_plan_whose_steps_succeed_and_whose_goal_holds_is_a_success_with_every_step_recorded()
    {
        var j = Begun();
        j.Adopt(Ready(j, 1.5, Pick, Place));
        var first = j.BeginStep(0.0, out var advice);
        Assert.Null(advice);
        Assert.Equal(new ExecuteSkill(j.TaskId, 0, Pick), first);
        Assert.Equal(StepVerdict.NextStep, j.StepFinished(Result(j, Pick, SkillOutcome.Succeeded, 2.0), 2.0, maxReplans: 2));
        var second = j.BeginStep(2.0, out _);
        Assert.Equal(1, second.StepIndex);
        Assert.Equal(Place, second.Skill);
        Assert.Equal(StepVerdict.Settle, j.StepFinished(Result(j, Place, SkillOutcome.Succeeded, 1.5), 3.5, maxReplans: 2));

        Assert.True(j.Judge(RedInBin));
        var record = j.ToRecord(true, 4.0, null);
        Assert.Equal<string>(["pick(red_cube)", "place(red_cube, bin)"], record.Plan);
        Assert.Equal<double>([0.0, 2.0], record.Steps.Select(s => s.StartedAtS));
        Assert.Equal<double>([2.0, 1.5], record.Steps.Select(s => s.DurationS));
        Assert.Equal("rule", record.Planner);
        Assert.Equal(1.5, record.PlanLatencyMs);
        Assert.Null(record.FailureReason);
        Assert.Equal(7, record.Seed);
        Assert.Equal("test-1", record.ControllerVersion);
        Assert.Empty(record.Anomalies);
    }

    [Fact]
    public void Steps_that_succeed_without_reaching_the_goal_fail_with_the_goals_reason()
    {
        var j = Begun();
        j.Adopt(Ready(j, 1, Pick));
        j.BeginStep(0, out _);
        Assert.Equal(StepVerdict.Settle, j.StepFinished(Result(j, Pick, SkillOutcome.Succeeded, 1), 1, 2));
        Assert.False(j.Judge(Scene(Cube("red", 0.4, 0.1, 0.2), Bin)));
        Assert.Equal("red_cube is not inside bin", j.Failure);
        Assert.Equal("red_cube is not inside bin", j.ToRecord(false, 2, null).FailureReason);
    }

    [Fact]
    public void The_record_keeps_the_goal_and_names_the_relations_unmet_at_the_end()
    {
        var goal = new TaskGoal([new Relation.In("red_cube", "bin"), new Relation.On("blue_cube", "red_cube")]);
        var j = Begun(goal);
        j.Adopt(Ready(j, 1, Pick, Place));
        // the cortex is told the goal the episode judges by
        Assert.Equal(goal, j.PlanRequestFrom(Start).Goal);
        Assert.False(j.Judge(Scene(Cube("red", 0.5, -0.3, 0.04), Cube("blue", 0.3, 0.2), Bin)));
        var record = j.ToRecord(false, 3, null);
        Assert.Equal(["in(red_cube, bin)", "on(blue_cube, red_cube)"], record.Goal.AsEnumerable());
        Assert.Equal(["on(blue_cube, red_cube)"], record.Unmet.AsEnumerable());
        Assert.Equal("blue_cube is not on red_cube", record.FailureReason);

        var met = Begun();
        met.Adopt(Ready(met, 1, Pick, Place));
        Assert.True(met.Judge(RedInBin));
        Assert.Empty(met.ToRecord(true, 3, null).Unmet);

        // no scene to judge by: none of the goal is known to hold
        var unjudged = Begun();
        unjudged.NotJudged("no scene");
        Assert.Equal(["in(red_cube, bin)"], unjudged.ToRecord(false, 1, null).Unmet.AsEnumerable());
    }

    [Fact]
    public void A_drop_in_the_middle_of_a_three_object_task_repairs_only_the_failed_subgoal()
    {
        SkillInvocation P(string o) => SkillInvocation.Of("pick", o);
        SkillInvocation Pl(string o) => SkillInvocation.Of("place", o, "bin");
        var goal = new TaskGoal([new Relation.In("red_cube", "bin"), new Relation.In("green_cube", "bin"), new Relation.In("blue_cube", "bin")]);
        var j = Begun(goal, "put all the cubes in the bin");
        Core.Skills.Subgoal G(string o, int first) => new(new Relation.In(o, "bin"), first, first + 1);
        j.Adopt(Ready(j, 2, P("red_cube"), Pl("red_cube"), P("green_cube"), Pl("green_cube"), P("blue_cube"), Pl("blue_cube"))
            with { Subgoals = [G("red_cube", 0), G("green_cube", 2), G("blue_cube", 4)] });
        double t = 0;
        var redIn = Scene(Cube("red", 0.45, -0.3, 0.04), Cube("green", 0.3, 0.1), Cube("blue", 0.3, 0.2), Bin);
        foreach (var step in new[] { P("red_cube"), Pl("red_cube"), P("green_cube") })
        {
            j.BeginStep(t, out _);
            var verdict = j.StepFinished(Result(j, step, SkillOutcome.Succeeded, 1), t += 1, 2);
            if (step == Pl("red_cube"))
            {
                // the end of red's subgoal: checked from the scene before going on
                Assert.Equal(StepVerdict.CheckSubgoal, verdict);
                Assert.Equal(StepVerdict.NextStep, j.SubgoalChecked(redIn, t, 2));
            }
            else Assert.Equal(StepVerdict.NextStep, verdict);
        }
        // green slips out while being carried to the bin
        j.BeginStep(t, out _);
        var drop = new Anomaly(AnomalyKinds.ObjectDropped, "green_cube slipped", 0);
        Assert.Equal(StepVerdict.RepairSubgoal, j.StepFinished(Result(j, Pl("green_cube"), SkillOutcome.Failed, 1, drop, "dropped"), t += 1, 2));
        Assert.Equal(new Relation.In("green_cube", "bin"), j.RepairRequestFrom(Start).Subgoal);
        Assert.Equal(goal, j.RepairRequestFrom(Start).Goal);

        j.AdoptRepair(new PlanReady(j.TaskId, new Plan([P("green_cube"), Pl("green_cube")]), "repair", TimeSpan.FromMilliseconds(0.5)));
        Assert.Null(j.Failure);
        Assert.Equal(1, j.Repairs);
        Assert.Equal("rule", j.Planner); // the task's planner, not the repair
        // only the failed subtree was replanned: the repair, then blue's subgoal as planned
        Assert.Equal(["pick(green_cube)", "place(green_cube, bin)", "pick(blue_cube)", "place(blue_cube, bin)"], j.Plan!.Describe().ToArray());
        Assert.Equal(0, j.Step);
        var remaining = new[] { P("green_cube"), Pl("green_cube"), P("blue_cube"), Pl("blue_cube") };
        var allIn = Scene(Cube("red", 0.45, -0.3, 0.04), Cube("green", 0.5, -0.3, 0.04), Cube("blue", 0.55, -0.3, 0.04), Bin);
        for (int i = 0; i < remaining.Length; i++)
        {
            j.BeginStep(t, out _);
            Assert.Equal(i % 2 == 0 ? StepVerdict.NextStep : StepVerdict.CheckSubgoal, j.StepFinished(Result(j, remaining[i], SkillOutcome.Succeeded, 1), t += 1, 2));
            if (i % 2 == 1) Assert.Equal(i < 3 ? StepVerdict.NextStep : StepVerdict.Settle, j.SubgoalChecked(allIn, t, 2));
        }
        Assert.True(j.Judge(allIn));
        var record = j.ToRecord(true, t, null);
        Assert.Equal(8, record.Plan.Length); // the six planned steps and the two of the repair
        Assert.Equal(8, record.Steps.Length); // three done, the dropped place, the repair and blue's two
        // the tree: green's subgoal failed (the drop), then held after its repair; the dropped place is a failed skill of it
        var tree = record.Tree!;
        Assert.Equal(NodeStatus.Succeeded, tree.Status);
        Assert.Equal([NodeStatus.Succeeded, NodeStatus.Repaired, NodeStatus.Succeeded], tree.Subgoals.Select(g => g.Status));
        var green = tree.Subgoals[1];
        Assert.Equal("in(green_cube, bin)", green.Relation);
        Assert.Equal(1, green.Repairs);
        Assert.Equal("holds", green.Check);
        Assert.Equal(["pick(green_cube) succeeded", "place(green_cube, bin) failed", "pick(green_cube) succeeded", "place(green_cube, bin) succeeded"],
            green.Skills.Select(k => $"{k.Skill} {k.Status}"));
        Assert.Equal([2, 3, 4, 5], green.Skills.Select(k => k.Step ?? -1));
        Assert.Equal(2.0, green.StartS);
        Assert.Equal(6.0, green.EndS);

        // a second failure of the same subgoal is not repaired locally again: the whole plan is asked for
        var k = Begun(goal, "put all the cubes in the bin");
        k.Adopt(Ready(k, 2, P("green_cube"), Pl("green_cube")) with { Subgoals = [G("green_cube", 0)] });
        k.BeginStep(0, out _);
        Assert.Equal(StepVerdict.RepairSubgoal, k.StepFinished(Result(k, P("green_cube"), SkillOutcome.Failed, 1, drop), 1, 3));
        k.AdoptRepair(new PlanReady(k.TaskId, new Plan([P("green_cube"), Pl("green_cube")]), "repair", TimeSpan.Zero));
        k.BeginStep(1, out _);
        Assert.Equal(StepVerdict.Replan, k.StepFinished(Result(k, P("green_cube"), SkillOutcome.Failed, 1, drop), 2, 3));
    }

    [Fact]
    public void An_earlier_subgoal_knocked_out_by_a_later_placement_is_reopened_repaired_and_past_the_bound_names_its_object()
    {
        SkillInvocation P(string o) => SkillInvocation.Of("pick", o);
        SkillInvocation Pl(string o) => SkillInvocation.Of("place", o, "bin");
        Core.Skills.Subgoal G(string o, int first) => new(new Relation.In(o, "bin"), first, first + 1);
        var goal = new TaskGoal([new Relation.In("red_cube", "bin"), new Relation.In("blue_cube", "bin")]);
        var redIn = Scene(Cube("red", 0.45, -0.3, 0.04), Cube("blue", 0.3, 0.2), Bin);
        var redOut = Scene(Cube("red", 0.4, 0.1), Cube("blue", 0.55, -0.3, 0.04), Bin);
        var bothIn = Scene(Cube("red", 0.45, -0.3, 0.04), Cube("blue", 0.55, -0.3, 0.04), Bin);

        EpisodeJournal Run(int maxReplans, out double t)
        {
            var j = Begun(goal, "put the red and the blue cube in the bin");
            j.Adopt(Ready(j, 1, P("red_cube"), Pl("red_cube"), P("blue_cube"), Pl("blue_cube")) with { Subgoals = [G("red_cube", 0), G("blue_cube", 2)] });
            t = 0;
            foreach (var step in new[] { P("red_cube"), Pl("red_cube"), P("blue_cube"), Pl("blue_cube") })
            {
                j.BeginStep(t, out _);
                if (j.StepFinished(Result(j, step, SkillOutcome.Succeeded, 1), t += 1, maxReplans) == StepVerdict.CheckSubgoal && step == Pl("red_cube"))
                    Assert.Equal(StepVerdict.NextStep, j.SubgoalChecked(redIn, t, maxReplans));
            }
            return j;
        }

        // blue's placement succeeded and blue is in, but red is out again: red's subgoal is reopened and repaired locally
        var j = Run(2, out var t);
        Assert.Equal(StepVerdict.RepairSubgoal, j.SubgoalChecked(redOut, t += 0.3, 2));
        Assert.Equal("in(red_cube, bin) no longer holds after in(blue_cube, bin): red_cube is not inside bin", j.Failure);
        Assert.Equal(new Relation.In("red_cube", "bin"), j.RepairRequestFrom(redOut).Subgoal);
        j.AdoptRepair(new PlanReady(j.TaskId, new Plan([P("red_cube"), Pl("red_cube")]), "repair", TimeSpan.Zero));
        Assert.Equal(["pick(red_cube)", "place(red_cube, bin)"], j.Plan!.Describe().ToArray());
        j.BeginStep(t, out _);
        Assert.Equal(StepVerdict.NextStep, j.StepFinished(Result(j, P("red_cube"), SkillOutcome.Succeeded, 1), t += 1, 2));
        j.BeginStep(t, out _);
        Assert.Equal(StepVerdict.CheckSubgoal, j.StepFinished(Result(j, Pl("red_cube"), SkillOutcome.Succeeded, 1), t += 1, 2));
        // red holds again, and blue (checked again on the same scene) still does
        Assert.Equal(StepVerdict.Settle, j.SubgoalChecked(bothIn, t, 2));
        Assert.Null(j.Failure);
        Assert.True(j.Judge(bothIn));
        var tree = j.ToRecord(true, t + 0.6, null).Tree!;
        Assert.Equal([NodeStatus.Repaired, NodeStatus.Succeeded], tree.Subgoals.Select(g => g.Status));
        Assert.Equal(4, tree.Subgoals[0].Skills.Length);
        Assert.Equal(t, tree.Subgoals[0].EndS);

        // with no replans allowed the episode settles failed, naming red
        var k = Run(0, out t);
        Assert.Equal(StepVerdict.Settle, k.SubgoalChecked(redOut, t, 0));
        Assert.False(k.Judge(redOut));
        var record = k.ToRecord(false, t + 0.6, null);
        Assert.Equal("in(red_cube, bin) no longer holds after in(blue_cube, bin): red_cube is not inside bin", record.FailureReason);
        Assert.Equal(["in(red_cube, bin)"], record.Unmet.AsEnumerable());
        Assert.Equal([NodeStatus.Failed, NodeStatus.Succeeded], record.Tree!.Subgoals.Select(g => g.Status));
        Assert.Equal("knocked out again: red_cube is not inside bin", record.Tree.Subgoals[0].Check);

        // a subgoal whose skills succeeded but whose relation does not hold is a failure of that subgoal
        var m = Begun();
        m.Adopt(Ready(m, 1, Pick, Place) with { Subgoals = [new(new Relation.In("red_cube", "bin"), 0, 1)] });
        m.BeginStep(0, out _);
        m.StepFinished(Result(m, Pick, SkillOutcome.Succeeded, 1), 1, 2);
        m.BeginStep(1, out _);
        Assert.Equal(StepVerdict.CheckSubgoal, m.StepFinished(Result(m, Place, SkillOutcome.Succeeded, 1), 2, 2));
        Assert.Equal(StepVerdict.RepairSubgoal, m.SubgoalChecked(Start, 2.3, 2));
        Assert.Equal("in(red_cube, bin) does not hold after its skills succeeded: red_cube is not inside bin", m.Failure);
    }

    [Fact]
    public void Without_a_physical_goal_success_is_every_step_having_succeeded_and_without_a_plan_there_is_none()
    {
        var noPlan = new EpisodeJournal(new RunEpisode("open the gripper", 1), "v");
        noPlan.Started(new WorldReady(1, Start), null);
        Assert.False(noPlan.Judge(Start));

        var j = new EpisodeJournal(new RunEpisode("open the gripper", 1), "v");
        j.Started(new WorldReady(1, Start), null);
        var open = SkillInvocation.Of("open_gripper");
        j.Adopt(Ready(j, 1, open));
        j.BeginStep(0, out _);
        j.StepFinished(Result(j, open, SkillOutcome.Succeeded, 0.5), 0.5, 2);
        Assert.True(j.Judge(Start));
    }

    [Fact]
    public void An_aborted_step_is_retried_once_per_episode_then_the_episode_settles_failed()
    {
        var j = Begun();
        j.Adopt(Ready(j, 1, Pick, Place));
        j.BeginStep(0, out _);
        Assert.Equal(StepVerdict.Retry, j.StepFinished(Result(j, Pick, SkillOutcome.Aborted, 1, detail: "organ restarted"), 1, 2));
        var again = j.BeginStep(1, out _);
        Assert.Equal(Pick, again.Skill);
        Assert.Equal(1, again.StepIndex);
        Assert.Equal(StepVerdict.Settle, j.StepFinished(Result(j, Pick, SkillOutcome.Aborted, 1, detail: "organ restarted"), 2, 2));
        Assert.Equal("pick(red_cube) failed: organ restarted", j.Failure);
        Assert.Equal(2, j.ToRecord(false, 2, null).Steps.Length);
    }

    [Fact]
    public void A_result_of_an_earlier_step_or_another_task_is_not_the_current_one()
    {
        var j = Begun();
        j.Adopt(Ready(j, 1, Pick, Place));
        j.BeginStep(0, out _);
        Assert.True(j.IsCurrent(Result(j, Pick, SkillOutcome.Succeeded, 1)));
        Assert.False(j.IsCurrent(Result(j, Pick, SkillOutcome.Succeeded, 1) with { StepIndex = 5 }));
        Assert.False(j.IsCurrent(Result(j, Pick, SkillOutcome.Succeeded, 1) with { TaskId = Guid.NewGuid() }));
    }

    [Fact]
    public void Anomalies_worth_replanning_replan_within_the_bound_and_the_slip_makes_the_next_pick_and_its_place_firm()
    {
        var j = Begun();
        j.Adopt(Ready(j, 2, Pick, Place));
        j.BeginStep(0, out _);
        var dropped = new Anomaly(AnomalyKinds.ObjectDropped, "the gripper opening fell", 0);
        Assert.Equal(StepVerdict.Replan, j.StepFinished(Result(j, Pick, SkillOutcome.Failed, 1.25, dropped, "lift red_cube: the gripper opening fell"), 3, maxReplans: 1));
        Assert.Equal(1, j.Replans);
        Assert.Equal(dropped, j.LastAnomaly);
        Assert.Equal(dropped, j.PlanRequestFrom(Start).Anomaly);
        Assert.Equal("pick(red_cube) failed: lift red_cube: the gripper opening fell", j.Failure);

        // The replan clears the failure; the slip makes the next pick firm, and its place carries the same grip.
        j.Adopt(Ready(j, 3, Pick, Place), replanned: true);
        Assert.Null(j.Failure);
        var pick = j.BeginStep(4, out var advice);
        Assert.True(pick.Tuning?.FirmGrip);
        Assert.Contains("slipped", advice);
        Assert.Equal(StepVerdict.NextStep, j.StepFinished(Result(j, Pick, SkillOutcome.Succeeded, 1), 5, 1));
        Assert.True(j.BeginStep(5, out _).Tuning?.FirmGrip);

        // A second anomaly is past the bound: no more replanning.
        var missed = new Anomaly(AnomalyKinds.GraspMissed, "nothing between the fingers", 0);
        Assert.Equal(StepVerdict.Settle, j.StepFinished(Result(j, Place, SkillOutcome.Failed, 1, missed, "grasp_missed: nothing"), 6, 1));

        var record = j.ToRecord(false, 7, null);
        Assert.Equal(4, record.Plan.Length);
        Assert.Equal(2, record.Anomalies.Length);
        Assert.Equal(2, j.AnomalyCount);
        var first = record.AnomalyEvents[0];
        Assert.Equal(AnomalyKinds.ObjectDropped, first.Kind);
        Assert.Equal(0, first.Step);
        Assert.Equal(1.25, first.RobotTimeS);   // the step's start (0) plus its duration
        // The anomaly's kind leads a step's detail; a detail that already starts with it is kept as it is.
        Assert.Equal("object_dropped: lift red_cube: the gripper opening fell", record.Steps[0].Detail);
        Assert.Equal("grasp_missed: nothing", record.Steps[2].Detail);
        Assert.Equal(FirmGripText(), record.Steps[1].Parameters);
        Assert.Equal<double>([2.0, 3.0], j.Outcome(record, 0, null).PlanLatenciesMs);
    }

    private static string FirmGripText() => new SkillTuning(FirmGrip: true).ToString();

    [Theory]
    [InlineData(AnomalyKinds.PathTolerance, true)]
    [InlineData(AnomalyKinds.GoalTolerance, true)]
    [InlineData(AnomalyKinds.ControllerAborted, true)]
    [InlineData(AnomalyKinds.TrajectoryRefused, false)] // the same motion would be refused again
    public void A_trajectory_controller_giving_up_a_motion_replans_and_a_refused_trajectory_does_not(string kind, bool replans)
    {
        var j = Begun();
        j.Adopt(Ready(j, 1, Pick, Place));
        j.BeginStep(0.5, out _);
        var anomaly = new Anomaly(kind, "approach red_cube: aborted goal 3", 0);
        Assert.Equal(replans ? StepVerdict.Replan : StepVerdict.Settle, j.StepFinished(Result(j, Pick, SkillOutcome.Failed, 1, anomaly, "x"), 1.5, 2));
        Assert.Equal(replans ? 1 : 0, j.Replans);
    }

    [Fact]
    public void An_anomaly_not_worth_replanning_settles_and_a_timed_out_step_is_recorded_as_aborted()
    {
        var j = Begun();
        j.Adopt(Ready(j, 1, Pick, Place));
        j.BeginStep(0.5, out _);
        var limit = new Anomaly(AnomalyKinds.JointLimit, "elbow past its limit", 0);
        Assert.Equal(StepVerdict.Settle, j.StepFinished(Result(j, Pick, SkillOutcome.Failed, 1, limit, "x"), 1.5, 2));
        Assert.Equal(0, j.Replans);

        var k = Begun();
        k.Adopt(Ready(k, 1, Pick));
        k.BeginStep(1.0, out _);
        k.StepTimedOut(91.0, TimeSpan.FromSeconds(90));
        Assert.Equal("pick(red_cube) did not finish within 90 s", k.Failure);
        var step = Assert.Single(k.ToRecord(false, 91, null).Steps);
        Assert.Equal(SkillOutcome.Aborted, step.Outcome);
        Assert.Equal("timeout", step.Detail);
        Assert.Equal(90.0, step.DurationS);
    }

    [Fact]
    public void The_record_keeps_the_start_and_end_scenes_perturbations_and_the_first_failure_reason()
    {
        var j = new EpisodeJournal(new RunEpisode("put the red cube in the bin", 3), "v");
        var perturbation = new AppliedPerturbation("red_cube", 0.5, 0.1);
        j.Started(new WorldReady(3, Start) { Perturbations = [perturbation] }, new TaskGoal([new Relation.In("red_cube", "bin")]));
        j.Fail("the cortex gave no plan within 60 s");
        j.NotJudged("no scene to judge the outcome");
        Assert.Equal("the cortex gave no plan within 60 s", j.Failure);
        var unjudged = j.ToRecord(false, 0, null);
        Assert.Empty(unjudged.SceneAtEnd);   // no scene came to judge by
        Assert.False(j.Judge(RedInBin));     // no plan, whatever the scene
        var record = j.ToRecord(false, 0, null);
        Assert.Equal(perturbation, Assert.Single(record.Perturbations));
        Assert.Equal(0.1, Assert.Single(record.SceneAtStart, o => o.Name == "red_cube").Y, 9);
        Assert.Equal(-0.3, Assert.Single(record.SceneAtEnd, o => o.Name == "red_cube").Y, 9);
        Assert.Equal("?", record.Planner);
    }

    [Theory]
    [InlineData(AnomalyKinds.ObjectVanished, true)]
    [InlineData(AnomalyKinds.ObjectJumped, true)]
    [InlineData(AnomalyKinds.PerceptionStale, false)]
    public void A_vanished_or_jumped_object_is_replanned_and_stale_perception_holds_and_reports(string kind, bool replan)
    {
        var j = Begun();
        j.Adopt(Ready(j, 1, Pick, Place));
        j.BeginStep(0, out _);
        var anomaly = new Anomaly(kind, "pick(red_cube): approach red_cube: red_cube is no longer observed", 1);
        var verdict = j.StepFinished(Result(j, Pick, SkillOutcome.Failed, 0.5, anomaly, "approach red_cube: red_cube is no longer observed"), 0.5, maxReplans: 2);
        Assert.Equal(replan ? StepVerdict.Replan : StepVerdict.Settle, verdict);
        Assert.Contains($"{kind}: approach red_cube", j.ToRecord(false, 1, null).Steps[0].Detail);
    }

    [Fact]
    public void An_object_perception_lost_by_the_end_fails_the_goal_saying_so()
    {
        var j = Begun();
        j.Adopt(Ready(j, 1, Pick, Place));
        Assert.False(j.Judge(Scene(Bin)));
        Assert.Equal("red_cube is not in the scene at the end (not perceived)", j.Failure);
    }
}
