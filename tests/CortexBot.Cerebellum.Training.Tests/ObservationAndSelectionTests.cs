using CortexBot.Brainstem;
using CortexBot.Cerebellum.Kinematics;
using CortexBot.Cerebellum.Learning;
using CortexBot.Cerebellum.Learning.Runtime;
using CortexBot.Cerebellum.Skills;
using CortexBot.Cerebellum.Training;
using CortexBot.Core;
using CortexBot.Core.Geometry;
using CortexBot.Core.Ports;
using CortexBot.Core.Robot;
using CortexBot.Sim.MuJoCo;

namespace CortexBot.Cerebellum.Training.Tests;

/// <summary>The v2 observation features, chunks anchored at the last command, and closed-loop checkpoint selection.</summary>
public sealed class ObservationAndSelectionTests(PipelineFixture f) : IClassFixture<PipelineFixture>
{
    private static int Index(string name) => Array.IndexOf(PolicyLayout.ObservationNames, name);

    [Theory]
    [InlineData(0.3, 0.0)]
    [InlineData(0.9, 0.1)]     // cube 0.8 rad off the tool: the face a quarter turn back is nearer
    [InlineData(-2.5, 1.0)]
    [InlineData(3.1, -3.1)]    // across the ±π seam
    public void Grasp_yaw_feature_is_the_turn_the_analytic_pick_makes(double cubeYaw, double toolYaw)
    {
        double turn = SkillCompiler.NearestGraspYaw(cubeYaw, toolYaw) - toolYaw;
        Assert.InRange(Math.Abs(turn), 0, Math.PI / 4 + 1e-9);
        // A face-aligned yaw: the cube looks the same every quarter turn.
        Assert.Equal(0, Math.Sin(4 * (toolYaw + turn - cubeYaw)), 9);

        var kin = new ArmKinematics(ArmModel.FromMjcf(RepoPaths.DefaultScene));
        var state = new RobotStateBuffer(6);
        double[] q = [0.2, 0.4, 1.5, 0, 1.2, 0];
        Array.Copy(q, state.Position, 6);
        var tcp = kin.Forward(q);
        double tool = PolicyLayout.ToolYaw(tcp);
        var obj = new Vec3(0.4, 0.1, 0.02);
        var place = new Vec3(0.25, -0.4, 0.04);
        var start = new Vec3(0.41, 0.12, 0.02);
        double[] last = [0.21, 0.41, 1.51, 0.01, 1.21, 0.01];
        var obs = new float[PolicyLayout.ObservationSize];
        PolicyLayout.FillObservation(obs, state, tcp, obj, cubeYaw, place, last, start, 1.25);

        double expected = SkillCompiler.NearestGraspYaw(cubeYaw, tool) - tool;
        Assert.Equal(Math.Sin(expected), obs[Index("grasp_dyaw_sin")], 5);
        Assert.Equal(Math.Cos(expected), obs[Index("grasp_dyaw_cos")], 5);
        Assert.Equal(place.X - tcp.Position.X, obs[Index("place_rel_x")], 5);
        Assert.Equal(place.Z - tcp.Position.Z, obs[Index("place_rel_z")], 5);
        for (int i = 0; i < 6; i++) Assert.Equal(last[i], obs[Index($"qcmd{i}")], 5);
        Assert.Equal(start.Y - tcp.Position.Y, obs[Index("obj0_rel_y")], 5);
        Assert.Equal(1.25f, obs[Index("elapsed_s")]);

        // The v1 layout is a prefix: a 29-entry buffer gets exactly the first 29 entries.
        var legacy = new float[PolicyLayout.LegacyObservationNames.Length];
        PolicyLayout.FillObservation(legacy, state, tcp, obj, cubeYaw, place, last, start, 1.25);
        Assert.Equal(obs.Take(legacy.Length), legacy);
        Assert.Throws<ArgumentException>(() => PolicyLayout.FillObservation(new float[30], state, tcp, obj, cubeYaw, place, last, start, 0));
    }

    [Fact]
    public void Recorded_features_match_the_demonstration()
    {
        // Frame 0 of each episode: nothing commanded by the skill yet, the object where it started, no time elapsed.
        int o = PolicyLayout.ObservationSize;
        foreach (var ep in f.Episodes)
        {
            var first = ep.Observations.AsSpan(0, o);
            Assert.Equal(0f, first[Index("elapsed_s")]);
            Assert.Equal(first[Index("obj_rel_x")], first[Index("obj0_rel_x")], 5);
            // The elapsed time advances at the recording rate (50 Hz).
            Assert.Equal(0.02f, ep.Observations[o + Index("elapsed_s")], 4);
            // When the gripper command first closes, the tool has turned to the face the pick chose: no turn left.
            int grasp = Enumerable.Range(0, ep.Length).First(t => ep.Actions[t * PolicyLayout.ActionSize + 6] < 0.07f);
            Assert.InRange(ep.Observations[grasp * o + Index("grasp_dyaw_sin")], -0.05f, 0.05f);
        }
    }

