using CortexBot.Brainstem;
using CortexBot.Cerebellum.Control;
using CortexBot.Cerebellum.Kinematics;
using CortexBot.Cerebellum.Learning.Runtime;
using CortexBot.Cerebellum.Skills;
using CortexBot.Core;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using CortexBot.Core.Robot;
using CortexBot.Sim.MuJoCo;

namespace CortexBot.Cerebellum.Learning.Tests;

public sealed class LearnedProgramTests
{
    private static string PolicyPath => Path.Combine(RepoPaths.Policies, "pick_place.onnx");

    [Fact]
    public void Learned_program_steps_without_allocating_after_warm_up_and_is_reusable()
    {
        var arm = ArmModel.FromMjcf(RepoPaths.DefaultScene);
        using var world = new MuJoCoWorld(RepoPaths.DefaultScene);
        var gate = new SafetyGate(world, arm);
        double period = 1.0 / 500;
        using var factory = new LearnedSkillFactory(PolicyPath, new ArmKinematics(arm), world, new ControlLoopOptions { Pacing = Pacing.Fast });
        var compiler = new SkillCompiler(new ArmKinematics(arm), null, [factory]);
        int n = world.JointNames.Count;
        var state = new RobotStateBuffer(n);
        var cmd = new JointCommandBuffer(n);

        for (int run = 0; run < 2; run++)
        {
            world.ResetScene(1000 + run);
            gate.Start(period);
            world.Read(state);
            var compiled = compiler.Compile(SkillInvocation.Of(SkillNames.LearnedPickPlace, "red_cube", "bin"), world.Snapshot(),
                new ArmContext([.. state.Position], state.GripperOpening, state.GripperOpening));
            var program = Assert.IsType<LearnedPickPlaceProgram>(compiled.Program);
            program.Begin(0, state);
            long tick = 0;
            for (; tick < 300; tick++) { world.Read(state); Assert.Equal(ProgramStatus.Running, program.Step(tick, period, state, cmd)); gate.Write(cmd); }
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (; tick < 1300; tick++)
            {
                world.Read(state);
                program.Step(tick, period, state, cmd);
                gate.Write(cmd);
            }
            Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
            Assert.Equal(1300, program.Steps);
        }
        Assert.True(factory.Executor.Chunks > 2);
    }

    [Fact]
    public void Each_adopted_chunk_goes_out_as_one_trajectory_that_the_ticks_then_follow()
    {
        var arm = ArmModel.FromMjcf(RepoPaths.DefaultScene);
        using var world = new MuJoCoWorld(RepoPaths.DefaultScene);
        var gate = new SafetyGate(world, arm);
        double period = 1.0 / 500;
        using var factory = new LearnedSkillFactory(PolicyPath, new ArmKinematics(arm), world, new ControlLoopOptions { Pacing = Pacing.Fast });
        var compiler = new SkillCompiler(new ArmKinematics(arm), null, [factory]);
        var state = new RobotStateBuffer(6);
        var cmd = new JointCommandBuffer(6);
        world.ResetScene(1001);
        gate.Start(period);
        world.Read(state);
        var program = compiler.Compile(SkillInvocation.Of(SkillNames.LearnedPickPlace, "red_cube", "bin"), world.Snapshot(),
            new ArmContext([.. state.Position], state.GripperOpening, state.GripperOpening)).Program!;
        int chunksBefore = factory.Executor.Chunks;
        program.Begin(0, state);
        var sent = new List<(long Tick, double[] Times, double[] Positions)>();
        var commands = new List<double[]>();
        for (long tick = 0; tick < 800; tick++)
        {
            world.Read(state);
            Assert.Equal(ProgramStatus.Running, program.Step(tick, period, state, cmd));
            if (program.TakeTrajectory() is { } t)
            {
                Assert.Equal(6, t.Joints);
                Assert.False(t.HasDerivatives);
                sent.Add((tick, t.TimeFromStart[..t.Count], t.Position[..(t.Count * 6)]));
            }
            commands.Add([.. cmd.Position]);
            gate.Write(cmd);
        }
        // one trajectory per chunk the policy computed (lockstep: each is adopted when it lands)
        Assert.Equal(factory.Executor.Chunks - chunksBefore, sent.Count);
        Assert.True(sent.Count >= 4, $"{sent.Count} chunks in 800 ticks");
        for (int c = 0; c < sent.Count - 1; c++)
        {
            var (start, times, positions) = sent[c];
            long next = sent[c + 1].Tick;
            int checkedPoints = 0;
            for (int k = 0; k < times.Length; k++)
            {
                Assert.True(times[k] > (k == 0 ? 0 : times[k - 1]));
                long tick = start + (long)Math.Round(times[k] / period);
                if (tick >= next) break; // replaced by the next chunk before that point
                for (int j = 0; j < 6; j++) Assert.Equal(commands[(int)tick][j], positions[k * 6 + j], 12);
                checkedPoints++;
            }
            Assert.True(checkedPoints > 0, $"chunk {c}: no point before the next chunk");
        }
    }

