using CortexBot.Cerebellum.Control;
using CortexBot.Cerebellum.Kinematics;
using CortexBot.Cerebellum.Learning;
using CortexBot.Cerebellum.Learning.Runtime;
using CortexBot.Cerebellum.Skills;
using CortexBot.Cerebellum.Training.Demos;
using CortexBot.Core.Ports;
using CortexBot.Core.Robot;
using CortexBot.Sim.MuJoCo;
using Microsoft.Extensions.Logging.Abstractions;
using CortexBot.Core.Stats;

namespace CortexBot.Cerebellum.Training;

public sealed record EvalOptions
{
    public int Episodes { get; init; } = 10;
    public int Seed { get; init; } = 1000;
    public double ControlRateHz { get; init; } = 500;
    public string ScenePath { get; init; } = Core.RepoPaths.DefaultScene;
    public double MaxSeconds { get; init; } = 20;
    public double SettleSeconds { get; init; } = 0.3;
    /// <summary>Setpoints executed per chunk before the next is requested; 0 = the policy's horizon (whole chunks, best in evaluation).</summary>
    public int ExecuteSteps { get; init; }
    public int BlendSteps { get; init; } = 4;
    public int NoiseSeed { get; init; } = 1;
    /// <summary>Start the flow from zero noise (its deterministic mode; measured better than sampled noise when whole chunks run open loop).</summary>
    public bool DeterministicNoise { get; init; } = true;
    public bool RunExpert { get; init; } = true;
    /// <summary>Optional trace of each policy episode every 0.5 s of robot time (tool, gripper, object).</summary>
    public Action<string>? Trace { get; init; }
}

public sealed record EvalEpisode(
    int Seed,
    string Target,
    bool PolicySuccess,
    double PolicyDurationS,
    bool? ExpertSuccess,
    double? ExpertDurationS,
    double MaxCommandStepRad,
    long PolicyClampedCommands);

public sealed record EvalResult(
    string Policy,
    int Episodes,
    int Seed,
    double PolicySuccessRate,
    double? ExpertSuccessRate,
    double PolicyMeanEpisodeS,
    double? ExpertMeanEpisodeS,
    double ChunkLatencyUsP50,
    double ChunkLatencyUsP99,
    int Chunks,
    EvalEpisode[] Runs);

/// <summary>
/// Runs the learned policy on randomized scenes in fast (lockstep) mode and, on the same seeds, the analytic expert;
/// success is judged from physics (the cube inside the bin, gripper released). The policy drives the simulator through a
/// <see cref="ChunkedPolicyExecutor"/> and a safety gate at the control rate (not yet through the cerebellum's ControlLoop).
/// </summary>
public static class PolicyEvaluator
{
    /// <param name="guard">The safety gate both the policy and the expert command the arm through, as in <c>run</c> (the brainstem's, passed in by the CLI).</param>
    public static async Task<EvalResult> EvaluateAsync(string policyPath, EvalOptions options, MotionGuardFactory guard, Action<string>? progress = null, CancellationToken ct = default)
    {
        if (options.Episodes < 1) throw new Core.ConfigurationException($"--episodes must be at least 1, got {options.Episodes}");
        var scene = Path.GetFullPath(options.ScenePath);
        using var expert = new OnnxActionExpert(policyPath, options.NoiseSeed) { DeterministicNoise = options.DeterministicNoise };
        var arm = ArmModel.FromMjcf(scene);
        var kin = new ArmKinematics(arm);
        using var executor = new ChunkedPolicyExecutor(expert, kin, options.ControlRateHz,
            new ChunkExecutionOptions { ExecuteSteps = options.ExecuteSteps > 0 ? options.ExecuteSteps : expert.Horizon, BlendSteps = options.BlendSteps, Lockstep = true });
        using var world = new MuJoCoWorld(scene);
        // Both the policy and the expert command the arm through the safety gate, as in `run`.
        var gate = guard(world, arm);
        IMotionGuard? expertGate = null;

        MuJoCoWorld? expertWorld = null;
        ControlLoop? loop = null;
        SkillCompiler? compiler = null;
        if (options.RunExpert)
        {
            expertWorld = new MuJoCoWorld(scene);
            compiler = new SkillCompiler(kin);
            expertGate = guard(expertWorld, arm);
            loop = new ControlLoop(expertGate, new ControlLoopOptions { RateHz = options.ControlRateHz, Pacing = Pacing.Fast, UseRealtimePriority = false }, NullLogger<ControlLoop>.Instance);
            loop.Start();
        }
        try
        {
            var runs = new List<EvalEpisode>();
            for (int e = 0; e < options.Episodes; e++)
            {
                ct.ThrowIfCancellationRequested();
                int seed = options.Seed + e;
                string target = DemoRecorder.TargetFor(seed);
                long clampedBefore = gate.ClampedCommands;
                var (ok, duration, maxStep) = RunPolicyEpisode(world, gate, executor, seed, target, options);
                bool? expertOk = null;
                double? expertDuration = null;
                if (loop is not null)
                {
                    var r = await DemoRecorder.RunExpertEpisodeAsync(loop, expertWorld!, compiler!, null, seed, target, options.ControlRateHz, options.SettleSeconds, expertGate!.Reanchor);
                    expertOk = r.Success;
                    expertDuration = Math.Round(r.DurationS, 3);
                }
                var run = new EvalEpisode(seed, target, ok, Math.Round(duration, 3), expertOk, expertDuration, Math.Round(maxStep, 5), gate.ClampedCommands - clampedBefore);
                runs.Add(run);
                progress?.Invoke($"seed {seed} {target}: policy {(ok ? "success" : "fail")} {duration:F1}s" + (expertOk is { } x ? $", expert {(x ? "success" : "fail")}" : ""));
            }
            var lat = executor.LatenciesUs();
            Array.Sort(lat);
            double P(double q) => lat.Length == 0 ? 0 : Math.Round(Percentiles.NearestRank(lat, q), 1);
            var pOk = runs.Where(r => r.PolicySuccess).ToList();
            var eOk = runs.Where(r => r.ExpertSuccess == true).ToList();
            return new EvalResult(Path.GetFullPath(policyPath), runs.Count, options.Seed,
                Math.Round((double)pOk.Count / runs.Count, 4),
                options.RunExpert ? Math.Round((double)eOk.Count / runs.Count, 4) : null,
                pOk.Count > 0 ? Math.Round(pOk.Average(r => r.PolicyDurationS), 3) : 0,
                options.RunExpert ? (eOk.Count > 0 ? Math.Round(eOk.Average(r => r.ExpertDurationS!.Value), 3) : 0) : null,
                P(0.5), P(0.99), lat.Length, [.. runs]);
        }
        finally
        {
            loop?.Dispose();
            expertWorld?.Dispose();
        }
    }

