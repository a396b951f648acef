using System.Diagnostics;
using System.Runtime.InteropServices;
using LLMRace.Grains.Timing;

namespace LLMRace.Grains.Load;

/// <summary>
/// Holds the open-loop schedule's thread until a stopwatch time, never returning before it. On Linux the thread sleeps in
/// the kernel until the time itself (<c>clock_nanosleep</c> on CLOCK_MONOTONIC, the stopwatch's own clock, with the
/// thread's timer slack at 1 ns instead of 50 µs), so it needs no core while it waits and is woken on time. Why not spin:
/// at 2,000 requests/s the gaps are 0.5 ms, so a thread that yields its core until the time never sleeps, and on two
/// busy cores the scheduler then takes its core away for whole time slices (3–7 ms late, several times a second); a
/// thread that sleeps is run first when it wakes. Elsewhere: sleeps while milliseconds are left, then yields.
/// </summary>
public static unsafe class ScheduleWait
{
    private const int ClockMonotonic = 1;
    private const int TimerAbsolute = 1;
    private const int SetTimerSlack = 29;
    private const int Interrupted = 4;

    // A long wait is slept in parts, so a cancelled step stops within this long.
    private static readonly long MaxSleep = Stopwatch.Frequency / 20;

    private static readonly bool KernelSleep = OperatingSystem.IsLinux() && Stopwatch.Frequency == 1_000_000_000;

    [ThreadStatic] private static bool _slackSet;

    public static void Until(long due, CancellationToken ct)
    {
        if (KernelSleep) SleepInKernel(due, ct);
        else SleepThenYield(due, ct);
        while (Stopwatch.GetTimestamp() < due) Thread.SpinWait(20);
    }

    private static void SleepInKernel(long due, CancellationToken ct)
    {
        if (!_slackSet)
        {
            prctl(SetTimerSlack, 1, 0, 0, 0);
            _slackSet = true;
        }
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var now = Stopwatch.GetTimestamp();
            if (now >= due) return;
            var until = Math.Min(due, now + MaxSleep);
            var time = TimeSpec.FromNanoseconds(until);
            var result = clock_nanosleep(ClockMonotonic, TimerAbsolute, &time, null);
            if (result != 0 && result != Interrupted)
            {
                SleepThenYield(due, ct);
                return;
            }
        }
    }

    private static void SleepThenYield(long due, CancellationToken ct)
    {
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            var left = due - Stopwatch.GetTimestamp();
            if (left <= 0) return;
            var ms = left * 1000.0 / Stopwatch.Frequency;
            if (ms > 2.5) Thread.Sleep((int)Math.Min(ms - 1.5, 50));
            else if (ms > 1.2) Thread.Sleep(1);
            else Thread.Yield();
        }
    }

    [DllImport("libc")]
    private static extern int clock_nanosleep(int clock, int flags, TimeSpec* time, TimeSpec* remaining);

    [DllImport("libc")]
    private static extern int prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);
}
