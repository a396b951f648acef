using System.Diagnostics;
using System.Text;
using System.Text.Json;
using LLMRace.Grains.Checks;
using LLMRace.Grains.Contracts;
using LLMRace.Grains.Measurement;
using LLMRace.Grains.Providers;
using LLMRace.Grains.Storage;
using LLMRace.Grains.Suites;
using LLMRace.Grains.Telemetry;
using Microsoft.Extensions.Logging;

namespace LLMRace.Grains.Engine;

/// <summary>
/// Races one item: one test's prompt streamed from one car, turn by turn through its <see cref="ToolLoop"/>. Measures
/// each stream and emits its events; <see cref="ItemOutcome"/> checks and stores what came of it. Never throws for a
/// provider's failure: that is the item's error.
/// </summary>
public sealed class ItemRunner(
    RaceEngine engine, RunEventSink sink, string runId, RunItemRow item, PreparedTest prepared, CarSnapshot car, ILogger logger)
    : IStreamObserver
{
    private readonly TestSnapshot _test = prepared.Snapshot;
    private readonly List<RaceTurn> _turns = [];
    private readonly ToolLoop _tools = new(sink, item.Id, prepared.Tools, prepared.Snapshot.MaxToolTurns);
    private int _retries;
    private long _queueWait;
    private bool _keyPresent;
    private long _outputChars;

    private RaceTurn Current => _turns[^1];

    public async Task<string> RunAsync(CancellationToken runCancel)
    {
        using var activity = RaceTelemetry.Source.StartActivity($"chat {car.Model}", ActivityKind.Client, parentContext: default);
        activity?.SetTag("gen_ai.operation.name", "chat");
        activity?.SetTag("gen_ai.provider.name", car.Connection.Type);
        activity?.SetTag("gen_ai.request.model", car.Model);
        activity?.SetTag("llmrace.run.id", runId);
        activity?.SetTag("llmrace.item.id", item.Id);

        await engine.Runs.MarkItemStartedAsync(item.Id, engine.Time.NowText());
        sink.Emit(EventTypes.ItemStarted, item.Id, new
        {
            ordinal = item.Ordinal,
            test_id = _test.Id,
            test_name = _test.Name,
            car_id = car.Id,
            car_name = car.Name,
            model = car.Model,
            repeat_index = item.RepeatIndex,
        });

        string? error = null;
        string? hint = null;
        var status = ItemStatus.Error;
        using var total = CancellationTokenSource.CreateLinkedTokenSource(runCancel);
        total.CancelAfter(car.Connection.TotalTimeout);
        try
        {
            await RaceTurnsAsync(total.Token);
        }
        catch (OperationCanceledException) when (runCancel.IsCancellationRequested)
        {
            status = ItemStatus.Cancelled;
            error = "cancelled";
        }
        catch (OperationCanceledException) when (total.IsCancellationRequested)
        {
            error = $"the item took longer than its total limit of {car.Connection.TotalTimeout.TotalSeconds:0.#} s (total_timeout_s)";
        }
        catch (Exception e)
        {
            error = Describe(e);
            hint = Hint(e);
            logger.LogInformation("Run {RunId} item {ItemId} ({Car}) failed: {Error}", runId, item.Id, car.Name, error);
        }
        // With inline socket completions (see AppHost.cs) the stream's last read may have resumed us on the socket
        // engine's thread; the checks and the database writes that follow belong on the thread pool.
        await Task.Yield();

        return await new ItemOutcome(engine, sink, item, prepared, car)
            .StoreAsync(new RacedItem(_turns, _tools.Calls, _tools.Results, _retries, _queueWait, hint), status, error, activity);
    }

    /// <summary>One request, or, for a test with tools, one per turn until the model stops calling them.</summary>
    private async Task RaceTurnsAsync(CancellationToken ct)
    {
        var provider = engine.ConnectionTypes.ProviderFor(car.Connection.Type);
        var target = await engine.TargetOfAsync(car.Connection);
        _keyPresent = !string.IsNullOrEmpty(target.ApiKey) || !string.IsNullOrEmpty(target.BasicCredentials);

        var queued = Stopwatch.GetTimestamp();
        using var slot = await engine.Limiter.AcquireAsync(car.Connection.Id, car.Connection.MaxConcurrency, ct);
        _queueWait = Stopwatch.GetTimestamp() - queued;
        var client = engine.CreateStreamClient();

        await _tools.RunAsync(async (history, turnCt) =>
        {
            _turns.Add(new RaceTurn());
            var request = new ChatRequest(car.Model, _test.SystemPrompt, _test.UserPrompt, car.Params) { Tools = prepared.Tools,
                History = history };
            await client.StreamAsync(provider, target, request, car.Connection, this, turnCt);
            return (Current.Text.ToString(), Current.ToolCalls.Build());
        }, ct);
    }

    void IStreamObserver.Sending(long timestamp) => Current.Meter.Start(timestamp);

    void IStreamObserver.Sent(long timestamp, bool kernel) => Current.Meter.Sent(timestamp, kernel);

    void IStreamObserver.Headers(long timestamp, HttpResponseMessage response)
    {
        Current.Meter.Headers(timestamp);
        Current.ServerRequestId = ProviderStreamClient.RequestId(response);
    }

    void IStreamObserver.Part(StreamPart part, Timing.ChunkTime time) => Consume(part, time);

    void IStreamObserver.Retrying(int attempt, TimeSpan delay, Exception? reason) => OnRetry(attempt, delay, reason);

    private void Consume(StreamPart part, Timing.ChunkTime time)
    {
        var timestamp = time.Timestamp;
        var turn = Current;
        switch (part)
        {
            case ContentPart content:
                CountOutput(content.Text.Length);
                var first = turn.Meter.Content(time, content.Kind == ContentKind.Text);
                if (first) EmitFirstToken(timestamp, content.Kind == ContentKind.Text ? "text" : "reasoning");
                (content.Kind == ContentKind.Text ? turn.Text : turn.Reasoning).Append(content.Text);
                sink.EmitDelta(item.Id, content.Kind == ContentKind.Text ? "text" : "reasoning", content.Text, SinceItemStart(timestamp));
                return;
            case ToolCallDeltaPart call:
                CountOutput((call.ArgumentsFragment?.Length ?? 0) + (call.Name?.Length ?? 0));
                if (turn.Meter.Content(time, false)) EmitFirstToken(timestamp, "tool_call");
                turn.ToolCalls.Add(call);
                return;
            case UsagePart usage:
                turn.InputTokens = usage.InputTokens ?? turn.InputTokens;
                turn.OutputTokens = usage.OutputTokens ?? turn.OutputTokens;
                return;
            case ServerTimingsPart timings:
                turn.ServerTimings = timings.Timings;
                return;
            case FinishPart finish:
                turn.FinishReason = finish.Reason;
                return;
        }
    }

    /// <summary>Stops the item once its output passes the limit; what came before the part that passed it is kept.</summary>
    private void CountOutput(int chars)
    {
        _outputChars += chars;
        if (_outputChars > engine.Limits.MaxOutputChars)
            throw new ProviderStreamException(
                $"the output passed the limit of {engine.Limits.MaxOutputChars:N0} characters per item (LLMRACE_MAX_OUTPUT_CHARS): the " +
                    $"item was stopped there");
    }

    private double SinceItemStart(long timestamp) => Math.Round(StreamMeter.ToMs(timestamp - _turns[0].Meter.T0), 3);

    /// <summary>The item's TTFT: the first content of its first turn (later turns' first tokens are not the item's).</summary>
    private void EmitFirstToken(long timestamp, string kind)
    {
        if (_turns.Count > 1) return;
        var meter = Current.Meter;
        sink.Emit(EventTypes.ItemFirstToken, item.Id, new
        {
            kind,
            ttft_ms = SinceItemStart(timestamp),
            ttfb_ms = meter.HeadersAt is { } h ? Math.Round(StreamMeter.ToMs(h - meter.T0), 3) : (double?)null,
            queue_wait_ms = Math.Round(StreamMeter.ToMs(_queueWait), 3),
        });
    }

    private void OnRetry(int attempt, TimeSpan delay, Exception? reason)
    {
        _retries++;
        RaceTelemetry.Retries.Add(1);
        sink.Emit(EventTypes.ItemRetry, item.Id, new
        {
            attempt,
            turn = _turns.Count,
            delay_ms = Math.Round(delay.TotalMilliseconds, 3),
            reason = reason is null ? "unknown" : Describe(reason),
        });
    }

    /// <summary>What to fix, as Verify Runtime would say it; none where the error already says all there is.</summary>
    private string? Hint(Exception e)
    {
        var failure = ProviderAdvice.Classify(e);
        if (failure is ProviderFailure.BadResponse or ProviderFailure.Other) return null;
        var connection = car.Connection;
        return ProviderAdvice.Hints(failure, new ConnectionFacts(connection.Type, connection.BaseUrl, connection.TimeoutS, _keyPresent,
            null, engine.ConnectionTypes.Find(connection.Type)?.BaseUrlAdvice ?? "")).FirstOrDefault();
    }

    private static string Describe(Exception e) => e switch
    {
        ProviderHttpException or ProviderStreamException or TimeoutException or Security.SecretUnreadableException => e.Message,
        HttpRequestException { InnerException: System.Security.Authentication.AuthenticationException } h => $"TLS handshake failed: " +
            $"{h.InnerException!.Message}",
        Polly.Timeout.TimeoutRejectedException t => $"no first token within {t.Timeout.TotalSeconds:0.#} s",
        HttpRequestException h when h.InnerException is System.Net.Sockets.SocketException s => $"cannot reach the server: {s.Message}",
        HttpRequestException h => $"request failed: {h.Message}",
        IOException io => $"the connection broke mid-stream: {io.Message}",
        _ => $"{e.GetType().Name}: {e.Message}",
    };
}
