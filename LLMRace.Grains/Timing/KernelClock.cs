using System.Diagnostics;

namespace LLMRace.Grains.Timing;

/// <summary>
/// Puts the kernel's receive stamps (CLOCK_REALTIME) on the stopwatch's monotonic clock, which every other time of an item
/// is on. The offset between the two is read once and kept for a minute: within a run both clocks advance together
/// (a step of the wall clock by NTP meanwhile would shift the stamps by its size; a minute bounds how long it can).
/// </summary>
public static class KernelClock
{
    private static readonly Lock Gate = new();
    private static long _offsetNs;
    private static long _calibratedAt;
    private static bool _calibrated;

    /// <summary>A kernel stamp (ns since the epoch) as a stopwatch timestamp.</summary>
    public static long ToStopwatch(long realtimeNs)
    {
        var offset = OffsetNs();
        return (long)((realtimeNs - offset) * (Stopwatch.Frequency / 1e9));
    }

    /// <summary>Realtime minus monotonic, in ns: the wall clock read between two stopwatch reads, the narrowest pair of three.</summary>
    private static long OffsetNs()
    {
        var now = Stopwatch.GetTimestamp();
        lock (Gate)
        {
            if (_calibrated && now - _calibratedAt < Stopwatch.Frequency * 60) return _offsetNs;
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
            _offsetNs = offset;
            _calibratedAt = now;
            _calibrated = true;
            return offset;
        }
    }
}
