using LLMRace.Grains.Engine;

namespace LLMRace.Tests.Unit;

/// <summary>A connection's max concurrency holds across runs, and an edit mid-run takes effect without letting more through.</summary>
public class ConnectionLimiterTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(16)]
    [InlineData(100)]
    [InlineData(255)]
    [InlineData(ConnectionLimiter.MaxLimit)]
    public async Task Exactly_the_limit_is_let_in_at_once(int limit)
    {
        using var limiter = new ConnectionLimiter();
        var held = new List<IDisposable>();
        for (var i = 0; i < limit; i++) held.Add(await limiter.AcquireAsync("conn_a", limit, CancellationToken.None));

        var oneMore = limiter.AcquireAsync("conn_a", limit, CancellationToken.None);
        Assert.False(oneMore.IsCompleted);

        held[0].Dispose();
        (await oneMore).Dispose();
        foreach (var lease in held.Skip(1)) lease.Dispose();
        Assert.True(limiter.IsIdle("conn_a"));
    }

    [Fact]
    public async Task A_limit_lowered_mid_run_lets_nothing_in_until_enough_have_finished()
    {
        using var limiter = new ConnectionLimiter();
        var first = await limiter.AcquireAsync("conn_a", 2, CancellationToken.None);
        var second = await limiter.AcquireAsync("conn_a", 2, CancellationToken.None);

        // The connection was edited to 1: a gate per (id, limit) would let this third one straight in.
        var third = limiter.AcquireAsync("conn_a", 1, CancellationToken.None);
        Assert.False(third.IsCompleted);

        first.Dispose();
        Assert.False(third.IsCompleted); // one still runs, and the limit is 1
        second.Dispose();
        (await third).Dispose();
        Assert.True(limiter.IsIdle("conn_a"));
    }

    [Fact]
    public async Task A_raised_limit_applies_as_the_requests_admitted_before_finish_and_other_connections_are_apart()
    {
        using var limiter = new ConnectionLimiter();
        var held = await limiter.AcquireAsync("conn_a", 1, CancellationToken.None);
        var waiting = limiter.AcquireAsync("conn_a", 1, CancellationToken.None);
        var other = await limiter.AcquireAsync("conn_b", 1, CancellationToken.None);
        Assert.False(waiting.IsCompleted);

        // Edited to 3: the request admitted at 1 holds the whole connection until it ends; waiters go in oldest first.
        var raised = limiter.AcquireAsync("conn_a", 3, CancellationToken.None);
        Assert.False(raised.IsCompleted);
        held.Dispose();
        var second = await waiting;
        Assert.False(raised.IsCompleted);
        second.Dispose();
        var atThree = new List<IDisposable> { await raised };
        atThree.Add(await limiter.AcquireAsync("conn_a", 3, CancellationToken.None));
        atThree.Add(await limiter.AcquireAsync("conn_a", 3, CancellationToken.None)); // three at once now
        var fourth = limiter.AcquireAsync("conn_a", 3, CancellationToken.None);
        Assert.False(fourth.IsCompleted);

        foreach (var lease in atThree) lease.Dispose();
        (await fourth).Dispose();
        other.Dispose();
        Assert.True(limiter.IsIdle("conn_a"));
        Assert.True(limiter.IsIdle("conn_b"));
    }

    [Fact]
    public async Task A_cancelled_wait_leaves_no_slot_taken()
    {
        using var limiter = new ConnectionLimiter();
        var held = await limiter.AcquireAsync("conn_a", 1, CancellationToken.None);
        using var cancel = new CancellationTokenSource();
        var waiting = limiter.AcquireAsync("conn_a", 1, cancel.Token);

        cancel.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting);
        held.Dispose();
        Assert.True(limiter.IsIdle("conn_a"));
        (await limiter.AcquireAsync("conn_a", 1, CancellationToken.None)).Dispose();
    }
}
