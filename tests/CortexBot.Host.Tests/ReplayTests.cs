using System.Diagnostics;
using System.Text.Json;
using CortexBot.Core;
using CortexBot.Core.Messages;
using CortexBot.Core.Skills;
using CortexBot.Hippocampus;
using CortexBot.Host.Replay;
using CortexBot.Host.Scenarios;
using CortexBot.Sim.MuJoCo;
using Xunit.Abstractions;

namespace CortexBot.Host.Tests;

/// <summary>Episodes run by the real controller are stored with their trace and scenes, and replay through today's cerebellum.</summary>
[Collection("end-to-end")]
public class ReplayTests(ITestOutputHelper output)
{
    private static async Task<EpisodeRecord> RunOneAsync(int seed, string task = "put the red cube in the bin")
    {
        var options = TestOptions.Fast();
        var result = await CortexBotRunner.RunAsync(options, task, 1, seed);
        Assert.Null(result.Rejection);
        using var store = new SqliteEpisodeStore(options.MemoryPath, readOnly: true);
        return store.Get(result.Report!.Episodes[0].EpisodeId)!;
    }

    [Fact]
    public async Task A_real_episode_is_stored_with_its_trace_and_scenes_and_replays_without_divergence()
    {
        var e = await RunOneAsync(seed: 11);
        Assert.True(e.Success, e.FailureReason);

        var trace = e.Trace!;
        Assert.NotNull(trace);
        Assert.Equal(MuJoCoWorld.ArmJoints.AsEnumerable(), trace.JointNames.AsEnumerable());
        Assert.Equal(500, trace.ControlRateHz);
        Assert.Equal(0.04, trace.SamplePeriodS, 9);
        // Sampled from the episode's start to its end (steps, settling, judging), every sample traced in fast pacing.
        Assert.InRange(trace.DurationS, e.DurationS - 0.05, e.DurationS + 0.001);
        Assert.DoesNotContain(trace.CopySamples(), float.IsNaN);
        var shoulder = Enumerable.Range(0, trace.Count).Select(k => trace.Joint(k, 0)).ToList();
        Assert.True(shoulder.Max() - shoulder.Min() > 0.2, "the arm moved");
        var grip = Enumerable.Range(0, trace.Count).Select(trace.Gripper).ToList();
        Assert.True(grip.Max() - grip.Min() > 0.02, "the gripper closed on the cube and opened again");
        output.WriteLine($"trace: {trace.Count} samples, {trace.EncodedLength} bytes for {e.DurationS:F2} s");

        using (var world = new MuJoCoWorld(RepoPaths.DefaultScene))
        {
            world.ResetScene(11);
            var truth = world.Snapshot().Find("red_cube")!;
            var start = e.SceneAtStart.Single(o => o.Name == "red_cube");
            Assert.Equal(truth.Pose.Position.X, start.X, 4);
            Assert.Equal(truth.Pose.Position.Y, start.Y, 4);
            Assert.Equal(truth.Pose.Orientation.Yaw, start.Yaw, 4);
        }
        var end = e.SceneAtEnd.Single(o => o.Name == "red_cube");
        var bin = e.SceneAtEnd.Single(o => o.Name == "bin");
        Assert.True(Math.Abs(end.X - bin.X) < 0.08 && Math.Abs(end.Y - bin.Y) < 0.08, $"red cube ended at {end}, bin at {bin}");
        Assert.Empty(e.AnomalyEvents);
        Assert.Null(e.Policy);
        Assert.Empty(e.Perturbations);

        var report = await EpisodeReplayer.ReplayAsync(e, new ReplayOptions());

        output.WriteLine($"replay: {report.ComparedSamples} samples compared, max deviation {report.MaxDeviationRad} rad ({report.MaxDeviationJoint}), " +
                         $"{report.WallS} s wall for {report.ReplayedRobotS} s robot; notes: {string.Join("; ", report.Notes)}");
        Assert.False(report.Diverged, $"diverged at {report.FirstDivergence}");
        Assert.Null(report.FirstDivergence);
        Assert.True(report.OutcomeMatches);
        Assert.True(report.ReplayedSuccess, report.ReplayedFailure);
        Assert.Equal(trace.Count, report.ComparedSamples);
        Assert.All(report.Steps, s => Assert.True(s.Matches, $"{s.Skill}: {s.RecordedOutcome} vs {s.ReplayedOutcome}"));
        Assert.True(report.MaxDeviationRad < 0.005, $"max deviation {report.MaxDeviationRad}");
    }

