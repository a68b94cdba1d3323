using System.Diagnostics.Metrics;
using CortexBot.Brainstem;
using CortexBot.Cerebellum.Control;
using CortexBot.Cerebellum.Skills;
using CortexBot.Core.Ports;
using CortexBot.Core.Telemetry;
using CortexBot.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace CortexBot.Cerebellum.Tests;

/// <summary>The control thread records the CortexBot meter's instruments itself, without allocating, while a listener reads them.</summary>
public sealed class MetricsTests : IDisposable
{
    // Sums per instrument, updated by the listener's callbacks on the recording thread (no allocation there either).
    private readonly string[] _names = ["cortexbot.control.tick_jitter", "cortexbot.control.late_ticks", "cortexbot.anomalies", "cortexbot.safety.clamped_commands"];
    private readonly long[] _counts = new long[4];
    private readonly MeterListener _listener = new();

    public MetricsTests()
    {
        _listener.InstrumentPublished = (instrument, l) =>
        {
            int i = Array.IndexOf(_names, instrument.Name);
            if (instrument.Meter.Name == CortexBotMetrics.MeterName && i >= 0) l.EnableMeasurementEvents(instrument, i);
        };
        _listener.SetMeasurementEventCallback<long>((_, value, _, state) => Interlocked.Add(ref _counts[(int)state!], value));
        _listener.SetMeasurementEventCallback<double>((_, _, _, state) => Interlocked.Increment(ref _counts[(int)state!]));
        _listener.Start();
    }

    public void Dispose() => _listener.Dispose();

    /// <summary>Asks for a joint far away in one tick, every tick: the gate clamps each command to the velocity limit.</summary>
    private sealed class Lunge : IControlProgram
    {
        public string Name => "lunge";
        public string? FailureKind => null;
        public string? FailureDetail => null;
        public bool ScreenTracking => false;
        public void Begin(long tick, RobotStateBuffer state) { }
        public ProgramStatus Step(long tick, double period, RobotStateBuffer state, JointCommandBuffer command)
        {
            for (int i = 0; i < command.Position.Length; i++) command.Position[i] = state.Position[i];
            command.Position[0] = state.Position[0] + 0.5;
            command.GripperOpening = state.GripperOpening;
            return ProgramStatus.Running;
        }
    }

    [Fact]
    public void Clamps_are_counted_on_the_control_thread_without_allocating()
    {
        var link = new FakeArmLink(TestArm.Model);
        var loop = new ControlLoop(new SafetyGate(link, TestArm.Model),
            new ControlLoopOptions { Pacing = Pacing.Fast, UseRealtimePriority = false }, NullLogger<ControlLoop>.Instance);
        loop.PrepareInline();
        loop.Submit(new Lunge(), _ => { });
        for (int i = 0; i < 200; i++) loop.TickOnce();
        long before = Interlocked.Read(ref _counts[3]);
        Assert.Equal(0, Allocations.SteadyState(() => { for (int i = 0; i < 500; i++) loop.TickOnce(); }));
        // Other tests may clamp in parallel: at least every one of ours was counted.
        Assert.True(Interlocked.Read(ref _counts[3]) - before >= 500, $"{Interlocked.Read(ref _counts[3]) - before} clamps counted");
    }

    [Fact]
    public void Anomalies_are_counted_by_kind_and_real_time_ticks_record_their_jitter()
    {
        var link = new FakeArmLink(TestArm.Model);
        using var loop = new ControlLoop(new SafetyGate(link, TestArm.Model),
            new ControlLoopOptions { RateHz = 500, Pacing = Pacing.Realtime, UseRealtimePriority = false }, NullLogger<ControlLoop>.Instance);
        long jitterBefore = Interlocked.Read(ref _counts[0]), anomaliesBefore = Interlocked.Read(ref _counts[2]);
        loop.Start();
        ProgramReport? report = null;
        loop.Submit(new Lunge(), r => report = r);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (loop.TotalTicks < 50 && DateTime.UtcNow < deadline) Thread.Sleep(5);
        long ticks = loop.TotalTicks;
        // Each real-time tick records its jitter before it runs (other tests' loops may add more).
        Assert.True(Interlocked.Read(ref _counts[0]) - jitterBefore >= ticks, $"{Interlocked.Read(ref _counts[0]) - jitterBefore} jitter records for {ticks} ticks");

        link.Stale = true; // no joint state: the loop stops the program with invalid_state
        while (report is null && DateTime.UtcNow < deadline) Thread.Sleep(5);
        Assert.Equal("invalid_state", report?.AnomalyKind);
        Assert.True(Interlocked.Read(ref _counts[2]) > anomaliesBefore);
    }
}
