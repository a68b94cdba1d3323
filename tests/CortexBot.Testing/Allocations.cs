namespace CortexBot.Testing;

public static class Allocations
{
    /// <summary>
    /// Bytes the calling thread allocates running <paramref name="window"/>: the best of up to three windows, after a
    /// pause that lets tiered compilation catch up. The runtime's own one-off work (once 4808 bytes in 1000 ticks) can
    /// land in one window; a real per-tick allocation shows in every window.
    /// </summary>
    public static long SteadyState(Action window)
    {
        Thread.Sleep(200);
        long best = long.MaxValue;
        for (int w = 0; w < 3 && best != 0; w++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            window();
            best = Math.Min(best, GC.GetAllocatedBytesForCurrentThread() - before);
        }
        return best;
    }
}
