using System.Diagnostics;

namespace LLMRace.Grains.Measurement;

/// <summary>
/// Times one streamed response with the monotonic clock, as vLLM bench serve and GuideLLM define it:
/// t0 when the request has been sent (its last byte left; just before it is sent where that is unknown), TTFB at the
/// response headers, TTFT at the first chunk carrying content of any kind, ITL between consecutive content chunks, E2E at
/// the last content chunk.
/// </summary>
public sealed class StreamMeter
{
    private readonly List<long> _contentTimestamps = [];
    private readonly List<bool> _coalesced = [];
    private int _kernelStamped;
    private long _t0;
    private bool _t0Kernel;
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
        _coalesced.Clear();
        _kernelStamped = 0;
        _t0Kernel = false;
    }

    /// <summary>Moves t0 to when the request's last byte left, so client-side time before it is not the server's.</summary>
    public void Sent(long timestamp, bool kernel)
    {
        _t0 = timestamp;
        _t0Kernel = kernel;
    }

    public void Headers(long timestamp) => _headers = timestamp;

    /// <summary>Records a chunk carrying generated content, timed in user space; returns true for the first (the TTFT).</summary>
    public bool Content(long timestamp, bool isVisibleText) => Content(Timing.ChunkTime.User(timestamp), isVisibleText);

    /// <summary>Records a chunk carrying generated content with its time and clock; returns true for the first (the TTFT).</summary>
    public bool Content(Timing.ChunkTime time, bool isVisibleText)
    {
        var timestamp = time.Timestamp;
        // The chunk before shares this one's stamp, which is of bytes after it: its own arrival was not observed either.
        if (time.Coalesced && _coalesced.Count > 0) _coalesced[^1] = true;
        _coalesced.Add(time.Coalesced);
        if (time.Kernel) _kernelStamped++;
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

    /// <summary>
    /// Gaps between consecutive content chunks, in milliseconds, but into a chunk whose stamp it shares with a neighbour
    /// (they came in one read or one socket buffer, stamped when the last of their bytes came): that gap was not observed,
    /// so it is counted in <see cref="Coalesced"/> instead.
    /// </summary>
    public IEnumerable<double> Gaps()
    {
        for (var i = 1; i < _contentTimestamps.Count; i++)
            if (!_coalesced[i]) yield return ToMs(_contentTimestamps[i] - _contentTimestamps[i - 1]);
    }

    /// <summary>The gaps left out of <see cref="Gaps"/>: content chunks after the first that shared a stamp with a neighbour.</summary>
    public int Coalesced => _coalesced.Skip(1).Count(c => c);

    /// <summary>
    /// The clock of the item's times: kernel when the send (t0) and every content chunk had the kernel's stamp; null without
    /// content.
    /// </summary>
    public string? TimingSource => _contentTimestamps.Count == 0 ? null
        : _t0Kernel && _kernelStamped == _contentTimestamps.Count ? Timing.TimingSources.Kernel : Timing.TimingSources.User;

    public int ContentChunks => _contentTimestamps.Count;

    /// <summary>The metrics of this one stream, by the same formulas as an item of several turns.</summary>
    public ItemMetrics Finish(int? reportedOutputTokens, int? inputTokens, int retries) =>
        TurnMetrics.Combine([new MeasuredTurn(this, reportedOutputTokens, inputTokens)], retries);

    public static double ToMs(long ticks) => ticks * 1000.0 / Stopwatch.Frequency;
}
