using CortexBot.Brainstem;
using CortexBot.Cerebellum.Control;
using CortexBot.Cerebellum.Kinematics;
using CortexBot.Cerebellum.Skills;
using CortexBot.Core.Messages;
using CortexBot.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace CortexBot.Cerebellum.Tests;

/// <summary>The episode trace is recorded by the control tick itself: exact sample times, no allocation.</summary>
public class TraceRecorderTests
{
    private static (ControlLoop Loop, FakeArmLink Link) Make(double traceHz = 25)
    {
        var link = new FakeArmLink(TestArm.Model);
        var loop = new ControlLoop(new SafetyGate(link, TestArm.Model),
            new ControlLoopOptions { RateHz = 500, Pacing = Pacing.Fast, UseRealtimePriority = false, TraceRateHz = traceHz }, NullLogger<ControlLoop>.Instance);
        return (loop, link);
    }

    [Fact]
    public void Samples_every_twentieth_tick_from_the_start_tick_and_follow_the_motion()
    {
        var (loop, _) = Make();
        loop.PrepareInline();
        var trace = loop.Trace!;
        Assert.Equal(20, trace.Decimation);
        Assert.Equal(0.04, trace.SamplePeriodS, 12);
        for (int i = 0; i < 7; i++) loop.TickOnce();
        long start = loop.TotalTicks;
        trace.Begin(start);
        var compiler = new SkillCompiler(new ArmKinematics(TestArm.Model));
        var scene = new SceneSnapshot(0, [new SceneObject("bin", "bin", null,
            new CortexBot.Core.Geometry.Pose(new CortexBot.Core.Geometry.Vec3(0.25, -0.4, 0.04), CortexBot.Core.Geometry.Quat.Identity),
            new CortexBot.Core.Geometry.Vec3(0.08, 0.08, 0.04))]);
        var program = compiler.Compile(SkillInvocation.Of("move_above", "bin"), scene, new ArmContext(loop.LatestCommand(), 0.08, 0.08)).Program!;
        loop.Submit(program, _ => { });
        var expected = new List<double[]>();
        for (int i = 0; i < 1000; i++)
        {
            loop.TickOnce();
            if (i % 20 == 0)
                expected.Add(loop.LatestState().Position.ToArray()); // what tick start + i measured (published at its end)
        }

        var got = trace.Read(start, loop.TotalTicks)!;

        Assert.Equal(50, got.Count);
        Assert.Equal(TestArm.Model.JointNames, got.JointNames.AsEnumerable());
        Assert.Equal(500, got.ControlRateHz);
        for (int k = 0; k < got.Count; k++)
            for (int j = 0; j < 6; j++)
                Assert.Equal(expected[k][j], got.Joint(k, j), 5);
        Assert.True(Math.Abs(got.Joint(got.Count - 1, 0) - got.Joint(1, 0)) > 0.01, "the trace follows the motion");
        Assert.Equal(25, trace.Read(start, start + 500)!.Count); // up to, not including, the end tick
        Assert.Equal(26, trace.Read(start, start + 501)!.Count);
    }

    [Fact]
    public void A_start_the_control_thread_saw_late_leaves_NaN_samples_and_a_new_start_ends_the_old_trace()
    {
        var (loop, _) = Make();
        loop.PrepareInline();
        var trace = loop.Trace!;
        trace.Begin(0); // as if ticks 0..44 ran before the control thread saw it
        for (int i = 0; i < 45; i++) loop.TickOnce();
        Assert.Equal(3, trace.Read(0, loop.TotalTicks)!.Count); // ticks 0, 20, 40 all recorded: it was seen at once here

        var (late, _) = Make();
        late.PrepareInline();
        for (int i = 0; i < 45; i++) late.TickOnce();
        late.Trace!.Begin(0);
        for (int i = 0; i < 40; i++) late.TickOnce();
        var got = late.Trace.Read(0, late.TotalTicks)!;
        Assert.Equal(5, got.Count); // ticks 0..80: 0, 20, 40 passed before; 60 and 80 recorded
        Assert.True(float.IsNaN(got.Joint(0, 0)) && float.IsNaN(got.Gripper(2)));
        Assert.False(float.IsNaN(got.Joint(3, 0)));

        late.Trace.Begin(late.TotalTicks);
        late.TickOnce();
        Assert.Null(late.Trace.Read(0, late.TotalTicks));
        Assert.Equal(1, late.Trace.Read(late.TotalTicks - 1, late.TotalTicks)!.Count);
    }