    [Fact]
    public async Task A_perturbed_episode_is_stored_with_the_physics_it_ran_under_and_replay_re_applies_them()
    {
        // Mass alone for the blue cube: its friction stays the scene's, and is recorded as such.
        var options = TestOptions.Fast() with
        {
            RealtimePriority = false,
            Perturbations = [MemoryEffectScenario.DefaultPerturbation, ObjectPerturbation.Parse("blue_cube:mass=0.05")],
            Timeouts = EpisodeTimeouts.Default with { UseMemory = false },
        };
        var result = await CortexBotRunner.RunAsync(options, MemoryEffectScenario.DefaultTask, 1, 11);
        Assert.Null(result.Rejection);
        EpisodeRecord e;
        using (var store = new SqliteEpisodeStore(options.MemoryPath, readOnly: true))
            e = store.Get(result.Report!.Episodes[0].EpisodeId)!;
        double sceneFriction;
        using (var world = new MuJoCoWorld(RepoPaths.DefaultScene))
            sceneFriction = world.GetObjectPhysics("blue_cube").Friction;
        Assert.NotEqual(0.3, sceneFriction);
        Assert.Equal(new[] { new AppliedPerturbation("red_cube", 0.2, 0.3), new AppliedPerturbation("blue_cube", 0.05, sceneFriction) }, e.Perturbations.ToArray());
        // The perturbation was in force: the default grasp let the cube slip, the firm one carried it.
        Assert.StartsWith("object_dropped", e.Steps[0].Detail);
        Assert.True(e.Success, e.FailureReason);

        var report = await EpisodeReplayer.ReplayAsync(e, new ReplayOptions());

        output.WriteLine($"perturbed replay: max deviation {report.MaxDeviationRad} rad; notes: {string.Join("; ", report.Notes)}");
        Assert.Equal(e.Perturbations.ToArray(), report.Perturbations.ToArray()); // read back from the replay's simulator
        Assert.Contains("re-applied the episode's perturbations: red_cube: mass 0.2 kg, friction 0.3; blue_cube: mass 0.05 kg", report.Notes[0]);
        Assert.Equal(nameof(SkillOutcome.Failed), report.Steps[0].ReplayedOutcome); // it slipped again
        Assert.All(report.Steps, s => Assert.True(s.Matches, $"{s.Skill}: {s.RecordedOutcome} vs {s.ReplayedOutcome}"));
        Assert.True(report.OutcomeMatches);
        Assert.False(report.Diverged, $"diverged at {report.FirstDivergence}");

        // Without them the cube does not slip: the conditions are what makes the replay reproduce the episode.
        var bare = await EpisodeReplayer.ReplayAsync(e with { Perturbations = [] }, new ReplayOptions());
        Assert.Empty(bare.Perturbations);
        Assert.Equal(nameof(SkillOutcome.Succeeded), bare.Steps[0].ReplayedOutcome);
        Assert.DoesNotContain(bare.Notes, n => n.Contains("perturbation", StringComparison.Ordinal));
    }

