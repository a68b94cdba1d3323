using CortexBot.Brainstem;
using CortexBot.Cerebellum.Control;
using CortexBot.Cerebellum.Kinematics;
using CortexBot.Cerebellum.Skills;
using CortexBot.Core;
using CortexBot.Core.Geometry;
using CortexBot.Core.Messages;
using CortexBot.Core.Ports;
using CortexBot.Core.Robot;
using CortexBot.Sim.MuJoCo;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace CortexBot.Cerebellum.Tests;

/// <summary>
/// Faults injected into the MuJoCo world while real skills run in the real control loop (ticked inline, 500 Hz of
/// simulated time): each must be named within 50 ms of simulated time, and the arm must then hold still.
/// </summary>
public sealed class FaultInjectionTests(ITestOutputHelper output)
{
    private const double Period = 0.002;
    private const int DetectionBudgetTicks = 25; // 50 ms at 500 Hz

    private sealed class Rig : IDisposable
    {
        public readonly MuJoCoWorld World;
        public readonly ArmModel Arm;
        public readonly ControlLoop Loop;
        public readonly SkillCompiler Compiler;
        public readonly RecordingLink Link;
        public long Ticks;

        public Rig(int seed, AnomalyLimits? limits = null)
        {
            World = new MuJoCoWorld(RepoPaths.DefaultScene);
            Arm = ArmModel.FromMjcf(RepoPaths.DefaultScene);
            World.Start(Period);
            World.ResetScene(seed);
            Link = new RecordingLink(World);
            limits ??= new AnomalyLimits { JointRanges = [.. Arm.Joints.Select(j => (j.Lower, j.Upper))] };
            Loop = new ControlLoop(new SafetyGate(Link, Arm), new ControlLoopOptions { RateHz = 1 / Period, Pacing = Pacing.Fast, UseRealtimePriority = false, Anomalies = limits },
                NullLogger<ControlLoop>.Instance);
            Loop.PrepareInline();
            Compiler = new SkillCompiler(new ArmKinematics(Arm), poses: World);
        }

        public IControlProgram Compile(SkillInvocation skill, SkillTuning? tuning = null)
        {
            var c = Compiler.Compile(skill, World.Snapshot(), new ArmContext(Loop.LatestCommand(), Loop.LatestGripperCommand, Loop.LatestState().GripperOpening), tuning);
            Assert.True(c.Program is not null, c.Error);
            return c.Program!;
        }

        /// <summary>Run <paramref name="program"/>; <paramref name="beforeTick"/> sees the program's tick count and may inject a fault.</summary>
        public (ProgramReport Report, long Ticks) Run(IControlProgram program, Action<long>? beforeTick = null, long maxTicks = 20_000)
        {
            ProgramReport? report = null;
            Loop.Submit(program, r => report = r);
            long n = 0;
            while (report is null && n < maxTicks)
            {
                beforeTick?.Invoke(n);
                Loop.TickOnce();
                Ticks++;
                n++;
            }
            Assert.NotNull(report);
            return (report, n);
        }

        public void Idle(int ticks) { for (int i = 0; i < ticks; i++) { Loop.TickOnce(); Ticks++; } }

        public void Dispose() => World.Dispose();
    }

    /// <summary>Records what the loop commands, to check that it holds after an anomaly.</summary>
    private sealed class RecordingLink(MuJoCoWorld world) : IRobotLink
    {
        public readonly double[] LastCommand = new double[6];
        public double LastGripper;
        public IReadOnlyList<string> JointNames => world.JointNames;
        public void Start(double period) => world.Start(period);
        public bool Read(RobotStateBuffer state) => world.Read(state);
        public void Write(JointCommandBuffer command)
        {
            Array.Copy(command.Position, LastCommand, 6);
            LastGripper = command.GripperOpening;
            world.Write(command);
        }
        public void Dispose() { }
    }

