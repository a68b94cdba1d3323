using CortexBot.Brainstem;
using CortexBot.Cerebellum.Kinematics;
using CortexBot.Cerebellum.Learning;
using CortexBot.Cerebellum.Learning.Runtime;
using CortexBot.Cerebellum.Training;
using CortexBot.Cerebellum.Training.Demos;
using CortexBot.Core.Geometry;
using CortexBot.Core.Ports;
using CortexBot.Core.Robot;
using CortexBot.Sim.MuJoCo;

namespace CortexBot.Cerebellum.Training.Tests;

public sealed class RuntimeTests(PipelineFixture f) : IClassFixture<PipelineFixture>
{
    [Fact]
    public void Executor_tick_allocates_nothing_and_interpolates_the_chunk_without_jumps()
    {
        using var world = MuJoCoWorld.OpenDefault();
        world.ResetScene(11);
        world.Start(0.002);
        var kin = new ArmKinematics(ArmModel.FromMjcf(world.ScenePath));
        using var expert = new OnnxActionExpert(f.PolicyPath, noiseSeed: 2);
        using var exec = new ChunkedPolicyExecutor(expert, kin, 500, new ChunkExecutionOptions { ExecuteSteps = 4, BlendSteps = 2, Lockstep = true });
        var state = new RobotStateBuffer(6);
        var cmd = new JointCommandBuffer(6);
        world.Read(state);
        var obj = world.Snapshot().Find("red_cube")!.Pose.Position;
        var bin = world.Snapshot().Find("bin")!.Pose.Position;
        exec.Begin(0, state, obj, 0.3, bin);
        var prev = new double[6];
        double maxStep = 0;
        for (long t = 0; t < 200; t++) // warm up: JIT, first chunks
        {
            world.Read(state);
            exec.Step(t, state, obj, 0.3, bin, cmd);
            world.Write(cmd);
        }
        Array.Copy(cmd.Position, prev, 6);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (long t = 200; t < 600; t++)
        {
            world.Read(state);
            exec.Step(t, state, obj, 0.3, bin, cmd);
            for (int i = 0; i < 6; i++) { maxStep = Math.Max(maxStep, Math.Abs(cmd.Position[i] - prev[i])); prev[i] = cmd.Position[i]; }
            world.Write(cmd);
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.True(exec.Chunks >= 600 / (4 * exec.TicksPerSetpoint), $"a chunk every 4 setpoints, got {exec.Chunks}");
        // Interpolated setpoints at 500 Hz with cross-fades: no tick moves a joint target by more than 0.05 rad (25 rad/s).
        Assert.True(maxStep < 0.05, $"largest per-tick command step {maxStep} rad");
        Assert.All(cmd.Position, v => Assert.True(double.IsFinite(v)));
    }

    [Fact]
    public void Real_time_mode_never_waits_for_inference_and_adopts_chunks_when_ready()
    {
        using var world = MuJoCoWorld.OpenDefault();
        world.ResetScene(12);
        world.Start(0.002);
        var kin = new ArmKinematics(ArmModel.FromMjcf(world.ScenePath));
        using var expert = new OnnxActionExpert(f.PolicyPath) { DeterministicNoise = true };
        using var exec = new ChunkedPolicyExecutor(expert, kin, 500, new ChunkExecutionOptions { ExecuteSteps = 8, Lockstep = false });
        var state = new RobotStateBuffer(6);
        var cmd = new JointCommandBuffer(6);
        world.Read(state);
        var obj = world.Snapshot().Find("green_cube")!.Pose.Position;
        var bin = world.Snapshot().Find("bin")!.Pose.Position;
        exec.Begin(0, state, obj, 0, bin);
        long tick = 0;
        // Many ticks back to back: requests go to the worker; the tick keeps commanding from the chunk it has.
        for (; tick < 1000; tick++)
        {
            world.Read(state);
            exec.Step(tick, state, obj, 0, bin, cmd);
            world.Write(cmd);
            Assert.All(cmd.Position, v => Assert.True(double.IsFinite(v)));
        }
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (exec.Chunks < 3 && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(1);
            world.Read(state);
            exec.Step(tick++, state, obj, 0, bin, cmd);
            world.Write(cmd);
        }
        Assert.True(exec.Chunks >= 3, $"later chunks should be computed off the tick and adopted, got {exec.Chunks}");
    }

    [Fact]
    public async Task Eval_compares_policy_and_expert_on_the_same_seeds_and_is_deterministic()
    {
        var options = new EvalOptions { Episodes = 1, Seed = 11, MaxSeconds = 2, NoiseSeed = 4 };
        var guards = new List<IMotionGuard>();
        MotionGuardFactory guard = (link, arm) => { var g = SafetyGate.Factory(link, arm); guards.Add(g); return g; };
        var a = await PolicyEvaluator.EvaluateAsync(f.PolicyPath, options, guard);
        // The policy and the expert each command their world through a gate from the factory passed in.
        Assert.Equal(2, guards.Count);
        Assert.All(guards, g => Assert.IsType<SafetyGate>(g));
        Assert.Equal(1, a.Episodes);
        Assert.Equal(11, a.Runs[0].Seed);
        Assert.Equal(DemoRecorder.TargetFor(11), a.Runs[0].Target);
        Assert.Equal(f.Recorded.Successful == 3 ? 1.0 : a.ExpertSuccessRate, a.ExpertSuccessRate);
        Assert.True(a.Chunks >= 2000 / (8 * 10) / 2, $"chunks {a.Chunks}");
        Assert.True(a.ChunkLatencyUsP50 > 0 && a.ChunkLatencyUsP99 >= a.ChunkLatencyUsP50);
        var b = await PolicyEvaluator.EvaluateAsync(f.PolicyPath, options with { RunExpert = false }, guard);
        Assert.Equal(3, guards.Count);
        Assert.Null(b.ExpertSuccessRate);
        Assert.Equal(a.Runs[0].PolicySuccess, b.Runs[0].PolicySuccess);
        Assert.Equal(a.Runs[0].MaxCommandStepRad, b.Runs[0].MaxCommandStepRad);
    }
}