    [Fact]
    public void Memory_show_and_replay_tell_the_reader_the_cube_was_slippery()
    {
        var db = TestOptions.TempDb();
        Assert.Equal(0, Cli("run", "--task", "put the red cube in the bin", "--episodes", "1", "--seed", "11", "--fast", "--no-rt-priority",
            "--no-recall", "--perturb", "red_cube:slippery", "--json", "--memory", db).Code);

        var show = Cli("memory", "show", "1", "--memory", db);
        Assert.Equal(0, show.Code);
        Assert.Contains("perturbations", show.Stdout);
        Assert.Contains("red_cube: mass 0.2 kg, friction 0.3", show.Stdout);
        var json = Cli("memory", "show", "1", "--memory", db, "--json");
        using (var doc = JsonDocument.Parse(json.Stdout))
        {
            var p = Assert.Single(doc.RootElement.GetProperty("perturbations").EnumerateArray());
            Assert.Equal(("red_cube", 0.2, 0.3), (p.GetProperty("object").GetString(), p.GetProperty("mass").GetDouble(), p.GetProperty("friction").GetDouble()));
        }

        var replay = Cli("memory", "replay", "1", "--memory", db);
        Assert.Equal(0, replay.Code);
        Assert.Contains("re-applied: red_cube: mass 0.2 kg, friction 0.3", replay.Stdout);
    }

    [Fact]
    public async Task A_real_time_episode_replays_closer_once_step_starts_are_taken_from_their_recorded_ends()
    {
        var options = TestOptions.Realtime();
        var result = await CortexBotRunner.RunAsync(options, "put the blue cube in the bin", 1, 5);
        using var store = new SqliteEpisodeStore(options.MemoryPath, readOnly: true);
        var e = store.Get(result.Report!.Episodes[0].EpisodeId)!;
        // Usually the real-time loop ran on for a few ticks while the episode recalled and planned (StartedAtS > 0); a quick
        // recall and plan can start the first step in the same tick. Both cases are judged below.
        Assert.True(e.Steps[0].StartedAtS >= 0);

        var report = await EpisodeReplayer.ReplayAsync(e, new ReplayOptions());
        var asRecorded = await EpisodeReplayer.ReplayAsync(e, new ReplayOptions { ReestimateStarts = false });

        output.WriteLine($"real-time replay: max deviation {report.MaxDeviationRad} rad ({report.MaxDeviationJoint}), " +
                         $"{asRecorded.MaxDeviationRad} rad from the requested starts; {string.Join("; ", report.Notes)}");
        Assert.True(report.OutcomeMatches);
        // How close a real-time episode replays depends on the machine's scheduling while it ran (measured 0.002-0.009
        // rad here). When a program began ticks after it was requested (a cold first compile: 30-140 ms), starting the
        // step when it really began must beat starting it when it was requested; with a warm compiler there is nothing
        // to re-estimate and one pass is the answer.
        if (report.Notes.Any(n => n.StartsWith("step starts re-estimated from their recorded ends", StringComparison.Ordinal)))
            // A late result message can make a re-estimated start a tick or two late: never worse than the requested
            // starts or 0.02 rad, whichever is larger.
            Assert.True(report.MaxDeviationRad <= Math.Max(asRecorded.MaxDeviationRad, 0.02),
                $"re-estimated starts {report.MaxDeviationRad} rad vs requested starts {asRecorded.MaxDeviationRad} rad");
        else
            Assert.Equal(asRecorded.MaxDeviationRad, report.MaxDeviationRad);
    }

    [Fact]
    public async Task A_trace_altered_during_the_second_step_is_reported_at_that_step_joint_and_time()
    {
        var e = await RunOneAsync(seed: 12);
        var trace = e.Trace!;
        var place = e.Steps[1];
        // From 0.5 s into the place step on, the recorded elbow is 0.2 rad off.
        int from = (int)Math.Ceiling((place.StartedAtS + 0.5) / trace.SamplePeriodS);
        const int elbow = 2;
        var samples = trace.CopySamples();
        for (int k = from; k < trace.Count; k++)
            samples[k * (trace.Joints + 1) + elbow] += 0.2f;
        var altered = e with { Trace = new EpisodeTrace(trace.JointNames, trace.ControlRateHz, trace.SamplePeriodS, samples) };

        var report = await EpisodeReplayer.ReplayAsync(altered, new ReplayOptions { ToleranceRad = 0.05 });

        var d = report.FirstDivergence;
        output.WriteLine($"divergence: {d}");
        Assert.True(report.Diverged);
        Assert.NotNull(d);
        Assert.Equal(from, d.Sample);
        Assert.Equal(from * trace.SamplePeriodS, d.RobotTimeS, 3);
        Assert.Equal(1, d.Step);
        Assert.Equal(place.Skill, d.StepSkill);
        Assert.Equal(MuJoCoWorld.ArmJoints[elbow], d.Joint);
        Assert.Equal(0.2, d.DifferenceRad, 2);
        Assert.Equal(d.RecordedRad - 0.2, d.ReplayedRad, 2);
        Assert.Equal(0.2, report.MaxDeviationRad, 2);
        // The motion itself replays faithfully: outcomes still agree.
        Assert.True(report.OutcomeMatches);
    }

