using System.Diagnostics;
using System.Runtime.InteropServices;

namespace LLMRace.Grains.Timing;

/// <summary>
/// Puts the kernel's packet stamps (CLOCK_REALTIME) on the stopwatch's monotonic clock, which every other time of an item
/// is on. The offset between the two clocks is read afresh for every stamp, right when the stamp is taken off the socket:
/// the wall clock may move apart from the monotonic one at any moment (an NTP step; on the virtual machine this was built
/// on it once ran 0.5% fast for minutes, 0.5 ms steps every 100 ms), so an offset read earlier could be off by as much as
/// it moved since. A stamp is only wrong by what the wall clock moved between its packet's arrival and its read.
/// </summary>
public static unsafe class KernelClock
{
    private const int ClockRealtime = 0;

    /// <summary>A kernel stamp (ns since the epoch) as a stopwatch timestamp.</summary>
    public static long ToStopwatch(long realtimeNs) => (long)((realtimeNs - OffsetNs()) * (Stopwatch.Frequency / 1e9));

    /// <summary>Realtime minus monotonic, in ns: the wall clock read between two stopwatch reads, the narrower pair of two.</summary>
    private static long OffsetNs()
    {
        long best = long.MaxValue, offset = 0;
        for (var i = 0; i < 2; i++)
        {
            var before = Stopwatch.GetTimestamp();
            var wall = RealtimeNs();
            var after = Stopwatch.GetTimestamp();
            if (after - before >= best) continue;
            best = after - before;
            offset = wall - (long)((before + after) / 2 * (1e9 / Stopwatch.Frequency));
        }
        return offset;
    }

    private static long RealtimeNs()
    {
        TimeSpec time;
        return clock_gettime(ClockRealtime, &time) == 0 ? time.TotalNanoseconds
            : (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
    }

    [DllImport("libc"), SuppressGCTransition]
    private static extern int clock_gettime(int clock, TimeSpec* time);
}