    [Fact]
    public void In_real_time_the_program_starts_without_waiting_and_holds_until_the_first_chunk_lands()
    {
        var arm = ArmModel.FromMjcf(RepoPaths.DefaultScene);
        using var world = new MuJoCoWorld(RepoPaths.DefaultScene);
        var gate = new SafetyGate(world, arm);
        double period = 1.0 / 500;
        using var factory = new LearnedSkillFactory(PolicyPath, new ArmKinematics(arm), world, new ControlLoopOptions { Pacing = Pacing.Realtime });
        Assert.False(factory.Executor.Lockstep);
        int n = world.JointNames.Count;
        var state = new RobotStateBuffer(n);
        var cmd = new JointCommandBuffer(n);
        for (int run = 0; run < 2; run++)
        {
            world.ResetScene(1003);
            gate.Start(period);
            world.Read(state);
            for (int i = 0; i < n; i++) cmd.Position[i] = state.Position[i];
            cmd.GripperOpening = state.GripperOpening;
            var held = (double[])cmd.Position.Clone();
            var program = factory.Compile(SkillInvocation.Of(SkillNames.LearnedPickPlace, "red_cube", "bin"), world.Snapshot(),
                new ArmContext(held, state.GripperOpening, state.GripperOpening)).Program!;
            int chunksBefore = factory.Executor.Chunks;
            program.Begin(0, state);
            // Begin asked for nothing yet and the first tick only requests: the command is untouched.
            Assert.Equal(chunksBefore, factory.Executor.Chunks);
            world.Read(state);
            Assert.Equal(ProgramStatus.Running, program.Step(0, period, state, cmd));
            Assert.Equal(held, cmd.Position);
            long tick = 1;
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (factory.Executor.Chunks == chunksBefore && DateTime.UtcNow < deadline) Thread.Sleep(1);
            Assert.True(factory.Executor.Chunks > chunksBefore, "the first chunk never arrived");
            for (; tick < 400; tick++)
            {
                world.Read(state);
                Assert.Equal(ProgramStatus.Running, program.Step(tick, period, state, cmd));
                gate.Write(cmd);
                Thread.Sleep(0);
            }
        }
    }

    [Fact]
    public void Learned_skill_refuses_bad_arguments()
    {
        var arm = ArmModel.FromMjcf(RepoPaths.DefaultScene);
        using var world = new MuJoCoWorld(RepoPaths.DefaultScene);
        using var factory = new LearnedSkillFactory(PolicyPath, new ArmKinematics(arm), world, new ControlLoopOptions { Pacing = Pacing.Fast });
        var ctx = new ArmContext([.. arm.Home], 0.08, 0.08);
        Assert.True(factory.Handles("learned_pick_place"));
        Assert.False(factory.Handles("pick"));
        Assert.Null(factory.Compile(SkillInvocation.Of(SkillNames.LearnedPickPlace, "bin", "red_cube"), world.Snapshot(), ctx).Program);
        Assert.Null(factory.Compile(SkillInvocation.Of(SkillNames.LearnedPickPlace, "yellow_cube", "bin"), world.Snapshot(), ctx).Program);
        Assert.Null(factory.Compile(SkillInvocation.Of(SkillNames.LearnedPickPlace, "red_cube"), world.Snapshot(), ctx).Program);
        Assert.Throws<ConfigurationException>(() => new LearnedSkillFactory("/nonexistent.onnx", new ArmKinematics(arm), world, new ControlLoopOptions()));
    }
}
