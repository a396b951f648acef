using System.Diagnostics;
using LLMRace.Grains.Load;

namespace LLMRace.Tests.Unit;

public sealed class ScheduleWaitTests
{
    [Fact]
    public void A_wait_never_returns_before_its_time_however_short_or_long()
    {
        foreach (var micros in new[] { 0, 50, 300, 900, 2_000, 7_000, 60_000 })
        {
            var due = Stopwatch.GetTimestamp() + micros * Stopwatch.Frequency / 1_000_000;
            ScheduleWait.Until(due, CancellationToken.None);
            Assert.True(Stopwatch.GetTimestamp() >= due, $"returned before a {micros} µs wait was over");
        }
    }

    [Fact]
    public void A_cancelled_wait_stops_before_its_time()
    {
        using var cancel = new CancellationTokenSource();
        var due = Stopwatch.GetTimestamp() + 3_600 * Stopwatch.Frequency;
        var waiting = Task.Factory.StartNew(() => ScheduleWait.Until(due, cancel.Token), TaskCreationOptions.LongRunning);
        cancel.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => waiting.GetAwaiter().GetResult());
        Assert.True(Stopwatch.GetTimestamp() < due);
    }
}
