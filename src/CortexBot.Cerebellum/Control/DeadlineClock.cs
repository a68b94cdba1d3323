namespace CortexBot.Cerebellum.Control;

/// <summary>
/// Absolute-deadline pacing, shared by the control loop and its benchmark baseline so both measure the same mechanism.
/// A wake-up more than one period late re-anchors the schedule instead of bursting ticks to catch up (a burst would
/// advance the arm too fast). Allocation-free.
/// </summary>
internal struct DeadlineClock(long periodNs)
{
    private long _deadline = Posix.NowNs() + periodNs;

    /// <summary>Sleep to the next deadline; returns how late the wake-up was (ns) and whether that counts as a late tick.</summary>
    public long WaitNext(out bool lateTick)
    {
        Posix.SleepUntil(_deadline);
        long start = Posix.NowNs();
        long late = start - _deadline;
        lateTick = late > periodNs;
        if (lateTick) _deadline = start;
        _deadline += periodNs;
        return late;
    }
}
