using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace LLMRace.Grains.Telemetry;

/// <summary>
/// The LLMRace meter and activity source. Instrument names follow the OpenTelemetry GenAI semantic
/// conventions so the Aspire dashboard (and any OTel backend) shows a race as it runs.
/// </summary>
public static class RaceTelemetry
{
    public const string Name = "LLMRace";

    public static readonly ActivitySource Source = new(Name);
    private static readonly Meter Meter = new(Name);

    public static readonly Histogram<double> OperationDuration = Meter.CreateHistogram<double>(
        "gen_ai.client.operation.duration", "s", "Duration of a chat request, t0 to the last content chunk.",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12,
            10.24, 20.48, 40.96, 81.92] });

    public static readonly Histogram<long> TokenUsage = Meter.CreateHistogram<long>(
        "gen_ai.client.token.usage", "{token}", "Tokens used per request, by gen_ai.token.type (input or output).",
        advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144] });

    public static readonly Histogram<double> TimeToFirstToken = Meter.CreateHistogram<double>(
        "gen_ai.server.time_to_first_token", "s", "Time from t0 to the first content chunk (as seen by the client).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5,
            0.75, 1.0, 2.5, 5.0, 7.5, 10.0] });

    public static readonly Histogram<double> TimePerOutputToken = Meter.CreateHistogram<double>(
        "gen_ai.server.time_per_output_token", "s", "(E2E - TTFT) / (output tokens - 1).",
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.005, 0.01, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15,
            0.2, 0.3, 0.4, 0.5, 0.75, 1.0, 2.5] });

    public static readonly Counter<long> RunsStarted = Meter.CreateCounter<long>("llmrace.runs.started", "{run}", "Runs started.");
    public static readonly Counter<long> RunsFinished = Meter.CreateCounter<long>("llmrace.runs.finished", "{run}",
        "Runs finished, by llmrace.run.status.");
    public static readonly Counter<long> ItemsFinished = Meter.CreateCounter<long>("llmrace.items.finished", "{item}",
        "Items finished, by llmrace.item.status.");
    public static readonly Counter<long> Retries = Meter.CreateCounter<long>("llmrace.items.retries", "{retry}",
        "Requests retried before their first token.");

    /// <summary>A finished item on the GenAI instruments, and its status on its trace.</summary>
    public static void RecordItem(Measurement.ItemMetrics metrics, string status, string? error, string model, string providerType,
        Activity? activity)
    {
        var modelTag = new KeyValuePair<string, object?>("gen_ai.request.model", model);
        var provider = new KeyValuePair<string, object?>("gen_ai.provider.name", providerType);
        var operation = new KeyValuePair<string, object?>("gen_ai.operation.name", "chat");
        if (metrics.E2eMs is { } e2e) OperationDuration.Record(e2e / 1000, operation, provider, modelTag);
        if (metrics.TtftMs is { } ttft) TimeToFirstToken.Record(ttft / 1000, operation, provider, modelTag);
        if (metrics.TpotMs is { } tpot) TimePerOutputToken.Record(tpot / 1000, operation, provider, modelTag);
        if (metrics.InputTokens is { } input) TokenUsage.Record(input, operation, provider, modelTag, new("gen_ai.token.type", "input"));
        if (metrics.ContentChunks > 0) TokenUsage.Record(metrics.OutputTokens, operation, provider, modelTag, new("gen_ai.token.type",
            "output"));
        ItemsFinished.Add(1, new KeyValuePair<string, object?>("llmrace.item.status", status), modelTag);
        activity?.SetTag("llmrace.item.status", status);
        if (error is not null) activity?.SetStatus(ActivityStatusCode.Error, error);
    }
}
