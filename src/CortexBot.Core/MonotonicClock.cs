using System.Diagnostics;

namespace CortexBot.Core;

/// <summary>Monotonic nanoseconds for time-stamping messages and ticks.</summary>
public static class MonotonicClock
{
    private static readonly double TicksToNs = 1e9 / Stopwatch.Frequency;
    public static long NowNs => (long)(Stopwatch.GetTimestamp() * TicksToNs);
}
