using System.Threading.Channels;
using LLMRace.Grains.Contracts;
using LLMRace.Grains.Storage;
using Microsoft.Extensions.Logging;

namespace LLMRace.Grains.Engine;

/// <summary>
/// Gives a run's events their seq (gap-free, monotonic), writes them to the event log in batched
/// transactions, and only then publishes each batch. Whatever piles up while one transaction commits
/// goes into the next, so a fast stream costs a transaction per batch, never one per token.
/// Deltas of one item that pile up the same way share one <c>item.delta</c> event, each chunk keeping
/// its own timestamp: at a trickle every chunk is its own event, under load frames grow instead of lag.
/// </summary>
public sealed class RunEventSink : IAsyncDisposable
{
    private const int MaxBatch = 1024;
    private readonly Lock _lock = new();
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite, SingleReader = true,
    });
    private readonly string _runId;
    private readonly EventStore _store;
    private readonly IRunEventPublisher _publisher;
    private readonly ILogger _logger;
    private readonly Task _pump;
    private List<object> _pending = [];
    // The delta frame of each item that is still open to more chunks: it is pending and no later event of its item exists.
    private readonly Dictionary<string, DeltaFrame> _open = [];
    private long _lastSeq;
    // The last seq persisted and published, who waits for one, and why the pump stopped if it failed.
    private long _doneSeq;
    private Exception? _failure;
    private readonly List<(long Seq, TaskCompletionSource Done)> _flushes = [];
    private bool _completed;

    private readonly TimeProvider _time;
    private readonly TimeSpan _gather;

    /// <param name="gather">How long the sink lets events gather before it writes them, once woken: none for a race, whose
    /// tokens are watched live; a load test's thousands of request summaries a second are written and published in
    /// batches of this many milliseconds' worth, a transaction and a message each, not one per request.</param>
    public RunEventSink(string runId, long lastSeq, EventStore store, IRunEventPublisher publisher, TimeProvider time, ILogger logger,
        TimeSpan gather = default)
    {
        _time = time;
        _gather = gather;
        _runId = runId;
        _lastSeq = lastSeq;
        _doneSeq = lastSeq;
        _store = store;
        _publisher = publisher;
        _logger = logger;
        _pump = Task.Run(PumpAsync);
    }

    /// <summary>The seq of the last event emitted (not necessarily persisted yet).</summary>
    public long LastSeq { get { lock (_lock) return _lastSeq; } }

    public RunEvent Emit(string type, string? itemId, object? data)
    {
        // Seq assignment and enqueue happen under one lock so the queue is in seq order.
        lock (_lock)
        {
            ThrowIfCompleted();
            var e = RunEventFactory.Create(_runId, ++_lastSeq, _time.UtcNow(), type, itemId, data);
            if (itemId is not null) _open.Remove(itemId);
            _pending.Add(e);
            _wake.Writer.TryWrite(true);
            return e;
        }
    }

    /// <summary>
    /// Emits a chunk of generated text read at <paramref name="tMs"/> (ms since the item's t0): appended to the item's
    /// pending delta event when it has one of the same kind, else the start of a new one.
    /// </summary>
    public void EmitDelta(string itemId, string kind, string text, double tMs)
    {
        lock (_lock)
        {
            ThrowIfCompleted();
            if (_open.TryGetValue(itemId,
                out var frame) && frame.Kind == kind && frame.Count < DeltaFrame.MaxChunks && frame.Chars < DeltaFrame.MaxChars)
            {
                frame.Add(text, tMs);
                return;
            }
            frame = new DeltaFrame(++_lastSeq, _time.UtcNow(), itemId, kind);
            frame.Add(text, tMs);
            _open[itemId] = frame;
            _pending.Add(frame);
            _wake.Writer.TryWrite(true);
        }
    }

    private void ThrowIfCompleted()
    {
        if (_completed) throw new InvalidOperationException($"run {_runId}: event emitted after the sink was completed");
    }

    /// <summary>Waits until every event emitted so far is persisted and published; the sink stays open.</summary>
    public Task FlushAsync()
    {
        lock (_lock)
        {
            if (_doneSeq >= _lastSeq) return Task.CompletedTask;
            if (_failure is not null) return Task.FromException(_failure);
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _flushes.Add((_lastSeq, done));
            return done.Task;
        }
    }

    /// <summary>Stops accepting events and waits until every emitted event is persisted and published.</summary>
    public async Task FlushAndCompleteAsync()
    {
        lock (_lock)
        {
            _completed = true;
            _wake.Writer.TryComplete();
        }
        await _pump;
    }

    private async Task PumpAsync()
    {
        try
        {
            var batch = new List<RunEvent>(MaxBatch);
            while (await _wake.Reader.WaitToReadAsync())
            {
                if (_gather > TimeSpan.Zero) await Task.Delay(_gather, _time);
                _wake.Reader.TryRead(out _);
                List<object> taken;
                long upTo;
                lock (_lock)
                {
                    taken = _pending;
                    _pending = [];
                    _open.Clear();
                    upTo = _lastSeq;
                }
                // Taken frames are closed: nothing appends to them any more, so they can be rendered outside the lock.
                for (var i = 0; i < taken.Count; i += MaxBatch)
                {
                    batch.Clear();
                    foreach (var entry in taken.Skip(i).Take(MaxBatch))
                        batch.Add(entry as RunEvent ?? ((DeltaFrame)entry).ToEvent(_runId));
                    await PersistAndPublishAsync(batch);
                }
                Done(upTo, null);
            }
        }
        catch (Exception e)
        {
            Done(long.MaxValue, e);
            throw;
        }
    }

    private void Done(long seq, Exception? failure)
    {
        lock (_lock)
        {
            if (failure is null) _doneSeq = seq;
            else _failure = failure;
            foreach (var flush in _flushes.Where(f => f.Seq <= seq).ToList())
            {
                if (failure is null) flush.Done.SetResult();
                else flush.Done.SetException(failure);
                _flushes.Remove(flush);
            }
        }
    }

    private async Task PersistAndPublishAsync(List<RunEvent> batch)
    {
        await PersistWithRetryAsync(batch);
        foreach (var slice in PublishSlices(batch))
        {
            try
            {
                await _publisher.PublishAsync(_runId, new RunEventBatch(slice));
            }
            catch (Exception ex)
            {
                // Subscribers notice the gap and read the missing events from the log.
                _logger.LogWarning(ex, "Run {RunId}: publishing events {From}..{To} failed; subscribers will replay them from the log",
                    _runId, slice[0].Seq, slice[^1].Seq);
            }
        }
    }

    /// <summary>
    /// A persisted batch cut into messages of at most <see cref="MaxPublishChars"/>: the memory stream caches each
    /// message in blocks of 1 MB, and a larger one fails the read of its whole queue (every run's events on it).
    /// </summary>
    public static IEnumerable<RunEvent[]> PublishSlices(IReadOnlyList<RunEvent> batch)
    {
        var start = 0;
        var chars = 0;
        for (var i = 0; i < batch.Count; i++)
        {
            if (i > start && chars + batch[i].Json.Length > MaxPublishChars)
            {
                yield return [.. batch.Skip(start).Take(i - start)];
                start = i;
                chars = 0;
            }
            chars += batch[i].Json.Length;
        }
        if (start < batch.Count) yield return [.. batch.Skip(start)];
    }

    // Characters, so at most ~3 bytes each in UTF-8 (with the envelope of the message well under 1 MB).
    public const int MaxPublishChars = 200_000;

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

    /// <summary>An <c>item.delta</c> event still gathering chunks: <c>{kind, text, t_ms: [..], len: [..]}</c>.</summary>
    private sealed class DeltaFrame(long seq, DateTime ts, string itemId, string kind)
    {
        public const int MaxChunks = 512;
        public const int MaxChars = 16 * 1024;
        private readonly System.Text.StringBuilder _text = new();
        private readonly List<double> _times = new(4);
        private readonly List<int> _lengths = new(4);

        public string Kind => kind;
        public int Count => _times.Count;
        public int Chars => _text.Length;

        public void Add(string text, double tMs)
        {
            _text.Append(text);
            _times.Add(tMs);
            _lengths.Add(text.Length);
        }

        public RunEvent ToEvent(string runId) =>
            RunEventFactory.CreateDelta(runId, seq, ts, itemId, kind, _text.ToString(), _times, _lengths);
    }
}
