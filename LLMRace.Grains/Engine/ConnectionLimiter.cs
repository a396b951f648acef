using System.Threading.RateLimiting;

namespace LLMRace.Grains.Engine;

/// <summary>
/// Each connection's max concurrency, held across all runs of this process (a local Ollama serves one request at a
/// time, whichever run asks): one System.Threading.RateLimiting concurrency limiter per connection id, waiters served
/// oldest first.
/// </summary>
/// <remarks>
/// A limiter's permit count is fixed when it is made, yet a connection's <c>max_concurrency</c> can be edited mid-run. So
/// a request takes the share of the connection's permits that its limit gives, <see cref="Permits"/> / n at limit n, and
/// holds it until it finishes: an edit applies as the requests admitted under the old limit finish, never letting more
/// through than either limit allows.
/// </remarks>
public sealed class ConnectionLimiter : IDisposable
{
    /// <summary>The highest <c>max_concurrency</c> a connection can have.</summary>
    public const int MaxLimit = 256;

    /// <summary>
    /// With P ≥ n², shares of ⌊P / n⌋ let exactly n requests in at once, for every n up to <see cref="MaxLimit"/>.
    /// </summary>
    public const int Permits = MaxLimit * MaxLimit;

    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(connectionId =>
        RateLimitPartition.GetConcurrencyLimiter(connectionId, _ => new ConcurrencyLimiterOptions
        {
            PermitLimit = Permits,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        }));

    /// <summary>Waits for a place among the connection's <paramref name="maxConcurrency"/> requests in flight.</summary>
    public async Task<IDisposable> AcquireAsync(string connectionId, int maxConcurrency, CancellationToken ct)
    {
        var lease = await _limiter.AcquireAsync(connectionId, Share(maxConcurrency), ct);
        if (lease.IsAcquired) return lease;
        lease.Dispose();
        throw new InvalidOperationException(
            $"Too many requests are waiting for connection {connectionId}; try again when fewer runs use it");
    }

    /// <summary>Whether no request of the connection is in flight or waiting.</summary>
    public bool IsIdle(string connectionId) => _limiter.GetStatistics(connectionId) is not { } stats
        || (stats.CurrentAvailablePermits == Permits && stats.CurrentQueuedCount == 0);

    private static int Share(int maxConcurrency) => Permits / Math.Clamp(maxConcurrency, 1, MaxLimit);

    public void Dispose() => _limiter.Dispose();
}
