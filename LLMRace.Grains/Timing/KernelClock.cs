using System.Diagnostics;

namespace LLMRace.Grains.Timing;

/// <summary>
/// Puts the kernel's receive stamps (CLOCK_REALTIME) on the stopwatch's monotonic clock, which every other time of an item
/// is on. The offset between the two is read once and kept for a minute: within a run both clocks advance together
/// (a step of the wall clock by NTP meanwhile would shift the stamps by its size; a minute bounds how long it can).
/// </summary>
public static class KernelClock
{
    private sealed record Calibration(long OffsetNs, long At);

    private static Calibration? _current;

    /// <summary>A kernel stamp (ns since the epoch) as a stopwatch timestamp.</summary>
    public static long ToStopwatch(long realtimeNs)
    {
        var now = Stopwatch.GetTimestamp();
        var calibration = Volatile.Read(ref _current);
        if (calibration is null || now - calibration.At >= Stopwatch.Frequency * 60)
            Volatile.Write(ref _current, calibration = new Calibration(OffsetNs(), now));
        return (long)((realtimeNs - calibration.OffsetNs) * (Stopwatch.Frequency / 1e9));
    }

    /// <summary>Realtime minus monotonic, in ns: the wall clock read between two stopwatch reads, the narrowest pair of three.</summary>
    private static long OffsetNs()
    {
        long best = long.MaxValue, offset = 0;
        for (var i = 0; i < 3; i++)
        {
            var before = Stopwatch.GetTimestamp();
            var wall = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
            var after = Stopwatch.GetTimestamp();
            if (after - before >= best) continue;
            best = after - before;
            offset = wall - (long)((before + after) / 2 * (1e9 / Stopwatch.Frequency));
        }
        return offset;
    }
}