    [Fact]
    public void Chunks_are_anchored_at_the_last_command()
    {
        var m = PolicyManifest.Load(PolicyManifest.PathFor(f.PolicyPath));
        Assert.Equal(PolicyLayout.CommandedJointNames, m.ActionOffsetObservations);
        // With the last command hidden from the network, moving it moves every joint setpoint by exactly as much (graph and
        // TorchSharp alike) and leaves the gripper alone.
        using var t = new FlowMatchingTrainer(PipelineFixture.SmallOptions() with
        {
            Steps = 20, IgnoredObservations = [.. PolicyLayout.CommandedJointNames, "qd0", "qd1", "qd2", "qd3", "qd4", "qd5"],
        });
        t.Train(f.Info, f.Episodes, f.Demos, f.Info.TotalEpisodes);
        var path = Path.Combine(f.Root, "anchored", "anchored.onnx");
        OnnxPolicyExporter.Export(t, path);
        using var expert = new OnnxActionExpert(path) { DeterministicNoise = true };
        var obs = f.Episodes[0].Observations.AsSpan(60 * PolicyLayout.ObservationSize, PolicyLayout.ObservationSize).ToArray();
        var a = expert.Infer(obs).ToArray();
        var moved = (float[])obs.Clone();
        double[] delta = [0.1, -0.05, 0.02, 0.3, -0.2, 0.07];
        for (int k = 0; k < 6; k++) moved[Index($"qcmd{k}")] += (float)delta[k];
        var b = expert.Infer(moved).ToArray();
        var torch = t.Sample(moved, new float[b.Length], 1);
        for (int j = 0; j < 8; j++)
            for (int k = 0; k < PolicyLayout.ActionSize; k++)
            {
                int i = j * PolicyLayout.ActionSize + k;
                Assert.Equal(a[i] + (k < 6 ? delta[k] : 0), b[i], 4);
                Assert.True(Math.Abs(b[i] - torch[i]) <= 1e-4, $"entry {i}: {b[i]} vs {torch[i]}");
            }
    }

    [Fact]
    public void Manifests_of_the_v1_layout_still_validate_and_bad_anchors_are_refused()
    {
        var m = PolicyManifest.Load(PolicyManifest.PathFor(f.PolicyPath));
        int n = PolicyLayout.LegacyObservationNames.Length;
        var v1 = m with
        {
            ObservationNames = PolicyLayout.LegacyObservationNames, ObservationMean = m.ObservationMean[..n], ObservationStd = m.ObservationStd[..n],
            ActionOffsetObservations = null, IgnoredObservations = ["qd0"],
        };
        v1.Validate("v1.json");
        var e = Assert.Throws<ConfigurationException>(() => (v1 with { ActionOffsetObservations = PolicyLayout.CommandedJointNames }).Validate("v1.json"));
        Assert.Contains("'qcmd0' is not in the observation layout", e.Message);
        var e2 = Assert.Throws<ConfigurationException>(() => (m with { IgnoredObservations = ["elbow_torque"] }).Validate("x.json"));
        Assert.Contains("'elbow_torque'", e2.Message);
        var e3 = Assert.Throws<ConfigurationException>(() => (m with { ObservationNames = [.. m.ObservationNames[..^1]], ObservationMean = m.ObservationMean[..^1], ObservationStd = m.ObservationStd[..^1] }).Validate("x.json"));
        Assert.Contains("observation layout", e3.Message);
    }

    [Fact]
    public void Selection_keeps_the_best_scored_checkpoint_not_the_last()
    {
        var obs = f.Episodes[0].Observations.AsSpan(0, PolicyLayout.ObservationSize).ToArray();
        var noise = new float[8 * PolicyLayout.ActionSize];
        var outputs = new Dictionary<int, float[]>();
        // A scorer that prefers the second of three checkpoints (steps 40, 80, 120), recording each checkpoint's output.
        int call = 0;
        double[] scores = [0.2, 0.9, 0.5];
        using var t = new FlowMatchingTrainer(PipelineFixture.SmallOptions(seed: 7) with { Steps = 120, SelectEvery = 40 });
        var summary = t.Train(f.Info, f.Episodes, f.Demos, f.Info.TotalEpisodes, closedLoopScore: tr =>
        {
            outputs[call] = tr.Sample(obs, noise, 1);
            return scores[call++];
        });
        Assert.Equal(3, call);
        Assert.Equal(80, summary.SelectedStep);
        Assert.Equal([40, 80, 120], summary.Selection!.Select(s => s.Step));
        Assert.Equal(outputs[1], t.Sample(obs, noise, 1));
        Assert.NotEqual(outputs[2], outputs[1]);

        using var t2 = new FlowMatchingTrainer(PipelineFixture.SmallOptions() with { SelectEvery = 40 });
        Assert.Throws<ConfigurationException>(() => t2.Train(f.Info, f.Episodes, f.Demos, f.Info.TotalEpisodes));
    }

    [Fact]
    public void Closed_loop_scorer_runs_the_checkpoint_on_disjoint_seeds()
    {
        var overlap = Assert.Throws<ConfigurationException>(() => new ClosedLoopScorer(12, 5, [11, 13], SafetyGate.Factory));
        Assert.Contains("overlap", overlap.Message);
        using var scorer = new ClosedLoopScorer(3000, 1, [11, 13], SafetyGate.Factory);
        double score = scorer.Score(f.Trainer);
        Assert.InRange(score, 0, 1);
    }
}
