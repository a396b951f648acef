using System.Threading.Channels;
using LLMRace.Grains.Contracts;
using LLMRace.Grains.Storage;
using Microsoft.Extensions.Logging;

namespace LLMRace.Grains.Engine;

/// <summary>
/// Gives a run's events their seq (gap-free, monotonic), writes them to the event log in batched
/// transactions, and only then publishes each batch. Whatever piles up while one transaction commits
/// goes into the next, so a fast stream costs a transaction per batch, never one per token.
/// </summary>
public sealed class RunEventSink : IAsyncDisposable
{
    private const int MaxBatch = 1024;
    private readonly Channel<RunEvent> _pending = Channel.CreateUnbounded<RunEvent>(new() { SingleReader = true });
    private readonly Lock _seqLock = new();
    private readonly string _runId;
    private readonly EventStore _store;
    private readonly IRunEventPublisher _publisher;
    private readonly ILogger _logger;
    private readonly Task _pump;
    private long _lastSeq;

    public RunEventSink(string runId, long lastSeq, EventStore store, IRunEventPublisher publisher, ILogger logger)
    {
        _runId = runId;
        _lastSeq = lastSeq;
        _store = store;
        _publisher = publisher;
        _logger = logger;
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>The seq of the last event emitted (not necessarily persisted yet).</summary>
    public long LastSeq { get { lock (_seqLock) return _lastSeq; } }

    /// <summary>The seq of the last event persisted and published.</summary>
    public long LastPersistedSeq => Interlocked.Read(ref _lastPersisted);
    private long _lastPersisted;

    public RunEvent Emit(string type, string? itemId, object? data)
    {
        // Seq assignment and enqueue happen under one lock so the queue is in seq order.
        lock (_seqLock)
        {
            var e = RunEventFactory.Create(_runId, ++_lastSeq, DateTime.UtcNow, type, itemId, data);
            if (!_pending.Writer.TryWrite(e)) throw new InvalidOperationException($"run {_runId}: event emitted after the sink was completed");
            return e;
        }
    }

    /// <summary>Stops accepting events and waits until every emitted event is persisted and published.</summary>
    public async Task FlushAndCompleteAsync()
    {
        _pending.Writer.TryComplete();
        await _pump;
    }

    private async Task PumpAsync()
    {
        var batch = new List<RunEvent>(MaxBatch);
        while (await _pending.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _pending.Reader.TryRead(out var e)) batch.Add(e);
            await PersistWithRetryAsync(batch);
            Interlocked.Exchange(ref _lastPersisted, batch[^1].Seq);
            try
            {
                await _publisher.PublishAsync(_runId, new RunEventBatch([.. batch]));
            }
            catch (Exception ex)
            {
                // Subscribers notice the gap and read the missing events from the log.
                _logger.LogWarning(ex, "Run {RunId}: publishing events {From}..{To} failed; subscribers will replay them from the log",
                    _runId, batch[0].Seq, batch[^1].Seq);
            }
        }
    }

    private async Task PersistWithRetryAsync(List<RunEvent> batch)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await _store.AppendAsync(batch);
                return;
            }
            catch (Exception ex) when (attempt < 5)
            {
                _logger.LogWarning(ex, "Run {RunId}: writing events {From}..{To} failed (attempt {Attempt}); retrying",
                    _runId, batch[0].Seq, batch[^1].Seq, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(50 * attempt));
            }
        }
    }

    public async ValueTask DisposeAsync() => await FlushAndCompleteAsync();
}