    [Fact]
    public void Recording_allocates_nothing_on_the_tick_and_stops_at_capacity()
    {
        var (loop, _) = Make(traceHz: 500);
        loop.PrepareInline();
        loop.Trace!.Begin(loop.TotalTicks);
        long start = loop.TotalTicks;
        for (int i = 0; i < 200; i++) loop.TickOnce(); // warm up while recording
        Assert.Equal(0, Allocations.SteadyState(() => { for (int i = 0; i < 2000; i++) loop.TickOnce(); }));
        for (int i = 0; i < EpisodeTrace.MaxSamples; i++) loop.TickOnce();
        Assert.Equal(EpisodeTrace.MaxSamples, loop.Trace.Read(start, loop.TotalTicks)!.Count);
    }

    [Fact]
    public void Tracing_can_be_turned_off_and_a_bad_rate_is_refused()
    {
        Assert.Null(Make(traceHz: 0).Loop.Trace);
        Assert.Throws<CortexBot.Core.ConfigurationException>(() => Make(traceHz: -1));
    }

    /// <summary>Object poses that move with a tick counter, as a simulator publishes them.</summary>
    private sealed class MovingCube : CortexBot.Core.Ports.IObjectPoses
    {
        public long Reads;
        public IReadOnlyList<string> ObjectNames => ["red_cube"];
        public int IndexOf(string name) => name == "red_cube" ? 0 : -1;
        public bool TryGetPose(int index, out CortexBot.Core.Geometry.Pose pose)
        {
            Reads++;
            pose = new(new(0.4 + 0.001 * Reads, 0, 0.02), CortexBot.Core.Geometry.Quat.Identity);
            return index == 0;
        }
    }

    [Fact]
    public void Object_poses_are_traced_with_the_joints_without_allocating()
    {
        var link = new FakeArmLink(TestArm.Model);
        var cube = new MovingCube();
        var loop = new ControlLoop(new SafetyGate(link, TestArm.Model),
            new ControlLoopOptions { RateHz = 500, Pacing = Pacing.Fast, UseRealtimePriority = false, TraceRateHz = 500 },
            NullLogger<ControlLoop>.Instance, cube, ["red_cube", "no_such_object"]);
        Assert.Equal(["red_cube"], loop.Trace!.ObjectNames.AsEnumerable()); // unknown names are left out
        loop.PrepareInline();
        long start = loop.TotalTicks;
        loop.Trace.Begin(start);
        for (int i = 0; i < 200; i++) loop.TickOnce();
        Assert.Equal(0, Allocations.SteadyState(() => { for (int i = 0; i < 500; i++) loop.TickOnce(); }));
        var trace = loop.Trace.Read(start, loop.TotalTicks)!;
        Assert.True(trace.TryGetObjectPose(0, 0, out var first));
        Assert.True(trace.TryGetObjectPose(trace.Count - 1, 0, out var last));
        Assert.True(last.Position.X > first.Position.X + 0.1, "the traced pose follows the object");
        Assert.Equal(trace.Count, (int)cube.Reads); // one read per sample
        var back = EpisodeTrace.Decode(trace.Encode());
        Assert.Equal(EpisodeTrace.FormatVersionWithObjects, System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(trace.Encode().AsSpan(4)));
        Assert.Equal(trace.Count, back.Count);
    }
}
