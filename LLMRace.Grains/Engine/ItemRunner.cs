using System.Diagnostics;
using System.Text;
using System.Text.Json;
using LLMRace.Grains.Checks;
using LLMRace.Grains.Contracts;
using LLMRace.Grains.Measurement;
using LLMRace.Grains.Providers;
using LLMRace.Grains.Storage;
using LLMRace.Grains.Telemetry;
using Microsoft.Extensions.Logging;
using Polly;

namespace LLMRace.Grains.Engine;

/// <summary>
/// Races one item: one test's prompt streamed from one car. Measures the stream, emits its events,
/// checks the output and stores the outcome. Never throws for a provider's failure: that is the item's error.
/// </summary>
public sealed class ItemRunner(
    RaceEngine engine, RunEventSink sink, string runId, RunItemRow item, TestSnapshot test, CarSnapshot car, ILogger logger)
{
    private readonly StreamMeter _meter = new();
    private readonly StringBuilder _text = new();
    private readonly StringBuilder _reasoning = new();
    private readonly ToolCallAssembler _toolCalls = new();
    private int? _inputTokens;
    private int? _outputTokens;
    private string? _finishReason;
    private JsonElement? _serverTimings;
    private int _retries;

    public async Task<string> RunAsync(CancellationToken runCancel)
    {
        using var activity = RaceTelemetry.Source.StartActivity($"chat {car.Model}", ActivityKind.Client, parentContext: default);
        activity?.SetTag("gen_ai.operation.name", "chat");
        activity?.SetTag("gen_ai.provider.name", car.Connection.Type);
        activity?.SetTag("gen_ai.request.model", car.Model);
        activity?.SetTag("llmrace.run.id", runId);
        activity?.SetTag("llmrace.item.id", item.Id);

        await engine.Runs.MarkItemStartedAsync(item.Id, Clock.NowText());
        sink.Emit(EventTypes.ItemStarted, item.Id, new
        {
            ordinal = item.Ordinal,
            test_id = test.Id,
            test_name = test.Name,
            car_id = car.Id,
            car_name = car.Name,
            model = car.Model,
            repeat_index = item.RepeatIndex,
        });

        string? error = null;
        var status = ItemStatus.Error;
        using var total = CancellationTokenSource.CreateLinkedTokenSource(runCancel);
        total.CancelAfter(car.Connection.TotalTimeout);
        try
        {
            await StreamAsync(total.Token);
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
            logger.LogInformation("Run {RunId} item {ItemId} ({Car}) failed: {Error}", runId, item.Id, car.Name, error);
        }

        var metrics = _meter.Finish(_outputTokens, _inputTokens, _retries);
        var output = _text.ToString();
        var toolCalls = _toolCalls.Build();
        IReadOnlyList<CheckResult> checks = [];
        var parsed = ConstraintParser.Parse(test.ExpectedConstraints);
        if (error is null)
        {
            var subject = new CheckSubject(output, [.. toolCalls.Select(t => t.Name)], metrics);
            checks = [.. parsed.Checks.Select(c => CheckEvaluator.Evaluate(c, subject))];
            status = checks.Any(c => c.Verdict != Verdicts.Pass) ? ItemStatus.Failed : ItemStatus.Passed;
            foreach (var call in toolCalls) sink.Emit(EventTypes.ItemToolCall, item.Id, call);
        }
        else if (status == ItemStatus.Error)
        {
            sink.Emit(EventTypes.ItemError, item.Id, new { message = error, retries = _retries });
        }

        item.Status = status;
        item.Output = output;
        item.Reasoning = _reasoning.Length > 0 ? _reasoning.ToString() : null;
        item.ToolCallsJson = toolCalls.Count > 0 ? RaceJson.Serialize(toolCalls) : null;
        item.Error = error;
        item.MetricsJson = RaceJson.Serialize(metrics);
        item.ChecksJson = RaceJson.Serialize(new { checks, criteria = parsed.Criteria });
        item.ServerTimingsJson = _serverTimings is { } t ? t.GetRawText() : null;
        item.Retries = _retries;
        item.FinishedAt = Clock.NowText();
        await engine.Runs.CompleteItemAsync(item);

        sink.Emit(EventTypes.ItemCompleted, item.Id, new
        {
            status,
            error,
            finish_reason = _finishReason,
            output_chars = output.Length,
            metrics,
            checks,
            criteria = parsed.Criteria,
            server_timings = _serverTimings,
        });
        Record(metrics, status, error, activity);
        return status;
    }

    private async Task StreamAsync(CancellationToken runCancel)
    {
        var provider = ConnectionTypes.ProviderFor(car.Connection.Type)
            ?? throw new ProviderStreamException($"connection type {car.Connection.Type} cannot be raced yet");
        var connection = await engine.Garage.GetConnectionAsync(car.Connection.Id);
        var (_, apiKey) = connection is null ? (AuthSources.None, null) : ApiKeyResolver.Resolve(connection, engine.Secrets);
        // The connection as the run snapshot has it, with the base URL it has now (the Simulator's moves between starts).
        var target = new ProviderTarget(car.Connection.Type, connection?.BaseUrl ?? car.Connection.BaseUrl, apiKey);
        var request = new ChatRequest(car.Model, test.SystemPrompt, test.UserPrompt, car.Params);
        var idleTimeout = car.Connection.FirstTokenTimeout;

        var queued = Stopwatch.GetTimestamp();
        using var slot = await engine.Limiter.AcquireAsync(car.Connection.Id, car.Connection.MaxConcurrency, runCancel);
        _meter.QueueWait(Stopwatch.GetTimestamp() - queued);

        var http = engine.CreateProviderClient();
        var pipeline = ProviderPipeline.Build(car.Connection, idleTimeout, OnRetry);
        await using var stream = await pipeline.ExecuteAsync(
            async ct => await OpenStreamAsync(http, provider, target, request, runCancel, ct), runCancel);

        // Past the first token nothing is retried: a retry would restart the clock mid-measurement.
        var reading = stream.Reading;
        reading.CancelAfter(idleTimeout);
        Consume(stream.First, stream.FirstTimestamp);
        while (true)
        {
            bool more;
            try
            {
                more = await stream.Parts.MoveNextAsync();
            }
            catch (OperationCanceledException) when (!runCancel.IsCancellationRequested)
            {
                throw new TimeoutException($"no data from the server for {idleTimeout.TotalSeconds:0.#} s mid-stream");
            }
            if (!more) break;
            reading.CancelAfter(idleTimeout);
            Consume(stream.Parts.Current, Stopwatch.GetTimestamp());
        }
    }

    /// <summary>Sends the request and reads up to the first content part: the span Polly may retry.</summary>
    private async Task<OpenStream> OpenStreamAsync(
        HttpClient http, IChatProvider provider, ProviderTarget target, ChatRequest request, CancellationToken runCancel, CancellationToken attempt)
    {
        using var message = provider.BuildStreamingRequest(target, request);
        _meter.Start(Stopwatch.GetTimestamp());
        HttpResponseMessage response;
        using (var headers = CancellationTokenSource.CreateLinkedTokenSource(attempt))
        {
            headers.CancelAfter(car.Connection.HeadersTimeout);
            try
            {
                response = await http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, headers.Token);
            }
            catch (OperationCanceledException) when (headers.IsCancellationRequested && !attempt.IsCancellationRequested)
            {
                throw new TimeoutException($"no response headers within {car.Connection.HeadersTimeout.TotalSeconds:0.#} s");
            }
        }
        _meter.Headers(Stopwatch.GetTimestamp());
        // Reads of the body are cancelled through this source: by a cancelled run, a quiet server, or (before the
        // first token) the attempt's timeout. A read is never left pending when the stream is disposed.
        var reading = CancellationTokenSource.CreateLinkedTokenSource(runCancel);
        IAsyncEnumerator<StreamPart>? parts = null;
        try
        {
            if (!response.IsSuccessStatusCode)
            {
                var text = await response.Content.ReadAsStringAsync(attempt);
                throw new ProviderHttpException((int)response.StatusCode, Excerpt.Of(text), RetryAfter(response));
            }
            var body = await response.Content.ReadAsStreamAsync(attempt);
            using var attemptTimeout = attempt.Register(reading.Cancel);
            parts = provider.ParseStreamAsync(body, reading.Token).GetAsyncEnumerator(reading.Token);
            while (await parts.MoveNextAsync())
            {
                var now = Stopwatch.GetTimestamp();
                if (parts.Current.IsContent) return new OpenStream(response, reading, parts, parts.Current, now);
                Consume(parts.Current, now);
            }
            // A stream that ends without content is a complete (empty) answer, not a failure to retry.
            return new OpenStream(response, reading, parts, null, 0);
        }
        catch
        {
            if (parts is not null) await parts.DisposeAsync();
            response.Dispose();
            reading.Dispose();
            throw;
        }
    }

    private void Consume(StreamPart? part, long timestamp)
    {
        switch (part)
        {
            case null:
                return;
            case ContentPart content:
                var first = _meter.Content(timestamp, content.Kind == ContentKind.Text);
                if (first) EmitFirstToken(timestamp, content.Kind == ContentKind.Text ? "text" : "reasoning");
                (content.Kind == ContentKind.Text ? _text : _reasoning).Append(content.Text);
                sink.Emit(EventTypes.ItemDelta, item.Id, new
                {
                    kind = content.Kind == ContentKind.Text ? "text" : "reasoning",
                    text = content.Text,
                    t_ms = Math.Round(_meter.MillisecondsSinceStart(timestamp), 3),
                });
                return;
            case ToolCallDeltaPart call:
                if (_meter.Content(timestamp, false)) EmitFirstToken(timestamp, "tool_call");
                _toolCalls.Add(call);
                return;
            case UsagePart usage:
                _inputTokens = usage.InputTokens ?? _inputTokens;
                _outputTokens = usage.OutputTokens ?? _outputTokens;
                return;
            case ServerTimingsPart timings:
                _serverTimings = timings.Timings;
                return;
            case FinishPart finish:
                _finishReason = finish.Reason;
                return;
        }
    }

    private void EmitFirstToken(long timestamp, string kind)
    {
        var metrics = _meter.Finish(null, null, _retries);
        sink.Emit(EventTypes.ItemFirstToken, item.Id, new
        {
            kind,
            ttft_ms = Math.Round(_meter.MillisecondsSinceStart(timestamp), 3),
            ttfb_ms = metrics.TtfbMs,
            queue_wait_ms = metrics.QueueWaitMs,
        });
    }

    private void OnRetry(int attempt, TimeSpan delay, Exception? reason)
    {
        _retries = attempt;
        RaceTelemetry.Retries.Add(1);
        sink.Emit(EventTypes.ItemRetry, item.Id, new
        {
            attempt,
            delay_ms = Math.Round(delay.TotalMilliseconds, 3),
            reason = reason is null ? "unknown" : Describe(reason),
        });
    }

    private static TimeSpan? RetryAfter(HttpResponseMessage response)
    {
        var header = response.Headers.RetryAfter;
        if (header?.Delta is { } delta) return delta;
        if (header?.Date is { } date) return date - DateTimeOffset.UtcNow;
        return null;
    }

    private static string Describe(Exception e) => e switch
    {
        ProviderHttpException or ProviderStreamException or TimeoutException or Security.SecretUnreadableException => e.Message,
        HttpRequestException { InnerException: System.Security.Authentication.AuthenticationException } h => $"TLS handshake failed: {h.InnerException!.Message}",
        Polly.Timeout.TimeoutRejectedException t => $"no first token within {t.Timeout.TotalSeconds:0.#} s",
        HttpRequestException h when h.InnerException is System.Net.Sockets.SocketException s => $"cannot reach the server: {s.Message}",
        HttpRequestException h => $"request failed: {h.Message}",
        IOException io => $"the connection broke mid-stream: {io.Message}",
        _ => $"{e.GetType().Name}: {e.Message}",
    };

    private void Record(ItemMetrics metrics, string status, string? error, Activity? activity)
    {
        var model = new KeyValuePair<string, object?>("gen_ai.request.model", car.Model);
        var provider = new KeyValuePair<string, object?>("gen_ai.provider.name", car.Connection.Type);
        var operation = new KeyValuePair<string, object?>("gen_ai.operation.name", "chat");
        if (metrics.E2eMs is { } e2e) RaceTelemetry.OperationDuration.Record(e2e / 1000, operation, provider, model);
        if (metrics.TtftMs is { } ttft) RaceTelemetry.TimeToFirstToken.Record(ttft / 1000, operation, provider, model);
        if (metrics.TpotMs is { } tpot) RaceTelemetry.TimePerOutputToken.Record(tpot / 1000, operation, provider, model);
        if (metrics.InputTokens is { } input)
            RaceTelemetry.TokenUsage.Record(input, operation, provider, model, new("gen_ai.token.type", "input"));
        if (metrics.ContentChunks > 0)
            RaceTelemetry.TokenUsage.Record(metrics.OutputTokens, operation, provider, model, new("gen_ai.token.type", "output"));
        RaceTelemetry.ItemsFinished.Add(1, new KeyValuePair<string, object?>("llmrace.item.status", status), model);
        activity?.SetTag("llmrace.item.status", status);
        if (error is not null) activity?.SetStatus(ActivityStatusCode.Error, error);
    }

    private sealed class OpenStream(
        HttpResponseMessage response, CancellationTokenSource reading, IAsyncEnumerator<StreamPart> parts, StreamPart? first, long firstTimestamp)
        : IAsyncDisposable
    {
        public CancellationTokenSource Reading => reading;
        public IAsyncEnumerator<StreamPart> Parts => parts;
        public StreamPart? First => first;
        public long FirstTimestamp => firstTimestamp;

        public async ValueTask DisposeAsync()
        {
            await parts.DisposeAsync();
            response.Dispose();
            reading.Dispose();
        }
    }
}
