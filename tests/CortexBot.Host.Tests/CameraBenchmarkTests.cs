using CortexBot.Core;
using CortexBot.Host.Benchmarks;

namespace CortexBot.Host.Tests;

public class CameraBenchmarkTests
{
    [Fact]
    public void Reports_frame_latency_and_tick_jitter_with_and_without_the_camera()
    {
        var report = CameraBenchmark.Run(200, TimeSpan.FromSeconds(1), 64, 48);
        Assert.True(report.Frames > 0);
        Assert.True(report.FrameMsP99 >= report.FrameMsP50 && report.FrameMsP50 > 0);
        Assert.Equal(2, report.TickJitterRows.Count);
        Assert.Equal(1.0, report.TickJitterRows[0].P99RatioToBaseline);
        Assert.All(report.TickJitterRows, r => Assert.True(r.Ticks > 100, $"{r.Phase}: {r.Ticks} ticks"));
        Assert.Contains("camera capturing nonstop", report.ToTable());
    }

    [Fact]
    public void Bad_settings_are_named() =>
        Assert.Contains("--rate", Assert.Throws<ConfigurationException>(() => CameraBenchmark.Run(1, TimeSpan.FromSeconds(1), 64, 48)).Message);
}
