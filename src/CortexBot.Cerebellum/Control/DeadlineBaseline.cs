namespace CortexBot.Cerebellum.Control;

/// <summary>
/// The floor for control timing on this machine: a thread that only sleeps to absolute deadlines (same clock, same
/// priority as the control loop) and does no work. Benchmarks report the control loop's jitter as a ratio to it.
/// </summary>
public static class DeadlineBaseline
{
    public sealed record Result(long Ticks, long LateTicks, long P50Us, long P99Us, long MaxUs, bool RealtimePriority);

    public static Result Run(double rateHz, TimeSpan duration, bool realtimePriority)
    {
        Result? result = null;
        var thread = new Thread(() =>
        {
            bool rt = realtimePriority && Posix.TryRealtime(80) is null;
            var hist = new JitterHistogram();
            var clock = new DeadlineClock((long)Math.Round(1e9 / rateHz));
            long end = Posix.NowNs() + (long)(duration.TotalSeconds * 1e9);
            long ticks = 0, late = 0;
            while (Posix.NowNs() < end)
            {
                hist.Record(clock.WaitNext(out bool lateTick) / 1000);
                if (lateTick) late++;
                ticks++;
            }
            result = new Result(ticks, late, hist.Percentile(50), hist.Percentile(99), hist.MaxUs, rt);
        }) { IsBackground = true, Name = "deadline-baseline" };
        thread.Start();
        thread.Join();
        return result!;
    }
}
