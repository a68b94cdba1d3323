using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using CortexBot.Core.Telemetry;

namespace CortexBot.Host.Tests;

/// <summary>The CortexBot meter read by a MeterListener (as dotnet-counters and OpenTelemetry read it) during real episodes.</summary>
[Collection("end-to-end")]
public sealed class MetricsEpisodeTests
{
    [Fact]
    public async Task A_real_episode_records_control_cortex_and_memory_instruments()
    {
        var seen = new ConcurrentDictionary<string, long>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) => { if (instrument.Meter.Name == CortexBotMetrics.MeterName) l.EnableMeasurementEvents(instrument); },
        };
        listener.SetMeasurementEventCallback<long>((i, _, _, _) => seen.AddOrUpdate(i.Name, 1, (_, n) => n + 1));
        listener.SetMeasurementEventCallback<double>((i, _, _, _) => seen.AddOrUpdate(i.Name, 1, (_, n) => n + 1));
        listener.Start();

        var options = TestOptions.Realtime() with { RealtimePriority = false };
        var result = await CortexBotRunner.RunAsync(options, "put the red cube in the bin", 2, 3);
        Assert.Equal(1.0, result.Report!.SuccessRate);
        listener.RecordObservableInstruments();

        // Every real-time tick records its jitter; each plan its latency, each planner call (the slow path: here the first
        // episode's; the second is planned from memory) its call; each episode's recall its latency.
        Assert.True(seen.GetValueOrDefault("cortexbot.control.tick_jitter") >= result.Report.Control.Ticks / 2,
            $"{seen.GetValueOrDefault("cortexbot.control.tick_jitter")} jitter records for {result.Report.Control.Ticks} ticks");
        Assert.True(seen.GetValueOrDefault("cortexbot.cortex.plan_latency") >= 2);
        Assert.True(seen.GetValueOrDefault("cortexbot.cortex.planner_calls") >= result.Report.Cortex.SlowPlans);
        Assert.True(result.Report.Cortex.SlowPlans >= 1);
        Assert.True(seen.GetValueOrDefault("cortexbot.hippocampus.recall_latency") >= 1);
        Assert.True(seen.GetValueOrDefault("cortexbot.hippocampus.episodes") >= 1);
    }
}
