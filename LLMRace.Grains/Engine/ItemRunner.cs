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
/// Races one item: one test's prompt streamed from one car. Measures the stream, emits its events, runs the
/// tool loop (answering each call with the test's mock, for a bounded number of turns), checks the output
/// and stores the outcome. Never throws for a provider's failure: that is the item's error.
/// </summary>
public sealed class ItemRunner(
    RaceEngine engine, RunEventSink sink, string runId, RunItemRow item, PreparedTest prepared, CarSnapshot car, ILogger logger)
{
    private readonly TestSnapshot _test = prepared.Snapshot;
    private readonly List<Turn> _turns = [];
    private readonly List<ToolCall> _allCalls = [];
    private readonly List<ToolResult> _allResults = [];
    private int _retries;
    private long _queueWait;
    private long _outputChars;

    /// <summary>One request of the item and what it streamed.</summary>
    private sealed class Turn
    {
        public StreamMeter Meter { get; } = new();
        public StringBuilder Text { get; } = new();
        public StringBuilder Reasoning { get; } = new();
        public ToolCallAssembler ToolCalls { get; } = new();
        public int? InputTokens { get; set; }
        public int? OutputTokens { get; set; }
        public string? FinishReason { get; set; }
        public JsonElement? ServerTimings { get; set; }
        public string? ServerRequestId { get; set; }
    }

    private Turn Current => _turns[^1];

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
            test_id = _test.Id,
            test_name = _test.Name,
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
            logger.LogInformation("Run {RunId} item {ItemId} ({Car}) failed: {Error}", runId, item.Id, car.Name, error);
        }
        // With inline socket completions (see AppHost.cs) the stream's last read may have resumed us on the socket
        // engine's thread; the checks and the database writes that follow belong on the thread pool.
        await Task.Yield();

        if (_turns.Count == 0) _turns.Add(new Turn());
        _turns[0].Meter.QueueWait(_queueWait);
        var metrics = TurnMetrics.Combine([.. _turns.Select(t => new MeasuredTurn(t.Meter, t.OutputTokens, t.InputTokens))], _retries)
            with { ServerRequestId = _turns[0].ServerRequestId };
        var output = string.Concat(_turns.Select(t => t.Text.ToString()));
        var reasoning = string.Concat(_turns.Select(t => t.Reasoning.ToString()));
        var calls = _allCalls;
        IReadOnlyList<CheckResult> checks = [];
        var parsed = prepared.Constraints;
        if (error is null)
        {
            var subject = new CheckSubject(output, [.. calls.Select(t => t.Name)], metrics);
            checks = CheckEvaluator.EvaluateAll(parsed.Checks, subject, engine.Limits.ChecksBudget);
            status = checks.Any(c => c.Verdict != Verdicts.Pass) ? ItemStatus.Failed : ItemStatus.Passed;
        }
        else if (status == ItemStatus.Error)
        {
            sink.Emit(EventTypes.ItemError, item.Id, new { message = error, retries = _retries });
        }

        var serverTimings = _turns.Select(t => t.ServerTimings).LastOrDefault(t => t is not null);
        item.Status = status;
        item.Output = output;
        item.Reasoning = reasoning.Length > 0 ? reasoning : null;
        item.ToolCallsJson = calls.Count > 0
            ? RaceJson.Serialize(calls.Select(c => new { c.Index, c.Id, c.Name, c.Arguments, result = _allResults.FirstOrDefault(r => r.CallId == ToolJson.CallId(c)) }))
            : null;
        item.Error = error;
        item.MetricsJson = RaceJson.Serialize(metrics);
        item.ChecksJson = RaceJson.Serialize(new { checks, criteria = parsed.Criteria });
        item.ServerTimingsJson = serverTimings?.GetRawText();
        item.Retries = _retries;
        item.FinishedAt = Clock.NowText();
        await engine.Runs.CompleteItemAsync(item);

        sink.Emit(EventTypes.ItemCompleted, item.Id, new
        {
            status,
            error,
            finish_reason = _turns[^1].FinishReason,
            output_chars = output.Length,
            metrics,
            checks,
            criteria = parsed.Criteria,
            server_timings = serverTimings,
        });
        Record(metrics, status, error, activity);
        return status;
    }

    /// <summary>One request, or, for a test with tools, one per turn until the model stops calling them.</summary>
    private async Task RaceTurnsAsync(CancellationToken ct)
    {
        var provider = ConnectionTypes.ProviderFor(car.Connection.Type)
            ?? throw new ProviderStreamException($"connection type {car.Connection.Type} cannot be raced");
        var target = await engine.TargetOfAsync(car.Connection);
        var tools = prepared.Tools;
        var maxTurns = tools.Count > 0 ? _test.MaxToolTurns ?? ToolDefinition.DefaultMaxTurns : 1;
        var history = new List<ToolExchange>();

        var queued = Stopwatch.GetTimestamp();
        using var slot = await engine.Limiter.AcquireAsync(car.Connection.Id, car.Connection.MaxConcurrency, ct);
        _queueWait = Stopwatch.GetTimestamp() - queued;
        var http = engine.CreateProviderClient();

        for (var turn = 1; turn <= maxTurns; turn++)
        {
            _turns.Add(new Turn());
            var request = new ChatRequest(car.Model, _test.SystemPrompt, _test.UserPrompt, car.Params) { Tools = tools, History = [.. history] };
            await StreamTurnAsync(http, provider, target, request, ct);

            var calls = Current.ToolCalls.Build();
            if (calls.Count == 0) break;
            if (tools.Count == 0)
            {
                // Calls to tools the test never offered are recorded, not answered.
                foreach (var call in calls)
                {
                    _allCalls.Add(call);
                    sink.Emit(EventTypes.ItemToolCall, item.Id, new { turn, index = call.Index, id = call.Id, name = call.Name, arguments = call.Arguments });
                }
                break;
            }
            var results = new List<ToolResult>();
            foreach (var call in calls)
            {
                _allCalls.Add(call);
                sink.Emit(EventTypes.ItemToolCall, item.Id, new { turn, index = call.Index, id = call.Id, name = call.Name, arguments = call.Arguments });
                var result = Answer(call, tools);
                results.Add(result);
                _allResults.Add(result);
                sink.Emit(EventTypes.ItemToolResult, item.Id, new { turn, id = result.CallId, name = result.Name, content = result.Content, is_error = result.IsError });
            }
            history.Add(new ToolExchange(Current.Text.ToString(), calls, results));
        }
    }

    /// <summary>A call answered with the tool's mock; a call to an unknown tool, or with arguments that fail its schema, gets an error result.</summary>
    private static ToolResult Answer(ToolCall call, IReadOnlyList<ToolDefinition> tools)
    {
        var id = ToolJson.CallId(call);
        static string Error(string message) => RaceJson.Serialize(new { error = message });
        if (tools.FirstOrDefault(t => t.Name == call.Name) is not { } tool)
            return new ToolResult(id, call.Name, Error($"unknown tool '{call.Name}': the tools are {string.Join(", ", tools.Select(t => t.Name))}"), true);
        JsonDocument arguments;
        try
        {
            arguments = JsonDocument.Parse(string.IsNullOrWhiteSpace(call.Arguments) ? "{}" : call.Arguments);
        }
        catch (JsonException)
        {
            return new ToolResult(id, call.Name, Error($"the arguments are not valid JSON: {Excerpt.Of(call.Arguments, 100)}"), true);
        }
        using (arguments)
        {
            try
            {
                if (tool.Schema is { } schema && JsonSchemas.FirstProblem(schema, arguments.RootElement) is { } problem)
                    return new ToolResult(id, call.Name, Error($"the arguments do not match the tool's parameters {problem}"), true);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                return new ToolResult(id, call.Name, Error($"the arguments could not be checked against the tool's parameters: {e.Message}"), true);
            }
        }
        return new ToolResult(id, call.Name, tool.MockResult, false);
    }

    private async Task StreamTurnAsync(HttpClient http, IChatProvider provider, ProviderTarget target, ChatRequest request, CancellationToken ct)
    {
        var idleTimeout = car.Connection.FirstTokenTimeout;
        var pipeline = ProviderPipeline.Build(car.Connection, idleTimeout, OnRetry);
        await using var stream = await pipeline.ExecuteAsync(
            async attempt => await OpenStreamAsync(http, provider, target, request, ct, attempt), ct);

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
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
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
        HttpClient http, IChatProvider provider, ProviderTarget target, ChatRequest request, CancellationToken ct, CancellationToken attempt)
    {
        using var message = provider.BuildStreamingRequest(target, request);
        Current.Meter.Start(Stopwatch.GetTimestamp());
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
        Current.Meter.Headers(Stopwatch.GetTimestamp());
        foreach (var name in (ReadOnlySpan<string>)["x-request-id", "request-id", "x-sim-request-id"])
            if (response.Headers.TryGetValues(name, out var ids)) { Current.ServerRequestId = ids.FirstOrDefault(); break; }
        // Reads of the body are cancelled through this source: by a cancelled run, a quiet server, or (before the
        // first token) the attempt's timeout. A read is never left pending when the stream is disposed.
        var reading = CancellationTokenSource.CreateLinkedTokenSource(ct);
        IAsyncEnumerator<StreamPart>? parts = null;
        try
        {
            if (!response.IsSuccessStatusCode)
            {
                if ((int)response.StatusCode is >= 300 and < 400)
                    throw new ProviderHttpException((int)response.StatusCode,
                        $"the server redirects to {response.Headers.Location?.ToString() ?? "another address"}; LLMRace follows no redirects (a key must not follow one): set the base URL to where it points", null);
                var text = await BoundedBody.ReadPrefixAsync(response.Content, engine.Limits.MaxErrorBodyBytes, attempt);
                throw new ProviderHttpException((int)response.StatusCode, Excerpt.Of(text), RetryAfter(response));
            }
            var body = new LineLimitedStream(await response.Content.ReadAsStreamAsync(attempt), engine.Limits.MaxStreamLineBytes);
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
        var turn = Current;
        switch (part)
        {
            case null:
                return;
            case ContentPart content:
                CountOutput(content.Text.Length);
                var first = turn.Meter.Content(timestamp, content.Kind == ContentKind.Text);
                if (first) EmitFirstToken(timestamp, content.Kind == ContentKind.Text ? "text" : "reasoning");
                (content.Kind == ContentKind.Text ? turn.Text : turn.Reasoning).Append(content.Text);
                sink.EmitDelta(item.Id, content.Kind == ContentKind.Text ? "text" : "reasoning", content.Text, SinceItemStart(timestamp));
                return;
            case ToolCallDeltaPart call:
                CountOutput((call.ArgumentsFragment?.Length ?? 0) + (call.Name?.Length ?? 0));
                if (turn.Meter.Content(timestamp, false)) EmitFirstToken(timestamp, "tool_call");
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
                $"the output passed the limit of {engine.Limits.MaxOutputChars:N0} characters per item (LLMRACE_MAX_OUTPUT_CHARS): the item was stopped there");
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