    [Fact]
    public async Task A_learned_skill_episode_remembers_its_policy_and_replays_through_the_same_policy()
    {
        var policy = Path.Combine(RepoPaths.Policies, "pick_place.onnx");
        var options = TestOptions.Fast() with { PolicyPath = policy, PreferLearnedSkills = true };
        var result = await CortexBotRunner.RunAsync(options, "put the red cube in the bin", 1, LearnedSkillTests.SucceedingSeed);
        using var store = new SqliteEpisodeStore(options.MemoryPath, readOnly: true);
        var e = store.Get(result.Report!.Episodes[0].EpisodeId)!;
        Assert.Equal("learned_pick_place(red_cube, bin)", e.Steps[0].Skill);
        var identity = CortexBot.Cerebellum.Learning.Runtime.LearnedSkillFactory.IdentityOf(policy);
        Assert.Equal(new PolicyIdentity("pick_place.onnx", identity.Id), e.Policy);
        Assert.Matches("^sha256:[0-9a-f]{16}$", identity.Id);

        var report = await EpisodeReplayer.ReplayAsync(e, new ReplayOptions { PolicyPath = policy });

        output.WriteLine($"learned replay: max deviation {report.MaxDeviationRad} rad over {report.ComparedSamples} samples, {report.WallS} s wall; " +
                         string.Join("; ", report.Notes));
        Assert.False(report.Diverged, $"diverged at {report.FirstDivergence}");
        Assert.True(report.OutcomeMatches);
        Assert.Empty(report.Notes);
    }

