using System.Diagnostics;
using LLMRace.Grains.Contracts;
using LLMRace.Grains.Engine;
using LLMRace.Grains.Measurement;
using LLMRace.Grains.Storage;
using LLMRace.Grains.Telemetry;
using Microsoft.Extensions.Logging;

namespace LLMRace.Grains.Load;

/// <summary>
/// Runs one load test on the thread pool, off its grain's turn: the steps of its profile, one after another, each
/// request summed up in a <c>load.request</c> event, each second of a step in a <c>load.second</c>, each step's figures
/// in a <c>load.step</c>, and for the slo profile the verdict, in the run's own event log.
/// </summary>
public sealed class LoadTestExecutor : RunWork
{
    private readonly RaceEngine _engine;
    private readonly RunRow _run;
    private readonly RunSnapshot _snapshot;
    private readonly LoadProfile _profile;
    private readonly ILogger _logger;
    private RunEventSink? _sink;
    private int _requestsDone;
    private string _status;

    // A tenth of the live curve's second: invisible there, and a load test's events cost a write and a message per 50 ms.
    private static readonly TimeSpan EventGathering = TimeSpan.FromMilliseconds(50);

    public LoadTestExecutor(RaceEngine engine, RunRow run)
    {
        _engine = engine;
        _run = run;
        _snapshot = RaceJson.Deserialize<RunSnapshot>(run.SnapshotJson)
            ?? throw new InvalidOperationException($"run {run.Id} has no snapshot");
        _profile = RaceJson.Deserialize<LoadProfile>(run.SettingsJson)
            ?? throw new InvalidOperationException($"run {run.Id} has no profile");
        _logger = engine.CreateLogger<LoadTestExecutor>();
        _status = run.Status;
    }

    public override RunProgress Progress => new(_run.Id, Volatile.Read(ref _status), _run.ItemsTotal, Volatile.Read(ref _requestsDone),
        _sink?.LastSeq ?? 0);

    /// <summary>A load test is not handed over: its figures would mix two machines. It ends interrupted.</summary>
    public override void HandOver() => Interrupt();

