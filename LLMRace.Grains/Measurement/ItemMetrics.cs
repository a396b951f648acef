namespace LLMRace.Grains.Measurement;

/// <summary>The client-side measurements of one item. Times are milliseconds from t0 unless named otherwise.</summary>
public sealed record ItemMetrics
{
    public double QueueWaitMs { get; init; }
    public double? TtfbMs { get; init; }
    public double? TtftMs { get; init; }
    /// <summary>Time to the first visible text (reasoning and tool-call deltas excluded).</summary>
    public double? TtftTextMs { get; init; }
    public double? E2eMs { get; init; }
    /// <summary>(E2E - TTFT) / (output_tokens - 1).</summary>
    public double? TpotMs { get; init; }
    public double? DecodeTokensPerS { get; init; }
    /// <summary>Every gap between consecutive content chunks.</summary>
    public double[] ItlMs { get; init; } = [];
    public double? ItlP50Ms { get; init; }
    public double? ItlP99Ms { get; init; }
    public int OutputTokens { get; init; }
    /// <summary>True when the server reported no usage and the tokens were counted as content chunks.</summary>
    public bool OutputTokensEstimated { get; init; }
    public int? InputTokens { get; init; }
    public int ContentChunks { get; init; }
    public int Retries { get; init; }
    /// <summary>Requests the item made: one, or one per tool-calling turn.</summary>
    public int Turns { get; init; } = 1;
    /// <summary>The server's id of the (first) request, from x-request-id, request-id or x-sim-request-id: to match provider
    /// logs.</summary>
    public string? ServerRequestId { get; init; }
    /// <summary>The clock the content's times come from: <c>kernel</c> (the kernel's receive stamps) or <c>user</c> (when the
    /// reader had each chunk); null for an item with no content.</summary>
    public string? TimingSource { get; init; }
    /// <summary>Content chunks (after the first) that the kernel stamped as one with a neighbour, having come in one read or one
    /// socket buffer with it: their gap was not observed and is left out of ITL.</summary>
    public int CoalescedChunks { get; init; }
}
