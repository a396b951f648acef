using System.Diagnostics;
using System.Runtime.InteropServices;
using LLMRace.Grains.Timing;

namespace LLMRace.Grains.Load;

/// <summary>
/// Holds the open-loop schedule's thread until a stopwatch time, never returning before it. On Linux the thread sleeps in
/// the kernel until the time itself (<c>clock_nanosleep</c> on CLOCK_MONOTONIC, the stopwatch's own clock; a keeper's
/// thread is prepared for it once, by <see cref="PrepareThread"/>), so it needs no core while it waits and is woken on
/// time. Why not spin:
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

    /// <summary>
    /// Prepares the calling thread, once at its start, to keep a schedule: its timer slack at 1 ns instead of 50 µs, short
    /// time slices asked for, and held to <paramref name="cpu"/> when one is given. Best effort, Linux only.
    /// </summary>
    public static void PrepareThread(int? cpu)
    {
        if (!OperatingSystem.IsLinux()) return;
        prctl(SetTimerSlack, 1, 0, 0, 0);
        AskShortSlice();
        if (cpu is { } core) HoldToCpu(core);
    }

    public static void Until(long due, CancellationToken ct)
    {
        if (KernelSleep) SleepInKernel(due, ct);
        else SleepThenYield(due, ct);
        while (Stopwatch.GetTimestamp() < due) Thread.SpinWait(20);
    }

    private static void SleepInKernel(long due, CancellationToken ct)
    {
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

    [StructLayout(LayoutKind.Sequential)]
    private struct SchedAttr
    {
        public uint Size;
        public uint Policy;
        public ulong Flags;
        public int Nice;
        public uint Priority;
        public ulong Runtime;
        public ulong Deadline;
        public ulong Period;
    }

    /// <summary>
    /// Asks the kernel (Linux 6.12 and later, no privilege needed) for short time slices for this thread, 100 µs instead
    /// of the default of a millisecond or more: its scheduler then runs the thread as soon as it wakes, ahead of the one
    /// running, instead of when that one's slice ends (bench: p99 at 2,000/s 1.11 → 0.81–0.89 ms). Best effort: an older
    /// kernel ignores it.
    /// </summary>
    private static void AskShortSlice()
    {
        var number = RuntimeInformation.ProcessArchitecture switch { Architecture.X64 => 314, Architecture.Arm64 => 274, _ => 0 };
        if (number == 0) return;
        // The thread's policy and nice stay as they are (a process started with nice keeps it).
        var attr = new SchedAttr { Size = (uint)sizeof(SchedAttr), Flags = KeepPolicy, Nice = getpriority(PriorityOfProcess, 0),
            Runtime = 100_000 };
        _ = sched_setattr(number, 0, &attr, 0);
    }

    /// <summary>Two cores this process may run on, or none when it has fewer or the system does not say.</summary>
    public static IReadOnlyList<int> TwoCpus()
    {
        if (!OperatingSystem.IsLinux()) return [];
        var mask = stackalloc ulong[CpuMaskWords];
        if (sched_getaffinity(0, CpuMaskWords * 8, mask) != 0) return [];
        var cpus = new List<int>(2);
        for (var cpu = 0; cpu < CpuMaskWords * 64 && cpus.Count < 2; cpu++)
            if ((mask[cpu / 64] & (1UL << (cpu % 64))) != 0) cpus.Add(cpu);
        return cpus.Count == 2 ? cpus : [];
    }

    private static void HoldToCpu(int cpu)
    {
        var mask = stackalloc ulong[CpuMaskWords];
        mask[cpu / 64] = 1UL << (cpu % 64);
        _ = sched_setaffinity(0, CpuMaskWords * 8, mask);
    }

    private const int CpuMaskWords = 16;
    private const ulong KeepPolicy = 0x08;
    private const int PriorityOfProcess = 0;

    [DllImport("libc")]
    private static extern int getpriority(int which, uint who);

    [DllImport("libc", EntryPoint = "syscall")]
    private static extern long sched_setattr(long number, int pid, SchedAttr* attr, uint flags);

    [DllImport("libc")]
    private static extern int sched_getaffinity(int pid, nint size, ulong* mask);

    [DllImport("libc")]
    private static extern int sched_setaffinity(int pid, nint size, ulong* mask);

    [DllImport("libc")]
    private static extern int clock_nanosleep(int clock, int flags, TimeSpec* time, TimeSpec* remaining);

    [DllImport("libc")]
    private static extern int prctl(int option, ulong arg2, ulong arg3, ulong arg4, ulong arg5);
}
