namespace CortexBot.Cerebellum.Control;

/// <summary>
/// The control loop's pacing (absolute-deadline sleep) and SCHED_FIFO request for other threads that must measure under
/// the same conditions as the tick, such as benchmarks. Allocation-free. Never give a thread that does not sleep
/// SCHED_FIFO: Linux throttles real-time threads to 950 ms per second.
/// </summary>
public sealed class Pacer(double rateHz)
{
    private DeadlineClock _clock = new((long)Math.Round(1e9 / rateHz));

    public double RateHz { get; } = rateHz;

    /// <summary>Sleeps to the next deadline (a late wake-up re-anchors the schedule); returns how late it woke, in ns.</summary>
    public long WaitNext() => _clock.WaitNext(out _);

    /// <summary>Gives the calling thread SCHED_FIFO; null on success, else why it was refused.</summary>
    public static string? TryRealtimePriority(int priority) => Posix.TryRealtime(priority);
}