    private void AssertHolds(Rig rig)
    {
        // After the anomaly the loop holds: a quarter second later the command no longer changes and the arm is still.
        rig.Idle(125);
        var before = (double[])rig.Link.LastCommand.Clone();
        rig.Idle(100);
        var state = rig.Loop.LatestState();
        for (int i = 0; i < 6; i++)
        {
            Assert.Equal(before[i], rig.Link.LastCommand[i], 9);
            Assert.True(Math.Abs(state.Velocity[i]) < 0.02, $"{rig.World.JointNames[i]} still moves at {state.Velocity[i]:F3} rad/s");
        }
        Assert.False(rig.Loop.HasActiveProgram);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public void A_cube_knocked_out_of_the_gripper_during_the_carry_is_reported_as_dropped_within_50_ms(int seed)
    {
        using var rig = new Rig(seed);
        Assert.Equal(ProgramStatus.Succeeded, rig.Run(rig.Compile(SkillInvocation.Of("pick", "red_cube"))).Report.Status);
        const int knockAt = 150;
        var (report, ticks) = rig.Run(rig.Compile(SkillInvocation.Of("place", "red_cube", "bin")), t =>
        {
            if (t == knockAt) rig.World.KnockObject("red_cube", new Vec3(0.30, 0.26, 0.02));
        });
        long latency = ticks - knockAt;
        output.WriteLine($"{report.AnomalyKind}: {report.Detail}; detected {latency} ticks ({latency * Period * 1e3:F0} ms) after the knock");
        Assert.Equal(ProgramStatus.Failed, report.Status);
        Assert.Equal(AnomalyKinds.ObjectDropped, report.AnomalyKind);
        Assert.InRange(latency, 1, DetectionBudgetTicks);
        AssertHolds(rig);
    }

    [Theory]
    [InlineData(1, "shoulder_pan")]
    [InlineData(5, "shoulder_pan")]
    [InlineData(2, "elbow")]
    public void A_joint_blocked_in_mid_motion_is_reported_as_a_tracking_error_within_50_ms_and_the_arm_stops_pushing(int seed, string joint)
    {
        using var rig = new Rig(seed);
        Assert.True(rig.World.CanBlockJoints);
        Assert.Equal(ProgramStatus.Succeeded, rig.Run(rig.Compile(SkillInvocation.Of("pick", "red_cube"))).Report.Status);
        int j = rig.World.JointNames.ToList().IndexOf(joint);
        long blockedAt = -1;
        var (report, ticks) = rig.Run(rig.Compile(SkillInvocation.Of("place", "red_cube", "bin")), t =>
        {
            // Block once the joint really moves: an obstruction matters where the arm is going somewhere.
            if (blockedAt < 0 && t > 20 && Math.Abs(rig.Loop.LatestState().Velocity[j]) > 0.3)
            {
                rig.World.BlockJoint(joint);
                blockedAt = t;
            }
        });
        Assert.True(blockedAt > 0, $"{joint} never moved faster than 0.3 rad/s");
        long latency = ticks - blockedAt;
        output.WriteLine($"{report.AnomalyKind}: {report.Detail}; detected {latency} ticks ({latency * Period * 1e3:F0} ms) after the block");
        Assert.Equal(AnomalyKinds.TrackingError, report.AnomalyKind);
        Assert.Contains(joint, report.Detail);
        Assert.InRange(latency, 1, DetectionBudgetTicks);
        AssertHolds(rig);
        // It holds where it is rather than pushing on towards the old target.
        var q = rig.Loop.LatestState().Position;
        for (int i = 0; i < 6; i++) Assert.True(Math.Abs(rig.Link.LastCommand[i] - q[i]) < 0.01, $"{rig.World.JointNames[i]} commanded {rig.Link.LastCommand[i]:F4}, at {q[i]:F4}");
        rig.World.ReleaseJoint(joint);
    }

    private const double SlowMoveSeconds = 2.0;

    /// <summary>A minimum-jerk move of joint <paramref name="j"/> alone, from rest, peaking at <paramref name="peakSpeed"/> rad/s.</summary>
    private static SkillProgram SlowMove(Rig rig, int j, double peakSpeed, double seconds)
    {
        rig.Idle(100);
        var from = rig.Loop.LatestCommand();
        var to = (double[])from.Clone();
        to[j] += peakSpeed * seconds / 1.875; // a minimum-jerk move peaks at 1.875 times its mean speed
        return new SkillProgram("slow_move", [new Segment { Kind = SegmentKind.Move, Label = "slow", From = from, To = to, Duration = seconds,
            GripperFrom = rig.Loop.LatestGripperCommand, Gripper = rig.Loop.LatestGripperCommand }], holdThreshold: 0.02);
    }

    /// <summary>
    /// A joint blocked while it moves slowly: a minimum-jerk move of one joint whose peak speed is
    /// <paramref name="peakSpeed"/>, blocked at the peak. Its error grows only as fast as the command moves, so the
    /// speed-shortfall screen, not the tracking bound, has to catch it.
    /// </summary>
    [Theory]
    [InlineData("shoulder_pan", 0.08)]
    [InlineData("elbow", 0.08)]
    [InlineData("shoulder_lift", 0.12)]
    public void A_joint_blocked_while_moving_slowly_is_reported_within_50_ms(string joint, double peakSpeed)
    {
        using var rig = new Rig(3);
        int j = rig.World.JointNames.ToList().IndexOf(joint);
        var move = SlowMove(rig, j, peakSpeed, SlowMoveSeconds);
        const long blockAt = (long)(SlowMoveSeconds / 2 / Period);
        double speedAtBlock = double.NaN;
        var (report, ticks) = rig.Run(move, t =>
        {
            if (t == blockAt)
            {
                speedAtBlock = rig.Loop.LatestState().Velocity[j];
                rig.World.BlockJoint(joint);
            }
        });
        long latency = ticks - blockAt;
        output.WriteLine($"{joint} blocked at {speedAtBlock:F3} rad/s: {report.AnomalyKind}: {report.Detail}; detected {latency} ticks ({latency * Period * 1e3:F0} ms) after the block");
        Assert.InRange(Math.Abs(speedAtBlock), 0.5 * peakSpeed, 1.5 * peakSpeed);
        Assert.Equal(AnomalyKinds.TrackingError, report.AnomalyKind);
        Assert.Contains(joint, report.Detail);
        Assert.InRange(latency, 1, DetectionBudgetTicks);
        AssertHolds(rig);
        rig.World.ReleaseJoint(joint);
    }

    /// <summary>
    /// The same slow move, unobstructed, runs to its end without a false alarm.
    /// </summary>
    [Theory]
    [InlineData("shoulder_pan", 0.04)]
    [InlineData("elbow", 0.08)]
    public void A_slow_unobstructed_move_raises_no_anomaly(string joint, double peakSpeed)
    {
        using var rig = new Rig(3);
        var (report, _) = rig.Run(SlowMove(rig, rig.World.JointNames.ToList().IndexOf(joint), peakSpeed, SlowMoveSeconds));
        Assert.True(report.Status == ProgramStatus.Succeeded, $"{report.AnomalyKind}: {report.Detail}");
    }

    /// <summary>
    /// The perturbation of the memory scenario, physically: a heavy, slippery cube (0.2 kg, friction 0.3) slides out of
    /// the default moderate grasp while it is lifted, and the firm grip (full squeeze) carries it into the bin.
    /// </summary>
    [Theory]
    [InlineData(2)]
    [InlineData(7)]
    public void A_slippery_cube_slips_from_the_default_grip_and_the_firm_grip_carries_it(int seed)
    {
        using (var rig = new Rig(seed))
        {
            rig.World.SetObjectPhysics("red_cube", new ObjectPhysics(0.2, 0.3));
            var (report, _) = rig.Run(rig.Compile(SkillInvocation.Of("pick", "red_cube")));
            output.WriteLine($"default grip: {report.Status} {report.AnomalyKind}: {report.Detail}");
            Assert.Equal(AnomalyKinds.ObjectDropped, report.AnomalyKind);
            AssertHolds(rig);
        }
        using (var rig = new Rig(seed))
        {
            rig.World.SetObjectPhysics("red_cube", new ObjectPhysics(0.2, 0.3));
            var firm = new SkillTuning(FirmGrip: true);
            Assert.Equal(ProgramStatus.Succeeded, rig.Run(rig.Compile(SkillInvocation.Of("pick", "red_cube"), firm)).Report.Status);
            var (place, _) = rig.Run(rig.Compile(SkillInvocation.Of("place", "red_cube", "bin")));
            Assert.True(place.Status == ProgramStatus.Succeeded, $"{place.AnomalyKind}: {place.Detail}");
            rig.Idle(300);
            var cube = rig.World.Snapshot().Find("red_cube")!.Pose.Position;
            var bin = rig.World.Snapshot().Find("bin")!.Pose.Position;
            Assert.True(Math.Abs(cube.X - bin.X) < 0.08 && Math.Abs(cube.Y - bin.Y) < 0.08, $"the cube ended at {cube}, the bin is at {bin}");
        }
    }

    [Fact]
    public void An_ordinary_cube_is_carried_by_the_default_grip_and_an_empty_grasp_is_still_a_miss()
    {
        using var rig = new Rig(4);
        Assert.Equal(ProgramStatus.Succeeded, rig.Run(rig.Compile(SkillInvocation.Of("pick", "red_cube"))).Report.Status);
        Assert.InRange(rig.Loop.LatestGripperCommand, 0.014, 0.016); // the moderate squeeze, not the full one
        Assert.Equal(ProgramStatus.Succeeded, rig.Run(rig.Compile(SkillInvocation.Of("place", "red_cube", "bin"))).Report.Status);
        Assert.Null(rig.Loop.LastAnomaly); // what /diagnostics reports: no anomaly yet

        using var empty = new Rig(4);
        // Planned on the cube, which is then taken away; no watch, so the fingers close on nothing.
        var blind = new SkillCompiler(new ArmKinematics(empty.Arm));
        var c = blind.Compile(SkillInvocation.Of("pick", "red_cube"), empty.World.Snapshot(),
            new ArmContext(empty.Loop.LatestCommand(), empty.Loop.LatestGripperCommand, empty.Loop.LatestState().GripperOpening));
        empty.World.KnockObject("red_cube", new Vec3(0.30, -0.20, 0.02));
        var (report, _) = empty.Run(c.Program!);
        Assert.Equal(AnomalyKinds.GraspMissed, report.AnomalyKind);
        Assert.Same(report, empty.Loop.LastAnomaly);
    }

    [Fact]
    public void A_target_moved_during_the_approach_is_reported_within_50_ms()
    {
        using var rig = new Rig(3);
        const int moveAt = 60;
        Pose before = default;
        var (report, ticks) = rig.Run(rig.Compile(SkillInvocation.Of("pick", "red_cube")), t =>
        {
            if (t != moveAt) return;
            rig.World.TryGetPose(rig.World.IndexOf("red_cube"), out before);
            rig.World.KnockObject("red_cube", before.Position + new Vec3(0.05, 0.03, 0));
        });
        long latency = ticks - moveAt;
        output.WriteLine($"{report.AnomalyKind}: {report.Detail}; detected {latency} ticks after the move");
        Assert.Equal(AnomalyKinds.TargetMoved, report.AnomalyKind);
        Assert.InRange(latency, 1, DetectionBudgetTicks);
        AssertHolds(rig);
    }

    [Fact]
    public void A_motion_towards_a_joint_limit_is_stopped_before_the_limit()
    {
        using var rig = new Rig(1);
        int j = 5; // wrist_roll2: light, fast
        var from = rig.Loop.LatestCommand();
        var to = (double[])from.Clone();
        to[j] = rig.Arm.Joints[j].Upper; // a program that drives right into the limit (the compiler would refuse to)
        var seg = new Segment { Kind = SegmentKind.Move, Label = "into the limit", From = from, To = to, Duration = 2.0, Gripper = 0.08, GripperFrom = 0.08 };
        var (report, _) = rig.Run(new SkillProgram("into the limit", [seg], 0));
        output.WriteLine($"{report.AnomalyKind}: {report.Detail}");
        Assert.Equal(AnomalyKinds.JointLimit, report.AnomalyKind);
        AssertHolds(rig);
        Assert.True(rig.Loop.LatestState().Position[j] < rig.Arm.Joints[j].Upper, "the joint reached its limit");
    }

    [Fact]
    public void A_program_that_leaves_the_arm_still_for_too_long_is_reported_as_stuck()
    {
        using var rig = new Rig(1, new AnomalyLimits { NoProgressSeconds = 0.5 });
        var q = rig.Loop.LatestCommand();
        var seg = new Segment { Kind = SegmentKind.Wait, Label = "stuck", From = q, To = q, Duration = 5, Gripper = 0.08, GripperFrom = 0.08 };
        var (report, ticks) = rig.Run(new SkillProgram("stuck", [seg], 0));
        Assert.Equal(AnomalyKinds.NoProgress, report.AnomalyKind);
        Assert.InRange(ticks * Period, 0.5, 0.6);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(6)]
    [InlineData(7)]
    public void Undisturbed_pick_and_place_raises_no_anomaly(int seed)
    {
        using var rig = new Rig(seed);
        foreach (var skill in new[] { SkillInvocation.Of("pick", "red_cube"), SkillInvocation.Of("place", "red_cube", "bin"), SkillInvocation.Of("move_home") })
        {
            var (report, _) = rig.Run(rig.Compile(skill));
            Assert.True(report.Status == ProgramStatus.Succeeded, $"{skill}: {report.AnomalyKind} {report.Detail}");
        }
    }

    [Fact]
    public void Blocking_an_unknown_joint_or_in_a_scene_without_brakes_is_a_clear_error()
    {
        using var world = new MuJoCoWorld(RepoPaths.DefaultScene);
        var e = Assert.Throws<ArgumentException>(() => world.BlockJoint("knee"));
        Assert.Contains("not an arm joint", e.Message);
        Assert.Throws<ArgumentException>(() => world.KnockObject("bin", Vec3.Zero));
    }
}
