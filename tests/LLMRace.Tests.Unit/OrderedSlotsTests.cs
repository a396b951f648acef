using System.Diagnostics;
using LLMRace.Grains.Load;

namespace LLMRace.Tests.Unit;

/// <summary>The open-loop concurrency limit: requests that wait for a slot take it in the schedule's order.</summary>
public sealed class OrderedSlotsTests
{
    [Fact]
    public async Task A_request_that_waits_for_a_slot_is_not_overtaken_by_the_next()
    {
        // As a step's limit of one holds each request until the one before ends, well past the next one's time, while two
        // keepers send.
        var order = new List<long>();
        using var slots = new OrderedSlots(1);

        await ScheduleKeepers.RunAsync(ArrivalSchedule.Constant(2000), Stopwatch.GetTimestamp(), long.MaxValue, i => i < 60, (i, _) =>
        {
            slots.Take(i, CancellationToken.None);
            lock (order) order.Add(i);
            Task.Delay(2).ContinueWith(_ => slots.Release());
        }, CancellationToken.None);

        Assert.Equal(Enumerable.Range(0, 60).Select(i => (long)i), order);
    }

    [Fact]
    public async Task A_wait_given_up_lets_the_next_request_take_its_turn()
    {
        using var slots = new OrderedSlots(1);
        slots.Take(0, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var first = Task.Factory.StartNew(() => slots.Take(1, cancel.Token), TaskCreationOptions.LongRunning);
        var second = Task.Factory.StartNew(() => slots.Take(2, CancellationToken.None), TaskCreationOptions.LongRunning);

        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        slots.Release();
        await second;
    }
}
