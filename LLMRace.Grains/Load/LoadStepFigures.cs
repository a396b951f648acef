using LLMRace.Grains.Contracts;
using LLMRace.Grains.Measurement;

namespace LLMRace.Grains.Load;

/// <summary>A latency's mean and percentiles over a step's measured requests (ms).</summary>
public sealed record LatencyStats(double Mean, double P50, double P90, double P95, double P99, double Max)
{
    public static LatencyStats? Of(IEnumerable<double> values) => OfSorted(values.Order().ToArray());

    public static LatencyStats? OfSorted(double[] sorted)
    {
        if (sorted.Length == 0) return null;
        double P(double p) => Math.Round(Percentiles.Of(sorted, p)!.Value, 3);
        return new LatencyStats(Math.Round(sorted.Average(), 3), P(50), P(90), P(95), P(99), sorted[^1]);
    }
}

/// <summary>
/// One step's figures over its measured requests (warm-up and cool-down left out), by the definitions of BRIEF section 4:
/// rates over the window from the first measured send to the last measured end; ITL pooled over every gap of every
/// request (as vLLM); goodput the requests/s that met every objective and passed every check.
/// </summary>
public sealed record LoadStepFigures(
    int Step, string Kind, double? TargetRate, int Concurrency, string? Purpose,
    int Requests, int Measured, int Completed, double WindowS,
    double RequestsPerS, double OutputTokensPerS, double MeanConcurrency, long PeakConcurrency,
    LatencyStats? TtftMs, LatencyStats? ItlMs, LatencyStats? TpotMs, LatencyStats? E2eMs, LatencyStats? ScheduleErrorMs,
    double ErrorRate, IReadOnlyDictionary<string, int> ErrorsByKind, double? CheckPassRate, double? GoodputPerS,
    bool? SloMet, IReadOnlyList<string> SloMisses, IReadOnlyDictionary<string, LatencyStats>? ServerTimings = null)
{
    public static LoadStepFigures Of(LoadStep step, IReadOnlyList<LoadRequestResult> results, long peakConcurrency, LoadSlo? slo)
    {
        var measured = results.Where(r => r.Measured && r.Status != LoadStatus.Cancelled).ToList();
        var completed = measured.Where(r => r.Status != LoadStatus.Error).ToList();
        var window = measured.Count == 0 ? 0 : (measured.Max(r => r.EndMs ?? r.SentMs) - measured.Min(r => r.SentMs)) / 1000;
        // A window of one instant (a single request with no stream) would make rates infinite.
        var perS = window > 0.0005 ? 1 / window : 0;
        // Each latency sorted once, for its figures and for its objective alike (ITL pools every gap: it can be large).
        var ttftSorted = completed.Select(r => r.Metrics.TtftMs).OfType<double>().Order().ToArray();
        var itlSorted = completed.SelectMany(r => r.Metrics.ItlMs).Order().ToArray();
        var tpotSorted = completed.Select(r => r.Metrics.TpotMs).OfType<double>().Order().ToArray();
        var e2eSorted = completed.Select(r => r.Metrics.E2eMs).OfType<double>().Order().ToArray();
        var (ttft, itl) = (LatencyStats.OfSorted(ttftSorted), LatencyStats.OfSorted(itlSorted));
        var (tpot, e2e) = (LatencyStats.OfSorted(tpotSorted), LatencyStats.OfSorted(e2eSorted));
        var errors = measured.Where(r => r.Status == LoadStatus.Error).GroupBy(r => r.ErrorKind ?? "other")
            .ToDictionary(g => g.Key, g => g.Count());
        double? passRate = measured.Count > 0 ? Math.Round((double)measured.Count(r => r.Status == LoadStatus.Passed) / measured.Count, 4)
            : null;

        List<string> misses = [];
        bool? met = null;
        if (slo is { Any: true })
        {
            void Check(string name, double? limit, double[] sorted)
            {
                if (limit is not { } l) return;
                if (Percentiles.Of(sorted, slo.At) is not { } at) misses.Add($"{name}: no measured request");
                else if (at > l) misses.Add($"{name} p{slo.At:0.#} {at:0.###} ms > {l:0.###} ms");
            }
            Check("TTFT", slo.TtftMs, ttftSorted);
            Check("ITL", slo.ItlMs, itlSorted);
            Check("TPOT", slo.TpotMs, tpotSorted);
            Check("E2E", slo.E2eMs, e2eSorted);
            if (slo.CheckPassRate is { } rate && (passRate ?? 0) < rate)
                misses.Add($"check pass rate {(passRate ?? 0) * 100:0.##}% < {rate * 100:0.##}%");
            met = misses.Count == 0 && measured.Count > 0;
            if (measured.Count == 0) misses.Add("no measured request");
        }
        var good = measured.Count(r => r.Status == LoadStatus.Passed && MeetsEveryObjective(r, slo));

        return new LoadStepFigures(step.Index, step.Kind, step.Rate, step.Concurrency, step.Purpose,
            results.Count, measured.Count, completed.Count, Math.Round(window, 3),
            Math.Round(completed.Count * perS, 3), Math.Round(completed.Sum(r => r.Metrics.OutputTokens) * perS, 3),
            Math.Round(measured.Sum(r => r.Metrics.E2eMs ?? 0) / 1000 * perS, 3), peakConcurrency,
            ttft, itl, tpot, e2e, LatencyStats.Of(measured.Select(r => r.ScheduleErrorMs)),
            measured.Count > 0 ? Math.Round((double)(measured.Count - completed.Count) / measured.Count, 4) : 0, errors, passRate,
            Math.Round(good * perS, 3), met, misses, ServerTimingsOf(completed));
    }

    /// <summary>Each of the server's own timings that its completed requests reported, summed up as the client's are.</summary>
    private static IReadOnlyDictionary<string, LatencyStats>? ServerTimingsOf(IReadOnlyList<LoadRequestResult> completed)
    {
        var byName = completed.Where(r => r.ServerTimings is not null).SelectMany(r => r.ServerTimings!)
            .GroupBy(t => t.Key, t => t.Value).ToDictionary(g => g.Key, g => LatencyStats.Of(g)!);
        return byName.Count > 0 ? byName : null;
    }

    /// <summary>vLLM's goodput test of one request, with ITL at the objectives' percentile of the request's own gaps.</summary>
    private static bool MeetsEveryObjective(LoadRequestResult r, LoadSlo? slo)
    {
        if (slo is null) return true;
        var m = r.Metrics;
        if (slo.TtftMs is { } ttft && !(m.TtftMs <= ttft)) return false;
        if (slo.TpotMs is { } tpot && m.TpotMs > tpot) return false;
        if (slo.E2eMs is { } e2e && !(m.E2eMs <= e2e)) return false;
        if (slo.ItlMs is { } itl && m.ItlMs.Length > 0 && Percentiles.Of(m.ItlMs.Order().ToArray(), slo.At) > itl) return false;
        return true;
    }
}
