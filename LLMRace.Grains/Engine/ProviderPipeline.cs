using LLMRace.Grains.Contracts;
using LLMRace.Grains.Providers;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace LLMRace.Grains.Engine;

/// <summary>
/// The resilience of one provider request, with Polly.Core: a timeout to the first token per attempt,
/// and retries with exponential backoff that honour Retry-After. It wraps only the span up to the first
/// content chunk, so nothing after the first token is ever retried.
/// </summary>
public static class ProviderPipeline
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<TimeSpan, ResiliencePipeline> TimeoutOnly = new();

    public static ResiliencePipeline Build(ConnectionSnapshot connection, TimeSpan firstTokenTimeout, Action<int, TimeSpan,
        Exception?> onRetry)
    {
        // Without retries the pipeline is the timeout alone, the same for every request: built once (a load test sends
        // thousands a second, and each pipeline built is garbage the collector pauses for).
        if (connection.MaxRetries <= 0)
            return TimeoutOnly.GetOrAdd(firstTokenTimeout, timeout => new ResiliencePipelineBuilder().AddTimeout(timeout).Build());
        var builder = new ResiliencePipelineBuilder();
        if (connection.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                MaxRetryAttempts = connection.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(500),
                MaxDelay = TimeSpan.FromSeconds(30),
                ShouldHandle = new PredicateBuilder()
                    .Handle<ProviderHttpException>(e => e.IsTransient)
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutRejectedException>()
                    .Handle<TimeoutException>()
                    .Handle<IOException>(),
                DelayGenerator = args => ValueTask.FromResult(
                    args.Outcome.Exception is ProviderHttpException { RetryAfter: { } after } && after > TimeSpan.Zero
                        ? (TimeSpan?)TimeSpan.FromTicks(Math.Min(after.Ticks, TimeSpan.FromMinutes(2).Ticks))
                        : null),
                OnRetry = args =>
                {
                    onRetry(args.AttemptNumber + 1, args.RetryDelay, args.Outcome.Exception);
                    return ValueTask.CompletedTask;
                },
            });
        }
        builder.AddTimeout(firstTokenTimeout);
        return builder.Build();
    }
}
