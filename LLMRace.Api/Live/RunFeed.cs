using System.Threading.Channels;
using LLMRace.Grains.Contracts;
using Orleans.Streams;

namespace LLMRace.Api.Live;

/// <summary>
/// This Api instance's subscriptions to runs' Orleans streams: one per run, shared by every client
/// connected here and watching that run, fanned out to each client's channel.
/// </summary>
public sealed class RunFeed(IClusterClient cluster, ILogger<RunFeed> logger)
{
    private readonly Dictionary<string, RunSubscription> _subscriptions = [];
    private readonly SemaphoreSlim _gate = new(1, 1);

    public async Task<IAsyncDisposable> SubscribeAsync(string runId, ChannelWriter<RunEvent> listener, CancellationToken ct)
    {
        await _gate.WaitAsync(ct);
        try
        {
            if (!_subscriptions.TryGetValue(runId, out var subscription))
            {
                subscription = new RunSubscription();
                var stream = cluster.GetStreamProvider(RunStreams.ProviderName)
                    .GetStream<RunEventBatch>(StreamId.Create(RunStreams.Namespace, runId));
                subscription.Handle = await stream.SubscribeAsync(subscription);
                _subscriptions[runId] = subscription;
            }
            subscription.Add(listener);
            return new Lease(this, runId, subscription, listener);
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task LeaveAsync(string runId, RunSubscription subscription, ChannelWriter<RunEvent> listener)
    {
        await _gate.WaitAsync();
        try
        {
            if (subscription.Remove(listener) > 0) return;
            _subscriptions.Remove(runId);
            try
            {
                if (subscription.Handle is not null) await subscription.Handle.UnsubscribeAsync();
            }
            catch (Exception e)
            {
                logger.LogDebug(e, "Unsubscribing from run {RunId} failed", runId);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private sealed class RunSubscription : IAsyncObserver<RunEventBatch>
    {
        private readonly Lock _lock = new();
        private ChannelWriter<RunEvent>[] _listeners = [];

        public StreamSubscriptionHandle<RunEventBatch>? Handle { get; set; }

        public void Add(ChannelWriter<RunEvent> listener)
        {
            lock (_lock) _listeners = [.. _listeners, listener];
        }

        public int Remove(ChannelWriter<RunEvent> listener)
        {
            lock (_lock)
            {
                _listeners = [.. _listeners.Where(l => l != listener)];
                return _listeners.Length;
            }
        }

        public Task OnNextAsync(RunEventBatch batch, StreamSequenceToken? token = null)
        {
            var listeners = Volatile.Read(ref _listeners);
            foreach (var listener in listeners)
                foreach (var e in batch.Events)
                    listener.TryWrite(e);
            return Task.CompletedTask;
        }

        public Task OnCompletedAsync() => Task.CompletedTask;

        public Task OnErrorAsync(Exception ex) => Task.CompletedTask;
    }

    private sealed class Lease(RunFeed feed, string runId, RunSubscription subscription,
        ChannelWriter<RunEvent> listener) : IAsyncDisposable
    {
        private int _disposed;

        public async ValueTask DisposeAsync()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) await feed.LeaveAsync(runId, subscription, listener);
        }
    }
}
