using LLMRace.Grains.Contracts;
using LLMRace.Grains.Storage;
using LLMRace.Grains.Telemetry;
using Microsoft.Extensions.Logging;

namespace LLMRace.Grains.Engine;

/// <summary>
/// Races one run on the thread pool, off the grain's turn, so the grain keeps answering progress and
/// cancel calls while its items stream. Items start in the run's order (by test, then car, then
/// repeat), at most <see cref="RunSettings.Concurrency"/> at a time.
/// </summary>
public sealed class RunExecutor : RunWork
{
    private readonly RaceEngine _engine;
    private readonly RunRow _run;
    private readonly RunSnapshot _snapshot;
    private readonly ILogger _logger;
    private RunEventSink? _sink;
    private int _itemsDone;
    private string _status;

    private readonly IReadOnlySet<string> _takenOver;

    /// <param name="takenOver">Items that were in flight on a silo that was lost or handed the run over: raced again here.</param>
    public RunExecutor(RaceEngine engine, RunRow run, IReadOnlySet<string>? takenOver = null)
    {
        _takenOver = takenOver ?? new HashSet<string>();
        _engine = engine;
        _run = run;
        _snapshot = RaceJson.Deserialize<RunSnapshot>(run.SnapshotJson)
            ?? throw new InvalidOperationException($"run {run.Id} has no snapshot");
        _logger = engine.CreateLogger<RunExecutor>();
        _status = run.Status;
        _itemsDone = run.ItemsDone;
    }

    public override RunProgress Progress => new(_run.Id, Volatile.Read(ref _status), _run.ItemsTotal, Volatile.Read(ref _itemsDone),
        _sink?.LastSeq ?? 0);

    /// <summary>
    /// Stops racing here because this silo is leaving a cluster: the run is not finished and its log not closed; the items
    /// in flight end cancelled, and the silo that takes the run over races them again.
    /// </summary>
    public override void HandOver()
    {
        Volatile.Write(ref _handingOver, true);
        Cancel();
    }

    private bool _handingOver;

    public const string RunRecoveryReason = "the Api stopped while this run was in progress";

    protected override async Task RunAsync()
    {
        var lastSeq = await _engine.Events.LastSeqAsync(_run.Id);
        _sink = new RunEventSink(_run.Id, lastSeq, _engine.Events, _engine.Publisher, _engine.Time, _logger);
        var outcome = RunStatus.Completed;
        string? error = null;
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        using var beating = new CancellationTokenSource();
        var heartbeat = _engine.Topology.Clustered ? BeatAsync(beating.Token) : Task.CompletedTask;
        try
        {
            await _engine.Runs.MarkStartedAsync(_run.Id, _engine.Time.NowText());
            Volatile.Write(ref _status, RunStatus.Running);
            RaceTelemetry.RunsStarted.Add(1);
            _sink.Emit(EventTypes.RunStarted, null, new
            {
                resumed = _itemsDone > 0 || lastSeq > 0,
                suite_id = _snapshot.Suite.Id,
                suite_name = _snapshot.Suite.Name,
                items_total = _run.ItemsTotal,
                settings = _snapshot.Settings,
                cars = _snapshot.Cars.Select(c => new { id = c.Id, name = c.Name, model = c.Model, connection_type = c.Connection.Type }),
            });

            var items = await _engine.Runs.GetItemsAsync(_run.Id);
            await RaceItemsAsync(items.Where(i => i.Status == ItemStatus.Pending).ToList());
            if (CancelRequested) outcome = RunStatus.Cancelled;
        }
        catch (OperationCanceledException) when (CancelRequested)
        {
            outcome = RunStatus.Cancelled;
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Run {RunId} failed", _run.Id);
            outcome = RunStatus.Failed;
            error = e.Message;
        }
        if (outcome == RunStatus.Cancelled && Volatile.Read(ref _handingOver))
        {
            await _sink.FlushAndCompleteAsync();
            beating.Cancel();
            await heartbeat;
            // Silent at once: the silo that takes the run over need not wait for the heartbeat to go stale.
            await _engine.Runs.HeartbeatAsync(_run.Id, null);
            return;
        }
        if (outcome == RunStatus.Cancelled && Interrupted)
        {
            outcome = RunStatus.Interrupted;
            error = RunRecoveryReason;
        }

        try
        {
            await _engine.Runs.MarkFinishedAsync(_run.Id, outcome, error, _engine.Time.NowText());
            var items = await _engine.Runs.GetItemsAsync(_run.Id);
            Volatile.Write(ref _status, outcome);
            RaceTelemetry.RunsFinished.Add(1, new KeyValuePair<string, object?>("llmrace.run.status", outcome));
            _sink.Emit(outcome switch
            {
                RunStatus.Completed => EventTypes.RunCompleted,
                RunStatus.Cancelled => EventTypes.RunCancelled,
                _ => EventTypes.RunFailed,
            }, null, new
            {
                status = outcome,
                error,
                items_total = _run.ItemsTotal,
                items_done = items.Count(i => i.Status is ItemStatus.Passed or ItemStatus.Failed or ItemStatus.Error),
                passed = items.Count(i => i.Status == ItemStatus.Passed),
                failed = items.Count(i => i.Status == ItemStatus.Failed),
                errors = items.Count(i => i.Status == ItemStatus.Error),
                cancelled = items.Count(i => i.Status == ItemStatus.Cancelled),
                duration_ms = Math.Round(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds, 3),
            });
        }
        finally
        {
            await _sink.FlushAndCompleteAsync();
            beating.Cancel();
            await heartbeat;
        }
    }

    /// <summary>Says in the store, every couple of seconds while the run races here, that this silo races it.</summary>
    private async Task BeatAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(RaceTopology.Heartbeat, _engine.Time);
        do
        {
            try
            {
                await _engine.Runs.HeartbeatAsync(_run.Id, _engine.Time.NowText());
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                _logger.LogWarning(e, "Run {RunId}: its heartbeat could not be written; retrying", _run.Id);
            }
        }
        while (await WaitAsync(timer, ct));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try { return await timer.WaitForNextTickAsync(ct); }
        catch (OperationCanceledException) { return false; }
    }

    private async Task RaceItemsAsync(List<RunItemRow> items)
    {
        var tests = _snapshot.Suite.Tests.ToDictionary(t => t.Id, t => new PreparedTest(t));
        var cars = _snapshot.Cars.ToDictionary(c => c.Id);
        var concurrency = Math.Clamp(_snapshot.Settings.Concurrency, 1, RunSettings.MaxConcurrency);
        using var slots = new SemaphoreSlim(concurrency, concurrency);
        var running = new List<Task>();
        foreach (var item in items)
        {
            try
            {
                await slots.WaitAsync(Cancellation);
            }
            catch (OperationCanceledException)
            {
                break;
            }
            if (_takenOver.Contains(item.Id))
                _sink!.Emit(EventTypes.ItemRetry, item.Id, new
                {
                    attempt = 1, turn = 0, delay_ms = 0.0, taken_over = true,
                    reason = "the silo racing it was lost or left the cluster: raced again from the start on another",
                });
            var runner = new ItemRunner(_engine, _sink!, _run.Id, item, tests[item.TestId], cars[item.CarId], _logger);
            running.Add(Task.Run(async () =>
            {
                try
                {
                    await runner.RunAsync(Cancellation);
                    Interlocked.Increment(ref _itemsDone);
                }
                finally
                {
                    slots.Release();
                }
            }));
        }
        await Task.WhenAll(running);
    }
}