    /// <summary>One policy episode in lockstep; returns success, robot time until done, and the largest per-tick joint command step.</summary>
    private static (bool Success, double DurationS, double MaxStep) RunPolicyEpisode(MuJoCoWorld world, IMotionGuard gate, ChunkedPolicyExecutor executor, int seed, string target, EvalOptions options)
    {
        double period = 1.0 / options.ControlRateHz;
        world.ResetScene(seed);
        gate.Start(period);
        int n = world.JointNames.Count;
        var state = new RobotStateBuffer(n);
        var cmd = new JointCommandBuffer(n);
        var prev = new double[n];
        world.Read(state);
        for (int i = 0; i < n; i++) cmd.Position[i] = state.Position[i];
        cmd.GripperOpening = state.GripperOpening;
        for (int t = 0; t < (int)(options.SettleSeconds / period); t++) gate.Write(cmd);
        Array.Copy(cmd.Position, prev, n);

        var bin = world.Snapshot().Find(MuJoCoWorld.BinName)!;
        long maxTicks = (long)(options.MaxSeconds / period);
        world.Read(state);
        var obj = world.Snapshot().Find(target)!;
        executor.Begin(0, state, obj.Pose.Position, obj.Pose.Orientation.Yaw, bin.Pose.Position);
        double maxStep = 0;
        long doneAt = -1;
        for (long tick = 0; tick < maxTicks; tick++)
        {
            world.Read(state);
            var snap = world.Snapshot();
            obj = snap.Find(target)!;
            executor.Step(tick, state, obj.Pose.Position, obj.Pose.Orientation.Yaw, bin.Pose.Position, cmd);
            for (int i = 0; i < n; i++) { maxStep = Math.Max(maxStep, Math.Abs(cmd.Position[i] - prev[i])); prev[i] = cmd.Position[i]; }
            gate.Write(cmd);
            if (options.Trace is { } trace && tick % 50 == 0)
            {
                var tcp = executor.Kinematics.Forward(state.Position).Position;
                trace(FormattableString.Invariant($"seed {seed} t={tick * period:F2}s tcp {tcp} grip {state.GripperOpening:F3} cmd_grip {cmd.GripperOpening:F3} {target} {obj.Pose.Position} q [{string.Join(" ", state.Position.Select(v => v.ToString("F3")))}] cmd [{string.Join(" ", cmd.Position.Select(v => v.ToString("F3")))}]"));
            }
            if (doneAt < 0 && tick % 25 == 0 && snap.IsInside(target, MuJoCoWorld.BinName) && state.GripperOpening > 0.03 && cmd.GripperOpening > 0.03)
                doneAt = tick;
            if (doneAt >= 0 && tick - doneAt >= (long)(0.5 / period)) break;
        }
        bool success = doneAt >= 0 && world.Snapshot().IsInside(target, MuJoCoWorld.BinName);
        return (success, (doneAt >= 0 ? doneAt : maxTicks) * period, maxStep);
    }
}
