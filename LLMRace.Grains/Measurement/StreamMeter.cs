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

    /// <summary>The metrics of this one stream, by the same formulas as an item of several turns.</summary>
    public ItemMetrics Finish(int? reportedOutputTokens, int? inputTokens, int retries) =>
        TurnMetrics.Combine([new MeasuredTurn(this, reportedOutputTokens, inputTokens)], retries);

    public static double ToMs(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
