using System.Text;
using LLMRace.Grains.Checks;
using LLMRace.Grains.Contracts;
using LLMRace.Grains.Engine;
using LLMRace.Grains.Measurement;
using LLMRace.Grains.Providers;

namespace LLMRace.Grains.Load;

/// <summary>
/// What came of one request of a load test. Times are ms; <see cref="ScheduledMs"/> and <see cref="SentMs"/> count from
/// the step's start, the rest from the request's t0 as in BRIEF section 4.
/// </summary>
/// <param name="ServerTimings">The numbers of the server's own timings of the request, as it named them (llama.cpp's
/// <c>prompt_ms</c>, <c>predicted_per_second</c>…; Ollama's durations in ns), when it reports any.</param>
public sealed record LoadRequestResult(
    int Step, long Index, string TestId, double ScheduledMs, double SentMs, bool Measured, string Status, string? ErrorKind,
    string? Error, ItemMetrics Metrics, int ChecksPassed, int ChecksTotal, IReadOnlyDictionary<string, double>? ServerTimings = null)
{
    public double ScheduleErrorMs => Math.Round(SentMs - ScheduledMs, 3);

    public double? EndMs => Metrics.E2eMs is { } e2e ? Math.Round(SentMs + e2e, 3) : null;
}

/// <summary>
/// Sends one request of a load test through the provider stream client races use, never retried (a load test measures
/// failures, it does not hide them), measures it with the race's <see cref="StreamMeter"/> and checks its answer.
/// </summary>
public sealed class LoadRequest(LoadTarget target, PreparedTest test) : IStreamObserver
{
    private readonly StreamMeter _meter = new();
    private readonly StringBuilder _text = new();
    private readonly ToolCallAssembler _calls = new();
    private Dictionary<string, double>? _serverTimings;
    private int? _outputTokens;
    private int? _inputTokens;
    private string? _serverRequestId;
    private long _outputChars;

    /// <summary>When the request went out (the stopwatch's timestamp), or 0 before.</summary>
    public long SentAt => _meter.T0;

    public IReadOnlyDictionary<string, double>? ServerTimings => _serverTimings;

    public async Task<(string Status, string? ErrorKind, string? Error, ItemMetrics Metrics, int ChecksPassed, int ChecksTotal)>
        SendAsync(CancellationToken ct)
    {
        string? error = null, kind = null;
        try
        {
            var request = new ChatRequest(target.Car.Model, test.Snapshot.SystemPrompt, test.Snapshot.UserPrompt, target.Car.Params)
            {
                Tools = test.Tools,
            };
            await target.Client.StreamAsync(target.Provider, target.Target, request, target.Connection, this, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return (LoadStatus.Cancelled, "cancelled", "cancelled", Metrics(), 0, 0);
        }
        catch (Exception e)
        {
            kind = KindOf(e);
            error = e is ProviderHttpException or ProviderStreamException or TimeoutException ? e.Message
                : $"{e.GetType().Name}: {e.Message}";
        }
        var metrics = Metrics();
        if (error is not null) return (LoadStatus.Error, kind, error, metrics, 0, 0);
        var checks = CheckEvaluator.EvaluateAll(test.Constraints.Checks,
            new CheckSubject(_text.ToString(), [.. _calls.Build().Select(c => c.Name)], metrics), target.ChecksBudget);
        var passed = checks.Count(c => c.Verdict == Verdicts.Pass);
        return (passed == checks.Count ? LoadStatus.Passed : LoadStatus.Failed, null, null, metrics, passed, checks.Count);
    }

    private ItemMetrics Metrics() => _meter.Finish(_outputTokens, _inputTokens, 0) with { ServerRequestId = _serverRequestId };

    /// <summary>A failure's kind for the error-rate table: the HTTP status, or what broke.</summary>
    public static string KindOf(Exception e) => e switch
    {
        ProviderHttpException http => $"http_{http.StatusCode}",
        _ => ProviderAdvice.Classify(e) switch
        {
            ProviderFailure.Timeout => "timeout",
            ProviderFailure.Refused => "refused",
            ProviderFailure.UnknownHost => "unknown_host",
            ProviderFailure.Tls => "tls",
            ProviderFailure.BadResponse => "bad_response",
            ProviderFailure.KeyUnreadable => "key_unreadable",
            _ => e is IOException or HttpRequestException ? "connection" : "other",
        },
    };

    void IStreamObserver.Sending(long timestamp) => _meter.Start(timestamp);

    void IStreamObserver.Sent(long timestamp, bool kernel) => _meter.Sent(timestamp, kernel);

    void IStreamObserver.Headers(long timestamp, HttpResponseMessage response)
    {
        _meter.Headers(timestamp);
        _serverRequestId = ProviderStreamClient.RequestId(response);
    }

    void IStreamObserver.Part(StreamPart part, Timing.ChunkTime time)
    {
        switch (part)
        {
            case ContentPart content:
                Count(content.Text.Length);
                _meter.Content(time, content.Kind == ContentKind.Text);
                if (content.Kind == ContentKind.Text) _text.Append(content.Text);
                return;
            case ToolCallDeltaPart call:
                Count((call.ArgumentsFragment?.Length ?? 0) + (call.Name?.Length ?? 0));
                _meter.Content(time, false);
                _calls.Add(call);
                return;
            case UsagePart usage:
                _inputTokens = usage.InputTokens ?? _inputTokens;
                _outputTokens = usage.OutputTokens ?? _outputTokens;
                return;
            case ServerTimingsPart timings when timings.Timings.ValueKind == System.Text.Json.JsonValueKind.Object:
                _serverTimings = [];
                foreach (var field in timings.Timings.EnumerateObject().Take(MaxServerTimings))
                    if (field.Value.ValueKind == System.Text.Json.JsonValueKind.Number && field.Name.Length <= 64
                        && field.Value.TryGetDouble(out var value) && double.IsFinite(value))
                        _serverTimings[field.Name] = value;
                return;
        }
    }

    void IStreamObserver.Retrying(int attempt, TimeSpan delay, Exception? reason) { }

    /// <summary>A hostile server's timings object could be of any size: the first this many fields are kept.</summary>
    private const int MaxServerTimings = 16;

    private void Count(int chars)
    {
        _outputChars += chars;
        if (_outputChars > target.MaxOutputChars)
            throw new ProviderStreamException($"the output passed the limit of {target.MaxOutputChars:N0} characters per request " +
                "(LLMRACE_MAX_OUTPUT_CHARS)");
    }
}

public static class LoadStatus
{
    public const string Passed = "passed";
    public const string Failed = "failed";
    public const string Error = "error";
    public const string Cancelled = "cancelled";
}

/// <summary>The one car a load test drives, resolved once: its provider, where to reach it, and the client that sends.</summary>
public sealed record LoadTarget(CarSnapshot Car, ConnectionSnapshot Connection, IChatProvider Provider, ProviderTarget Target,
    ProviderStreamClient Client, TimeSpan ChecksBudget, long MaxOutputChars);
