namespace LLMRace.Grains.Measurement;

/// <summary>One request of an item (a tool-calling item makes one per turn) and the usage its server reported.</summary>
public sealed record MeasuredTurn(StreamMeter Meter, int? ReportedOutputTokens, int? InputTokens);

public static class TurnMetrics
{
    /// <summary>
    /// An item's metrics over its turns. TTFB and TTFT come from the first turn (time to the first tool-call
    /// delta, say); time to first text and E2E run from the first turn's t0 to the first text and the last
    /// content chunk of any turn. ITL pools the gaps within turns (the wait for a tool is not a token gap);
    /// TPOT is the decode time of all turns over their tokens after each turn's first. With one turn these are the
    /// definitions of BRIEF section 4 as they stand: TPOT = (E2E - TTFT) / (output tokens - 1).
    /// </summary>
    public static ItemMetrics Combine(IReadOnlyList<MeasuredTurn> turns, int retries)
    {
        var first = turns[0].Meter;
        var t0 = first.T0;
        double? Since(long? ts) => ts is null ? null : Math.Round(StreamMeter.ToMs(ts.Value - t0), 3);

        var gaps = turns.SelectMany(t => t.Meter.Gaps()).Select(g => Math.Round(g, 3)).ToArray();
        var sorted = gaps.Order().ToArray();
        var outputTokens = turns.Sum(t => t.ReportedOutputTokens ?? t.Meter.ContentChunks);
        // A turn whose chunks after the first all came in one read with it has no observed decode time: it has no TPOT.
        var streamingTurns = turns.Where(t => t.Meter.FirstContentAt is not null
            && !(t.Meter.ContentChunks > 1 && t.Meter.Coalesced == t.Meter.ContentChunks - 1)).ToList();
        var decodeMs = streamingTurns.Sum(t => StreamMeter.ToMs(t.Meter.LastContentAt!.Value - t.Meter.FirstContentAt!.Value));
        var decodeTokens = streamingTurns.Sum(t => (t.ReportedOutputTokens ?? t.Meter.ContentChunks) - 1);
        double? tpot = decodeTokens > 0 ? decodeMs / decodeTokens : null;
        var inputs = turns.Where(t => t.InputTokens is not null).ToList();

        return new ItemMetrics
        {
            QueueWaitMs = Math.Round(StreamMeter.ToMs(first.QueueWaitTicks), 3),
            TtfbMs = Since(first.HeadersAt),
            TtftMs = Since(first.FirstContentAt),
            TtftTextMs = Since(turns.Select(t => t.Meter.FirstTextAt).FirstOrDefault(ts => ts is not null)),
            E2eMs = Since(turns.Select(t => t.Meter.LastContentAt).LastOrDefault(ts => ts is not null)),
            TpotMs = tpot is null ? null : Math.Round(tpot.Value, 3),
            DecodeTokensPerS = tpot is > 0 ? Math.Round(1000 / tpot.Value, 3) : null,
            ItlMs = gaps,
            ItlP50Ms = Percentiles.Of(sorted, 50) is { } p50 ? Math.Round(p50, 3) : null,
            ItlP99Ms = Percentiles.Of(sorted, 99) is { } p99 ? Math.Round(p99, 3) : null,
            OutputTokens = outputTokens,
            OutputTokensEstimated = turns.Any(t => t.ReportedOutputTokens is null),
            InputTokens = inputs.Count > 0 ? inputs.Sum(t => t.InputTokens) : null,
            ContentChunks = turns.Sum(t => t.Meter.ContentChunks),
            Retries = retries,
            Turns = turns.Count,
            TimingSource = turns.Select(t => t.Meter.TimingSource).Where(s => s is not null).Distinct().ToList() switch
            {
                [] => null,
                [var one] => one,
                _ => Timing.TimingSources.User,
            },
            CoalescedChunks = turns.Sum(t => t.Meter.Coalesced),
        };
    }
}
