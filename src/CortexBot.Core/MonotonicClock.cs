using System.Diagnostics;

namespace CortexBot.Core;

/// <summary>Monotonic nanoseconds for time-stamping messages and ticks.</summary>
public static class MonotonicClock
{
    private static readonly double TicksToNs = 1e9 / Stopwatch.Frequency;
    public static long NowNs => (long)(Stopwatch.GetTimestamp() * TicksToNs);
}

/// <summary>
/// Wall-clock Unix nanoseconds (100 ns resolution), for stamps that two processes compare (a command's send time on
/// one node, its first control tick on another); allocation-free, so the control tick may read it.
/// </summary>
public static class WallClock
{
    public static long UnixNs => (DateTime.UtcNow.Ticks - DateTime.UnixEpoch.Ticks) * 100;
}
