using CortexBot.Brainstem;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using CortexBot.Core.Safety;
using CortexBot.Sim.MuJoCo;
using CortexBot.Testing;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace CortexBot.Host.Tests;

/// <summary>
/// The safety screen while a plan runs (issue 16, item 3): an object that appears in a keep-out zone mid-episode slows the
/// arm (the gate's tool speed cap) and the next step waits for the slow reviewer; its verdict decides whether the plan goes on.
/// </summary>
[Collection("end-to-end")]
public class MidPlanReviewTests(ITestOutputHelper output)
{
    // operator_hand lies outside the scatter region and away from the bin (as in agents/safety.sample.json), so the plan
    // itself is screened clean and the arm never nears the zone.
    private const string Policy = """
        { "keep_out_zones": [ { "name": "operator_hand", "min": [0.25, 0.36, 0.0], "max": [0.65, 0.70, 0.35] } ],
          "objects": [ { "kind": "cube", "mass_kg": 0.05 } ], "fragile_tool_speed": 0.1 }
        """;

    private const string Task = "put the red cube in the bin";

    /// <summary>
    /// The simulator, perceived with one more object once <paramref name="watched"/> has been lifted: a hand-like thing
    /// inside operator_hand, which was not in the scene the plan was screened on. Detected on the control thread, in Write.
    /// </summary>
    /// <remarks><see cref="CapWhileCarrying"/>: the gate's tool speed cap at the last command while the object was still up after the
    /// appearance (the carry of the place step, after the review).</remarks>
    private sealed class AppearingWorld(MuJoCoWorld inner, string watched, Func<double> gateCap) : DelegatingWorld<MuJoCoWorld>(inner)
    {
        private int _index = -1;
        private volatile bool _appeared;
        public bool Appeared => _appeared;
        public double CapWhileCarrying { get; private set; } = double.NaN;

        public override void ResetScene(int seed)
        {
            Inner.ResetScene(seed);
            _index = Inner.IndexOf(watched);
            _appeared = false;
        }

        public override void Write(JointCommandBuffer command)
        {
            Inner.Write(command);
            if (_index < 0 || !Inner.TryGetPose(_index, out var p) || p.Position.Z <= 0.08) return;
            if (_appeared) CapWhileCarrying = gateCap();
            _appeared = true;
        }

        public override SceneSnapshot Snapshot()
        {
            var scene = Inner.Snapshot();
            return _appeared
                ? scene with { Objects = scene.Objects.Add(new SceneObject("visitor", "glove", null, new Pose(new Vec3(0.45, 0.5, 0.04), Quat.Identity), new Vec3(0.04, 0.04, 0.04))) }
                : scene;
        }
    }

    /// <summary>A reviewer double answering <paramref name="answer"/>; it notes the gate's tool speed cap while it is asked (waiting up to 2 s for one).</summary>
    private sealed class GateWatchingReviewer(ReviewVerdict answer, Func<double> gateCap) : ISafetyReviewer
    {
        public readonly List<SafetyCase> Cases = [];
        public double CapWhilePending = double.NaN;
        public string Name => "scripted";
        public async Task<ReviewVerdict> ReviewAsync(SafetyCase safetyCase, CancellationToken cancellationToken)
        {
            lock (Cases) Cases.Add(safetyCase);
            for (int i = 0; i < 200 && double.IsPositiveInfinity(gateCap()); i++) await System.Threading.Tasks.Task.Delay(10, cancellationToken);
            CapWhilePending = gateCap();
            return answer;
        }
    }

