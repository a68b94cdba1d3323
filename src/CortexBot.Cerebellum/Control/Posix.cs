using System.Runtime.InteropServices;

namespace CortexBot.Cerebellum.Control;

/// <summary>Linux timing and scheduling calls the control thread needs: absolute-deadline sleep and SCHED_FIFO.</summary>
internal static partial class Posix
{
    private const int ClockMonotonic = 1;
    private const int TimerAbsTime = 1;
    private const int SchedFifo = 1;

    [StructLayout(LayoutKind.Sequential)]
    private struct Timespec { public long Sec; public long Nsec; }

    [StructLayout(LayoutKind.Sequential)]
    private struct SchedParam { public int Priority; }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out Timespec ts);

    [LibraryImport("libc", EntryPoint = "clock_nanosleep")]
    private static partial int ClockNanosleep(int clock, int flags, in Timespec request, IntPtr remain);

    [LibraryImport("libc", EntryPoint = "sched_setscheduler", SetLastError = true)]
    private static partial int SchedSetScheduler(int pid, int policy, in SchedParam param);

    [LibraryImport("libc", EntryPoint = "sched_get_priority_max")]
    private static partial int SchedGetPriorityMax(int policy);

    public static bool IsLinux { get; } = OperatingSystem.IsLinux();

    /// <summary>CLOCK_MONOTONIC in nanoseconds.</summary>
    public static long NowNs()
    {
        if (!IsLinux) return (long)(System.Diagnostics.Stopwatch.GetTimestamp() * (1e9 / System.Diagnostics.Stopwatch.Frequency));
        ClockGetTime(ClockMonotonic, out var ts);
        return ts.Sec * 1_000_000_000L + ts.Nsec;
    }

    /// <summary>Sleep until the absolute monotonic time <paramref name="deadlineNs"/> (restarts on EINTR).</summary>
    public static void SleepUntil(long deadlineNs)
    {
        if (!IsLinux)
        {
            long wait = deadlineNs - NowNs();
            if (wait > 0) Thread.Sleep(TimeSpan.FromTicks(wait / 100));
            return;
        }
        var ts = new Timespec { Sec = deadlineNs / 1_000_000_000L, Nsec = deadlineNs % 1_000_000_000L };
        while (ClockNanosleep(ClockMonotonic, TimerAbsTime, in ts, IntPtr.Zero) == 4 /* EINTR */) { }
    }

    /// <summary>Give the calling thread SCHED_FIFO; returns null on success or the reason it was refused.</summary>
    public static string? TryRealtime(int priority)
    {
        if (!IsLinux) return "not Linux";
        int max = SchedGetPriorityMax(SchedFifo);
        var p = new SchedParam { Priority = Math.Min(priority, max) };
        if (SchedSetScheduler(0, SchedFifo, in p) == 0) return null;
        int errno = Marshal.GetLastPInvokeError();
        return errno == 1 ? "permission denied (needs root or CAP_SYS_NICE)" : $"sched_setscheduler failed, errno {errno}";
    }
}