    protected override async Task RunAsync()
    {
        var lastSeq = await _engine.Events.LastSeqAsync(_run.Id);
        _sink = new RunEventSink(_run.Id, lastSeq, _engine.Events, _engine.Publisher, _engine.Time, _logger, EventGathering);
        var outcome = RunStatus.Completed;
        string? error = null;
        LoadVerdict? verdict = null;
        var steps = new List<LoadStepFigures>();
        var started = Stopwatch.GetTimestamp();
        try
        {
            await _engine.Runs.MarkStartedAsync(_run.Id, _engine.Time.NowText());
            Volatile.Write(ref _status, RunStatus.Running);
            RaceTelemetry.RunsStarted.Add(1);
            var car = _snapshot.Cars[0];
            _sink.Emit(EventTypes.RunStarted, null, new
            {
                kind = RunKinds.Load,
                suite_id = _snapshot.Suite.Id,
                suite_name = _snapshot.Suite.Name,
                items_total = 0,
                profile = _profile,
                cars = new[] { new { id = car.Id, name = car.Name, model = car.Model, connection_type = car.Connection.Type } },
            });
            var target = await TargetAsync(car);
            var tests = Order(_snapshot.Suite.Tests, _profile.Seed);
            verdict = await LoadSteps.RunAsync(_profile, async step =>
            {
                var figures = await RunStepAsync(step, target, tests);
                steps.Add(figures);
                return figures;
            }, Cancellation);
            if (verdict is not null) _sink.Emit(EventTypes.LoadVerdict, null, verdict);
            if (CancelRequested) outcome = RunStatus.Cancelled;
        }
        catch (OperationCanceledException) when (CancelRequested)
        {
            outcome = RunStatus.Cancelled;
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Load test {RunId} failed", _run.Id);
            outcome = RunStatus.Failed;
            error = e.Message;
        }
        if (outcome == RunStatus.Cancelled && Interrupted)
        {
            outcome = RunStatus.Interrupted;
            error = RunExecutor.RunRecoveryReason;
        }
        try
        {
            await _engine.Runs.SetItemsDoneAsync(_run.Id, Volatile.Read(ref _requestsDone));
            // The report is read from the events: every step's must be in the log before the run shows it finished.
            await _sink.FlushAsync();
            await _engine.Runs.MarkFinishedAsync(_run.Id, outcome, error, _engine.Time.NowText());
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
                kind = RunKinds.Load,
                requests = Volatile.Read(ref _requestsDone),
                steps = steps.Count,
                verdict,
                duration_ms = Math.Round(Stopwatch.GetElapsedTime(started).TotalMilliseconds, 3),
            });
        }
        finally
        {
            await _sink.FlushAndCompleteAsync();
        }
    }

    private async Task<LoadTarget> TargetAsync(CarSnapshot car) =>
        new(car, car.Connection with { MaxRetries = 0 }, _engine.ConnectionTypes.ProviderFor(car.Connection.Type),
            await _engine.TargetOfAsync(car.Connection), _engine.CreateStreamClient(), _engine.Limits.ChecksBudget,
            _engine.Limits.MaxOutputChars);

    /// <summary>The suite's tests in a seeded order, cycled through by every step.</summary>
    private static PreparedTest[] Order(IReadOnlyList<TestSnapshot> tests, int seed)
    {
        var order = tests.OrderBy(t => t.OrderIndex).Select(t => new PreparedTest(t)).ToArray();
        new Random(seed).Shuffle(order);
        return order;
    }

    private async Task<LoadStepFigures> RunStepAsync(LoadStep step, LoadTarget target, PreparedTest[] tests)
    {
        _sink!.Emit(EventTypes.LoadStepStarted, null, step);
        var runner = new LoadStepRunner(i => tests[i % tests.Length], test => new LoadRequest(target, test));
        var tally = new LoadStepTally(_profile.Slo);
        var second = new LoadSecondTally();
        using var ticking = new CancellationTokenSource();
        var ticker = TickAsync(step, runner, second, ticking.Token);
        try
        {
            await runner.RunAsync(step, result =>
            {
                Interlocked.Increment(ref _requestsDone);
                tally.Add(result);
                second.Add(result);
                _sink.Emit(EventTypes.LoadRequest, null, RequestEvent(result));
            }, Cancellation);
        }
        finally
        {
            ticking.Cancel();
            await ticker;
        }
        var figures = tally.Figures(step, runner.PeakConcurrency);
        _sink.Emit(EventTypes.LoadStepCompleted, null, figures);
        await _engine.Runs.SetItemsDoneAsync(_run.Id, Volatile.Read(ref _requestsDone));
        return figures;
    }

    /// <summary>Every second of the step, what finished in it: the live curve's points, one event a second at any rate.</summary>
    private async Task TickAsync(LoadStep step, LoadStepRunner runner, LoadSecondTally finished, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _engine.Time);
        var second = 0;
        while (true)
        {
            var more = true;
            try { await timer.WaitForNextTickAsync(ct); }
            catch (OperationCanceledException) { more = false; }
            if (finished.Any || more)
            {
                var (completed, errors, passed, outputTokens, ttftP50) = finished.Take();
                _sink!.Emit(EventTypes.LoadSecond, null, new
                {
                    step = step.Index,
                    second = ++second,
                    completed,
                    errors,
                    passed,
                    output_tokens = outputTokens,
                    in_flight = runner.InFlight,
                    ttft_p50_ms = ttftP50,
                });
            }
            if (!more) return;
        }
    }

    private static object RequestEvent(LoadRequestResult r) => new
    {
        step = r.Step,
        index = r.Index,
        test_id = r.TestId,
        scheduled_ms = r.ScheduledMs,
        sent_ms = r.SentMs,
        schedule_error_ms = r.ScheduleErrorMs,
        measured = r.Measured,
        status = r.Status,
        error_kind = r.ErrorKind,
        error = r.Error,
        ttfb_ms = r.Metrics.TtfbMs,
        ttft_ms = r.Metrics.TtftMs,
        tpot_ms = r.Metrics.TpotMs,
        e2e_ms = r.Metrics.E2eMs,
        itl_p50_ms = r.Metrics.ItlP50Ms,
        itl_p99_ms = r.Metrics.ItlP99Ms,
        output_tokens = r.Metrics.OutputTokens,
        input_tokens = r.Metrics.InputTokens,
        checks_passed = r.ChecksPassed,
        checks_total = r.ChecksTotal,
        timing_source = r.Metrics.TimingSource,
        coalesced_chunks = r.Metrics.CoalescedChunks,
        server_request_id = r.Metrics.ServerRequestId,
        server_timings = r.ServerTimings,
    };
}
