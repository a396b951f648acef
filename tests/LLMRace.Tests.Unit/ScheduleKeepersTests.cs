using System.Collections.Concurrent;
using System.Diagnostics;
using LLMRace.Grains.Load;

namespace LLMRace.Tests.Unit;

/// <summary>The open-loop schedule's keepers: each request sent once, never before its time, however many keepers wait.</summary>
public sealed class ScheduleKeepersTests
{
    [Fact]
    public async Task Each_request_is_sent_once_and_never_before_its_time()
    {
        var sent = new ConcurrentQueue<(long Index, long Due, long At)>();
        var start = Stopwatch.GetTimestamp();

        await ScheduleKeepers.RunAsync(ArrivalSchedule.Constant(2000), start, long.MaxValue, i => i < 400,
            (i, due) => sent.Enqueue((i, due, Stopwatch.GetTimestamp())), CancellationToken.None);

        Assert.Equal(Enumerable.Range(0, 400).Select(i => (long)i), sent.Select(s => s.Index).Order());
        Assert.All(sent, s => Assert.True(s.At >= s.Due, $"request {s.Index} went out before its time"));
        Assert.All(sent, s => Assert.Equal(start + (long)(s.Index / 2000.0 * Stopwatch.Frequency), s.Due));
    }

    [Fact]
    public async Task Nothing_is_sent_at_or_after_the_end()
    {
        var sent = new ConcurrentQueue<long>();
        var start = Stopwatch.GetTimestamp();
        var end = start + Stopwatch.Frequency / 20;

        await ScheduleKeepers.RunAsync(ArrivalSchedule.Constant(100), start, end, _ => true, (i, _) => sent.Enqueue(i),
            CancellationToken.None);

        Assert.Equal([0, 1, 2, 3, 4], sent.Order());
    }

    [Fact]
    public async Task A_cancelled_schedule_ends_and_sends_nothing_more()
    {
        using var cancel = new CancellationTokenSource();
        var sent = new ConcurrentQueue<long>();
        var keeping = ScheduleKeepers.RunAsync(ArrivalSchedule.Constant(1000), Stopwatch.GetTimestamp(), long.MaxValue, _ => true, (i, _) =>
        {
            sent.Enqueue(i);
            if (i == 20) cancel.Cancel();
        }, cancel.Token);

        await keeping;

        // The other keeper may have taken request 21 while 20 was going out; nothing after that.
        Assert.InRange(sent.Count, 21, 22);
    }

    [Fact]
    public async Task A_send_that_throws_fails_the_schedule()
    {
        var keeping = ScheduleKeepers.RunAsync(ArrivalSchedule.Constant(1000), Stopwatch.GetTimestamp(), long.MaxValue, _ => true,
            (i, _) => { if (i == 3) throw new InvalidOperationException("send broke"); }, CancellationToken.None);

        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => keeping);
        Assert.Equal("send broke", e.Message);
    }
}
