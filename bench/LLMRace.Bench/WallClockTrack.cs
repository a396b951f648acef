using System.Diagnostics;

namespace LLMRace.Bench;

/// <summary>
/// The wall clock's offset from the monotonic one, sampled about every millisecond while it runs, so that a packet
/// capture's stamps (CLOCK_REALTIME) can be put on the monotonic clock LLMRace times with, even where the wall clock is
/// stepped (this machine's virtual machine once stepped it by 0.5 ms about every 100 ms for minutes). A stamp between two
/// samples with different offsets fell near a step: its monotonic time is not known and it is left out.
/// </summary>
public sealed class WallClockTrack : IDisposable
{
    private const long Tolerance = 5_000;
    private readonly List<(long Wall, long Offset)> _samples = [];
    private readonly Thread _sampler;
    private volatile bool _stopping;

    public WallClockTrack()
    {
        _sampler = new Thread(Sample) { IsBackground = true, Name = "wall clock track" };
        _sampler.Start();
    }

    private void Sample()
    {
        while (!_stopping)
        {
            var before = Stopwatch.GetTimestamp();
            var wall = (DateTime.UtcNow - DateTime.UnixEpoch).Ticks * 100;
            var after = Stopwatch.GetTimestamp();
            // Stopwatch ticks are nanoseconds on Linux; a sample read across a preemption is no sample.
            if (after - before < Tolerance)
                lock (_samples) _samples.Add((wall, wall - (before + after) / 2));
            Thread.Sleep(1);
        }
    }

    /// <summary>A wall-clock stamp (ns) on the monotonic clock (ns), or null when it fell near a step of the wall clock.</summary>
    public long? ToMonotonic(long wallNs)
    {
        lock (_samples)
        {
            var at = _samples.BinarySearch((wallNs, long.MinValue), Comparer<(long Wall, long Offset)>.Create((a, b) => a.Wall.CompareTo(b.Wall)));
            if (at < 0) at = ~at;
            if (at == 0 || at >= _samples.Count) return null;
            var (before, after) = (_samples[at - 1].Offset, _samples[at].Offset);
            return Math.Abs(after - before) <= Tolerance / 2 ? wallNs - before : null;
        }
    }

    public void Dispose()
    {
        _stopping = true;
        _sampler.Join();
    }
}
