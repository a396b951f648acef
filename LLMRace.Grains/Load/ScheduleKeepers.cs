using System.Diagnostics;

namespace LLMRace.Grains.Load;

/// <summary>
/// Keeps an open-loop step's schedule on threads of their own, not the thread pool, whose queue the requests' own work
/// fills. Where the process may run on two cores or more, two keepers, each held to a different core, both wait for each
/// time and the first awake sends the request. Why two: a core can be taken for milliseconds by what no thread of ours
/// can preempt (on the machine of docs/PERFORMANCE.md the kernel's memory monitor, kdamond, runs 2-5 ms at a time twice
/// a second in a kernel that is not preemptible), and a lone keeper woken on that core waited it out: most of the late
/// requests at 2,000/s were late that way, not by a collection.
/// </summary>
public static class ScheduleKeepers
{
    /// <param name="offsets">The schedule: seconds from <paramref name="start"/> (a stopwatch timestamp) of each send.</param>
    /// <param name="send">Sends request <c>index</c> due at <c>due</c>; called on a keeper, once per index, the indexes
    /// claimed in order, but two calls may run at once (what must stay in order, such as slots, orders itself).</param>
    public static Task RunAsync(IEnumerable<double> offsets, long start, long end, Func<long, bool> more, Action<long, long> send,
        CancellationToken ct)
    {
        var times = new DueTimes(offsets, start);
        long next = 0;
        var failed = false;
        var cpus = ScheduleWait.TwoCpus();
        var keepers = Enumerable.Range(0, Math.Max(1, cpus.Count)).Select(k =>
        {
            var kept = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            new Thread(() =>
            {
                try
                {
                    ScheduleWait.PrepareThread(cpus.Count > 0 ? cpus[k] : null);
                    while (true)
                    {
                        var index = Volatile.Read(ref next);
                        if (Volatile.Read(ref failed) || !more(index)) break;
                        if (times.At(index) is not { } due) continue;
                        if (due >= end) break;
                        ScheduleWait.Until(due, ct);
                        if (Interlocked.CompareExchange(ref next, index + 1, index) != index) continue;
                        send(index, due);
                    }
                    kept.SetResult();
                }
                catch (OperationCanceledException)
                {
                    // Cancelled: what was sent finishes (cancelled too), nothing more goes out.
                    kept.SetResult();
                }
                catch (Exception e)
                {
                    // The other keeper stops too: a schedule that cannot send is over.
                    Volatile.Write(ref failed, true);
                    kept.SetException(e);
                }
            }) { IsBackground = true, Name = $"llmrace load schedule {k}" }.Start();
            return kept.Task;
        }).ToArray();
        return Task.WhenAll(keepers);
    }

    /// <summary>The schedule's times as the keepers reach them: a window of the latest, not the whole step's.</summary>
    private sealed class DueTimes(IEnumerable<double> offsets, long start)
    {
        private const int Window = 1024;
        private readonly IEnumerator<double> _offsets = offsets.GetEnumerator();
        private readonly long[] _due = new long[Window];
        private long _made;

        /// <summary>The time of request <paramref name="index"/>, or null when the window has passed it.</summary>
        public long? At(long index)
        {
            lock (_due)
            {
                while (_made <= index)
                {
                    _offsets.MoveNext();
                    _due[_made++ % Window] = start + (long)(_offsets.Current * Stopwatch.Frequency);
                }
                return index > _made - Window ? _due[index % Window] : null;
            }
        }
    }
}
