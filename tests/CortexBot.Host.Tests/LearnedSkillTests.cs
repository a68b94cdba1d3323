using CortexBot.Cerebellum.Learning.Runtime;
using CortexBot.Cerebellum.Training.Demos;
using CortexBot.Core;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace CortexBot.Host.Tests;

/// <summary>The learned action expert as a skill inside the cerebellum's real control loop, through the real host.</summary>
[Collection("end-to-end")]
public class LearnedSkillTests(ITestOutputHelper output)
{
    /// <summary>
    /// A scene seed whose target is the red cube and on which the shipped policy (about 86% successful on unseen seeds)
    /// succeeds when run through the host in fast (lockstep, deterministic) mode. Pinned after trying seeds 1000-1007
    /// (all eight succeeded, 7-13 s of robot time; 1003 is red_cube in 7.4 s); a retrained policy may need another one.
    /// </summary>
    public const int SucceedingSeed = 1003;

    private async Task<EpisodeReport> RunLearned(int seed)
    {
        string target = DemoRecorder.TargetFor(seed);
        var planner = new FixedPlanner(SkillInvocation.Of(SkillNames.LearnedPickPlace, target, "bin"));
        var options = TestOptions.Fast() with { PolicyPath = Path.Combine(RepoPaths.Policies, "pick_place.onnx") };
        var result = await CortexBotRunner.RunAsync(options, DemoRecorder.TaskFor(target), 1, seed, s => s.AddSingleton<IPlanner>(planner));
        Assert.Null(result.Rejection);
        var e = result.Report!.Episodes[0];
        output.WriteLine($"seed {seed} {target}: success {e.Success} in {e.DurationS} s, plan [{string.Join(", ", e.Plan)}], failure {e.Failure}");
        return e;
    }

    [Fact]
    public async Task Learned_pick_place_runs_in_the_control_loop_and_is_judged_from_physics()
    {
        Assert.Equal("red_cube", DemoRecorder.TargetFor(SucceedingSeed));
        var e = await RunLearned(SucceedingSeed);
        Assert.Equal(["learned_pick_place(red_cube, bin)"], e.Plan);
        // Judged from physics against the instruction's goal (the red cube inside the bin), after the policy ran 2-20 s.
        Assert.InRange(e.DurationS, 2, 25);
        Assert.True(e.Success, e.Failure);
        Assert.Equal(0, e.Anomalies);
    }

    [Fact]
    public async Task The_rule_planner_uses_the_learned_skill_when_asked_to()
    {
        var options = TestOptions.Fast() with { PolicyPath = Path.Combine(RepoPaths.Policies, "pick_place.onnx"), PreferLearnedSkills = true };
        var result = await CortexBotRunner.RunAsync(options, "put the red cube in the bin", 1, SucceedingSeed);
        Assert.Null(result.Rejection);
        var e = result.Report!.Episodes[0];
        output.WriteLine($"success {e.Success} in {e.DurationS} s, plan [{string.Join(", ", e.Plan)}], failure {e.Failure}");
        Assert.Equal("learned_pick_place(red_cube, bin)", e.Plan[0]);
        Assert.True(e.Success, e.Failure);
    }

    [Fact]
    public void Preferring_learned_skills_over_ros2_needs_the_poses_of_detections()
    {
        var ros = new CortexBot.Host.CortexBotOptions { Robot = CortexBot.Host.RobotKind.Ros2, PreferLearnedSkills = true, PolicyPath = Path.Combine(RepoPaths.Policies, "pick_place.onnx") };
        Assert.Contains("add --perception detections", Assert.Throws<ConfigurationException>(() => ros.Validate()).Message);
        Assert.Contains("add --perception detections", Assert.Throws<ConfigurationException>(() => (ros with { Perception = CortexBot.Host.PerceptionSource.Sim }).Validate()).Message);
        (ros with { Perception = CortexBot.Host.PerceptionSource.Detections }).Validate();
    }

    [Fact]
    public async Task An_explicit_policy_that_does_not_exist_is_a_configuration_error()
    {
        var options = TestOptions.Fast() with { PolicyPath = "/nonexistent/policy.onnx" };
        await Assert.ThrowsAsync<ConfigurationException>(() => CortexBotRunner.RunAsync(options, "put the red cube in the bin", 1, 1));
    }

    [Fact]
    public async Task A_corrupt_policy_is_a_configuration_error()
    {
        var path = Path.Combine(Path.GetTempPath(), "cortexbot-tests", $"corrupt-{Guid.NewGuid():N}.onnx");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "not an onnx graph");
        var options = TestOptions.Fast() with { PolicyPath = path };
        await Assert.ThrowsAsync<ConfigurationException>(() => CortexBotRunner.RunAsync(options, "put the red cube in the bin", 1, 1));
    }
}
