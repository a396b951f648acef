using System.Diagnostics;

namespace LLMRace.Grains.Measurement;

/// <summary>
/// Times one streamed response with the monotonic clock, as vLLM bench serve and GuideLLM define it:
/// t0 just before the request is sent, TTFB at the response headers, TTFT at the first chunk carrying
/// content of any kind, ITL between consecutive content chunks, E2E at the last content chunk.
/// </summary>
public sealed class StreamMeter
{
    private readonly List<long> _contentTimestamps = [];
    private long _t0;
    private long? _headers;
    private long? _firstText;
    private long? _queueWait;

    /// <summary>Records how long the item waited for a concurrency slot before t0.</summary>
    public void QueueWait(long waitTicks) => _queueWait = waitTicks;

    /// <summary>Marks t0. A retried request starts again: only the attempt that streamed counts.</summary>
    public void Start(long timestamp)
    {
        _t0 = timestamp;
        _headers = null;
        _firstText = null;
        _contentTimestamps.Clear();
    }

    public void Headers(long timestamp) => _headers = timestamp;

    /// <summary>Records a chunk carrying generated content; returns true for the first (the TTFT).</summary>
    public bool Content(long timestamp, bool isVisibleText)
    {
        _contentTimestamps.Add(timestamp);
        if (isVisibleText) _firstText ??= timestamp;
        return _contentTimestamps.Count == 1;
    }

    public long T0 => _t0;

    public long? HeadersAt => _headers;

    public long? FirstContentAt => _contentTimestamps.Count > 0 ? _contentTimestamps[0] : null;

    public long? LastContentAt => _contentTimestamps.Count > 0 ? _contentTimestamps[^1] : null;

    public long? FirstTextAt => _firstText;

    public long QueueWaitTicks => _queueWait ?? 0;

    /// <summary>Gaps between consecutive content chunks, in milliseconds.</summary>
    public IEnumerable<double> Gaps()
    {
        for (var i = 1; i < _contentTimestamps.Count; i++) yield return ToMs(_contentTimestamps[i] - _contentTimestamps[i - 1]);
    }

    public int ContentChunks => _contentTimestamps.Count;


    public ItemMetrics Finish(int? reportedOutputTokens, int? inputTokens, int retries)
    {
        double? Since(long? ts) => ts is null ? null : ToMs(ts.Value - _t0);

        var gaps = new double[Math.Max(0, _contentTimestamps.Count - 1)];
        for (var i = 1; i < _contentTimestamps.Count; i++) gaps[i - 1] = ToMs(_contentTimestamps[i] - _contentTimestamps[i - 1]);

        var ttft = _contentTimestamps.Count > 0 ? ToMs(_contentTimestamps[0] - _t0) : (double?)null;
        var e2e = _contentTimestamps.Count > 0 ? ToMs(_contentTimestamps[^1] - _t0) : (double?)null;
        var estimated = reportedOutputTokens is null;
        var outputTokens = reportedOutputTokens ?? _contentTimestamps.Count;
        double? tpot = ttft is not null && e2e is not null && outputTokens > 1 ? (e2e - ttft) / (outputTokens - 1) : null;
        var sortedGaps = gaps.Order().ToArray();

        return new ItemMetrics
        {
            QueueWaitMs = _queueWait is null ? 0 : Math.Round(ToMs(_queueWait.Value), 3),
            TtfbMs = Round(Since(_headers)),
            TtftMs = Round(ttft),
            TtftTextMs = Round(Since(_firstText)),
            E2eMs = Round(e2e),
            TpotMs = Round(tpot),
            DecodeTokensPerS = tpot is > 0 ? Round(1000 / tpot.Value) : null,
            ItlMs = [.. gaps.Select(g => Round(g)!.Value)],
            ItlP50Ms = Round(Percentiles.Of(sortedGaps, 50)),
            ItlP99Ms = Round(Percentiles.Of(sortedGaps, 99)),
            OutputTokens = outputTokens,
            OutputTokensEstimated = estimated,
            InputTokens = inputTokens,
            ContentChunks = _contentTimestamps.Count,
            Retries = retries,
        };
    }

    public static double ToMs(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;

    private static double? Round(double? ms) => ms is null ? null : Math.Round(ms.Value, 3);
}
