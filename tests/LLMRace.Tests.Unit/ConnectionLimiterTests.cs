using LLMRace.Grains.Engine;

namespace LLMRace.Tests.Unit;

/// <summary>A connection's max concurrency holds across runs, and an edit mid-run takes effect without letting more through.</summary>
public class ConnectionLimiterTests
{
    [Fact]
    public async Task A_limit_lowered_mid_run_lets_nothing_in_until_enough_have_finished()
    {
        var limiter = new ConnectionLimiter();
        var first = await limiter.AcquireAsync("conn_a", 2, CancellationToken.None);
        var second = await limiter.AcquireAsync("conn_a", 2, CancellationToken.None);

        // The connection was edited to 1: before, this asked a new (id, 1) gate and went straight in, a third at once.
        var third = limiter.AcquireAsync("conn_a", 1, CancellationToken.None);
        Assert.False(third.IsCompleted);
        Assert.Equal(2, limiter.Running("conn_a"));

        first.Dispose();
        Assert.False(third.IsCompleted); // one still runs, and the limit is 1
        second.Dispose();
        (await third).Dispose();
        Assert.Equal(0, limiter.Running("conn_a"));
    }

    [Fact]
    public async Task A_raised_limit_lets_waiting_requests_in_and_other_connections_are_apart()
    {
        var limiter = new ConnectionLimiter();
        var held = await limiter.AcquireAsync("conn_a", 1, CancellationToken.None);
        var waiting = limiter.AcquireAsync("conn_a", 1, CancellationToken.None);
        var other = await limiter.AcquireAsync("conn_b", 1, CancellationToken.None);
        Assert.False(waiting.IsCompleted);

        var raised = await limiter.AcquireAsync("conn_a", 3, CancellationToken.None); // in at once: 1 running < 3
        held.Dispose();
        (await waiting).Dispose();
        raised.Dispose();
        other.Dispose();
        Assert.Equal(0, limiter.Running("conn_a") + limiter.Running("conn_b"));
    }

    [Fact]
    public async Task A_cancelled_wait_leaves_no_slot_taken()
    {
        var limiter = new ConnectionLimiter();
        var held = await limiter.AcquireAsync("conn_a", 1, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var waiting = limiter.AcquireAsync("conn_a", 1, cancel.Token);

        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        held.Dispose();
        Assert.Equal(0, limiter.Running("conn_a"));
        (await limiter.AcquireAsync("conn_a", 1, CancellationToken.None)).Dispose();
    }
}