    private (int Code, string Stdout, string Stderr) Cli(params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "cortexbot.dll"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.Environment["CORTEXBOT_HOME"] = RepoPaths.Root;
        psi.Environment["COLUMNS"] = "200";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(3))) { p.Kill(true); throw new TimeoutException("cortexbot did not exit"); }
        output.WriteLine($"$ cortexbot {string.Join(' ', args)} -> {p.ExitCode}\n{stdout.Result}\n{stderr.Result}");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }

    [Fact]
    public void Memory_replay_reports_a_run_episode_as_matching_and_refuses_unknown_or_untraced_ones()
    {
        var db = TestOptions.TempDb();
        Assert.Equal(0, Cli("run", "--task", "put the green cube in the bin", "--episodes", "1", "--seed", "21", "--fast", "--json", "--memory", db).Code);
        using (var store = new SqliteEpisodeStore(db))
            store.Append(new EpisodeRecord(Guid.NewGuid(), "put the red cube in the bin", 3, DateTimeOffset.UtcNow, 2, true, null, "rule",
                ["pick(red_cube)"], [new StepRecord(0, "pick(red_cube)", SkillOutcome.Succeeded, null, 0, 1)], [], 1, "0.1"));

        var (code, stdout, _) = Cli("memory", "replay", "1", "--memory", db, "--json");
        Assert.Equal(0, code);
        using (var doc = JsonDocument.Parse(stdout))
        {
            var r = doc.RootElement;
            Assert.False(r.GetProperty("diverged").GetBoolean());
            Assert.Equal(JsonValueKind.Null, r.GetProperty("first_divergence").ValueKind);
            Assert.True(r.GetProperty("outcome_matches").GetBoolean());
            Assert.Equal(2, r.GetProperty("steps").GetArrayLength());
            Assert.Equal("place(green_cube, bin)", r.GetProperty("steps")[1].GetProperty("skill").GetString());
            Assert.True(r.GetProperty("steps")[1].GetProperty("matches").GetBoolean());
            Assert.Equal(r.GetProperty("recorded_samples").GetInt32(), r.GetProperty("compared_samples").GetInt32());
            Assert.Equal(0.05, r.GetProperty("tolerance_rad").GetDouble());
        }

        var table = Cli("memory", "replay", "1", "--memory", db, "--tolerance", "0.01");
        Assert.Equal(0, table.Code);
        Assert.Contains("first divergence", table.Stdout);
        Assert.Contains("none (every joint within 0.0100 rad)", table.Stdout);
        Assert.Contains("recorded success, replayed success", table.Stdout);

        var unknown = Cli("memory", "replay", "9", "--memory", db);
        Assert.Equal(2, unknown.Code);
        Assert.Contains($"no episode 9 in {Path.GetFullPath(db)}", unknown.Stderr);
        var untraced = Cli("memory", "replay", "2", "--memory", db);
        Assert.Equal(2, untraced.Code);
        Assert.Contains("episode 2 has no trace", untraced.Stderr);
        var bad = Cli("memory", "replay", "1", "--memory", db, "--tolerance", "-1");
        Assert.Equal(2, bad.Code);
        Assert.Contains("--tolerance must be a positive angle", bad.Stderr);
    }

    [Fact]
    public async Task Episodes_without_trace_or_with_skills_the_catalogue_lost_or_perturbations_the_scene_cannot_take_are_refused_clearly()
    {
        var catalogue = SkillCatalogue.Load(RepoPaths.DefaultSkillCatalogue);
        var trace = new EpisodeTrace([.. MuJoCoWorld.ArmJoints], 500, 0.04, new float[7 * 3]);
        var e = new EpisodeRecord(Guid.NewGuid(), "put the red cube in the bin", 3, DateTimeOffset.UtcNow, 2, true, null, "rule",
            ["pick(red_cube)", "juggle(red_cube, bin)"],
            [new StepRecord(0, "pick(red_cube)", SkillOutcome.Succeeded, null, 0, 1), new StepRecord(1, "juggle(red_cube, bin)", SkillOutcome.Succeeded, null, 1, 1)],
            [], 1, "0.1") { Id = 42 };

        var noTrace = Assert.Throws<ConfigurationException>(() => EpisodeReplayer.CheckReplayable(e, catalogue));
        Assert.Contains("episode 42 has no trace", noTrace.Message);
        var lost = Assert.Throws<ConfigurationException>(() => EpisodeReplayer.CheckReplayable(e with { Trace = trace }, catalogue));
        Assert.Contains("episode 42 ran skill(s) the skill catalogue no longer has: juggle", lost.Message);
        var none = Assert.Throws<ConfigurationException>(() => EpisodeReplayer.CheckReplayable(e with { Trace = trace, Steps = [] }, catalogue));
        Assert.Contains("no skill steps", none.Message);
        EpisodeReplayer.CheckReplayable(e with { Trace = trace, Steps = [e.Steps[0]] }, catalogue);
        var purple = await Assert.ThrowsAsync<ConfigurationException>(() => EpisodeReplayer.ReplayAsync(
            e with { Trace = trace, Steps = [e.Steps[0]], Perturbations = [new AppliedPerturbation("purple_cube", 0.2, 0.3)] }, new ReplayOptions()));
        Assert.Contains("episode 42 ran with perturbation purple_cube: mass 0.2 kg, friction 0.3, which cannot be re-applied", purple.Message);
        Assert.Contains("No movable object 'purple_cube'", purple.Message);
        var heavy = await Assert.ThrowsAsync<ConfigurationException>(() => EpisodeReplayer.ReplayAsync(
            e with { Trace = trace, Steps = [e.Steps[0]], Perturbations = [new AppliedPerturbation("red_cube", 50, 0.3)] }, new ReplayOptions()));
        Assert.Contains("mass 50 kg is not in (0, 10]", heavy.Message);
    }
}
