using System.Diagnostics;
using LLMRace.Grains.Engine;

namespace LLMRace.Grains.Load;

/// <summary>
/// Runs one step. Open-loop steps send each request at its scheduled time whether or not earlier ones have finished (as
/// vLLM and GuideLLM do), at most the step's concurrency in flight; a request that has to wait for a slot goes out late,
/// and its schedule error (sent − scheduled) says so. Closed-loop steps (synchronous, concurrent, throughput) keep their
/// streams busy. Every request is measured and checked; those sent in the warm-up or cool-down are marked unmeasured.
/// </summary>
public sealed class LoadStepRunner(Func<long, PreparedTest> testFor, Func<PreparedTest, LoadRequest> requestFor)
{
    private long _inFlight;
    private long _peak;

    /// <summary>The most requests in flight at once during the step.</summary>
    public long PeakConcurrency => Interlocked.Read(ref _peak);

    public long InFlight => Interlocked.Read(ref _inFlight);

    /// <param name="onResult">Called as each request ends (from any thread); the runner keeps nothing of it.</param>
    public async Task RunAsync(LoadStep step, Action<LoadRequestResult> onResult, CancellationToken ct)
    {
        var start = Stopwatch.GetTimestamp();
        var end = step.DurationS is { } d ? start + (long)(d * Stopwatch.Frequency) : long.MaxValue;
        var measureFrom = start + (long)(step.WarmupS * Stopwatch.Frequency);
        var measureTo = step.DurationS is { } dd ? start + (long)((dd - step.CooldownS) * Stopwatch.Frequency) : long.MaxValue;
        long next = -1;

        async Task SendAsync(long index, long scheduled)
        {
            var test = testFor(index);
            var request = requestFor(test);
            var now = Interlocked.Increment(ref _inFlight);
            long peak;
            while (now > (peak = Interlocked.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, now, peak) != peak) { }
            try
            {
                var (status, kind, error, metrics, passed, total) = await request.SendAsync(ct);
                var sentAt = request.SentAt != 0 ? request.SentAt : Stopwatch.GetTimestamp();
                onResult(new LoadRequestResult(step.Index, index, test.Snapshot.Id, Ms(scheduled - start), Ms(sentAt - start),
                    sentAt >= measureFrom && sentAt < measureTo, status, kind, error, metrics, passed, total, request.ServerTimings));
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }

        bool More(long index) => (step.MaxRequests is not { } max || index < max) && !ct.IsCancellationRequested;

        if (StepKinds.IsOpenLoop(step.Kind))
        {
            var schedule = step.Kind == StepKinds.Constant
                ? ArrivalSchedule.Constant(step.Rate!.Value)
                : ArrivalSchedule.Gamma(step.Rate!.Value, step.Burstiness, step.Seed + step.Index);
            using var slots = new OrderedSlots(step.Concurrency);
            // The sends still running are counted, not listed: a step's list of every request's task was, like its results,
            // held from the old generation and traced at every collection.
            var running = 1;
            Exception? failure = null;
            var ended = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            void End()
            {
                if (Interlocked.Decrement(ref running) > 0) return;
                if (Volatile.Read(ref failure) is { } f) ended.TrySetException(f);
                else ended.TrySetResult();
            }
            try
            {
                await ScheduleKeepers.RunAsync(schedule, start, end, More, (index, due) =>
                {
                    slots.Take(index, ct);
                    Interlocked.Increment(ref running);
                    SendAsync(index, due).ContinueWith(sent =>
                    {
                        slots.Release();
                        if (sent.Exception is { } e) Interlocked.CompareExchange(ref failure, e.InnerException, null);
                        End();
                    }, TaskScheduler.Default);
                }, ct);
            }
            finally
            {
                End();
            }
            await ended.Task;
        }
        else
        {
            var streams = step.Kind == StepKinds.Synchronous ? 1 : step.Concurrency;
            await Task.WhenAll(Enumerable.Range(0, streams).Select(_ => Task.Run(async () =>
            {
                while (true)
                {
                    var ready = Stopwatch.GetTimestamp();
                    var i = Interlocked.Increment(ref next);
                    if (!More(i) || ready >= end) return;
                    await SendAsync(i, ready);
                }
            }, CancellationToken.None)));
        }
    }

    private static double Ms(long ticks) => Math.Round(ticks * 1000.0 / Stopwatch.Frequency, 3);
}