    private static string PolicyFile()
    {
        var path = Path.Combine(Path.GetTempPath(), "cortexbot-tests", $"midplan-{Guid.NewGuid():N}.json");
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, Policy);
        return path;
    }

    private async Task<(EpisodeReport Episode, RunReport Report, CortexBotOptions Options, AppearingWorld World)> RunAsync(ReviewVerdict? answer, Action<GateWatchingReviewer>? seen = null,
        bool allowUnreviewed = false)
    {
        var options = TestOptions.Fast() with { SafetyPolicyPath = PolicyFile(), AllowUnreviewed = allowUnreviewed };
        AppearingWorld? world = null;
        var result = await CortexBotRunner.RunAsync(options, Task, 1, 4, s =>
        {
            s.AddRobot(sp => world = new AppearingWorld(new MuJoCoWorld(options.ScenePath), "red_cube", () => sp.GetRequiredService<SafetyGate>().ToolSpeedCap));
            if (answer is not null)
                s.AddSingleton<ISafetyReviewer>(sp =>
                {
                    var r = new GateWatchingReviewer(answer, () => sp.GetRequiredService<SafetyGate>().ToolSpeedCap);
                    seen?.Invoke(r);
                    return r;
                });
        });
        var report = result.Report!;
        var e = report.Episodes[0];
        output.WriteLine($"success={e.Success} plan=[{string.Join(", ", e.Plan)}] failure={e.Failure} midplan={e.Safety?.MidplanReviews} [{string.Join(" | ", e.Safety?.MidplanVerdicts ?? [])}]");
        Assert.True(world!.Appeared);
        return (e, report, options, world);
    }

    [Fact]
    public async Task A_reviewer_refusing_the_object_that_appeared_in_a_keep_out_zone_fails_the_episode_naming_the_review_and_the_arm_holds()
    {
        GateWatchingReviewer? reviewer = null;
        var (e, report, options, _) = await RunAsync(new ReviewVerdict(SafetyDecision.Refuse, "a glove in operator_hand: a person is reaching in"), r => reviewer = r);

        Assert.False(e.Success);
        Assert.StartsWith("safety (mid-plan review): refuse: review: a glove in operator_hand: a person is reaching in", e.Failure);
        // the arm held: the place step was never sent, only the pick ran
        Assert.Equal(["pick(red_cube)", "place(red_cube, bin)"], e.Plan);
        using (var store = new CortexBot.Hippocampus.SqliteEpisodeStore(options.MemoryPath, readOnly: true))
            Assert.Equal(["pick(red_cube)"], store.Recent(1)[0].Steps.Select(st => st.Skill));
        Assert.Equal(1, e.Safety!.MidplanReviews);
        Assert.Equal(1, report.Safety!.MidplanReviews);
        var asked = Assert.Single(reviewer!.Cases);
        Assert.Contains(asked.Flags, f => f.StartsWith("keep_out_zones.operator_hand: visitor", StringComparison.Ordinal));
        // slowed through the gate while the review was pending: the policy's fragile speed (no speed zones)
        Assert.Equal(0.1, reviewer.CapWhilePending, 9);
    }

    [Fact]
    public async Task A_reviewer_allowing_it_lets_the_plan_complete()
    {
        GateWatchingReviewer? reviewer = null;
        var (e, _, _, world) = await RunAsync(new ReviewVerdict(SafetyDecision.Allow, "a glove lying on the table, nobody in the zone"), r => reviewer = r);

        Assert.True(e.Success, e.Failure);
        Assert.Equal(1, e.Safety!.MidplanReviews);
        Assert.StartsWith("allow", e.Safety.MidplanVerdicts[0]);
        Assert.Single(reviewer!.Cases);
        Assert.Equal(0.1, reviewer.CapWhilePending, 9);
        // allowed: the cap was lifted for the rest of the plan
        Assert.Equal(double.PositiveInfinity, world.CapWhileCarrying);
    }

    [Fact]
    public async Task A_reviewer_modifying_keeps_the_arm_slow_for_the_rest_of_the_plan()
    {
        var (e, _, _, world) = await RunAsync(new ReviewVerdict(SafetyDecision.Modify, "carry on slowly, a glove is near the zone", 0.05));

        Assert.True(e.Success, e.Failure);
        Assert.StartsWith("modify", e.Safety!.MidplanVerdicts[0]);
        // the lower of the review's speed and the slow speed, carried by the place step's command to the gate
        Assert.Equal(0.05, world.CapWhileCarrying, 9);
    }

    [Fact]
    public async Task Without_a_reviewer_the_new_flag_is_refused_needs_review_unless_unreviewed_plans_are_allowed()
    {
        var (e, _, _, _) = await RunAsync(null);

        Assert.False(e.Success);
        Assert.StartsWith("safety (mid-plan review): refuse: needs review: keep_out_zones.operator_hand: visitor", e.Failure);
        Assert.Equal(1, e.Safety!.MidplanReviews);

        var (allowed, _, _, _) = await RunAsync(null, allowUnreviewed: true);
        Assert.True(allowed.Success, allowed.Failure);
        Assert.Equal(1, allowed.Safety!.MidplanReviews);
    }
}
