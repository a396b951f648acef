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
/// request (as vLLM); goodput the requests/s that met every objective and passed every check. Made by
/// <see cref="LoadStepTally"/>.
/// </summary>
public sealed record LoadStepFigures(
    int Step, string Kind, double? TargetRate, int Concurrency, string? Purpose,
    int Requests, int Measured, int Completed, double WindowS,
    double RequestsPerS, double OutputTokensPerS, double MeanConcurrency, long PeakConcurrency,
    LatencyStats? TtftMs, LatencyStats? ItlMs, LatencyStats? TpotMs, LatencyStats? E2eMs, LatencyStats? ScheduleErrorMs,
    double ErrorRate, IReadOnlyDictionary<string, int> ErrorsByKind, double? CheckPassRate, double? GoodputPerS,
    bool? SloMet, IReadOnlyList<string> SloMisses, IReadOnlyDictionary<string, LatencyStats>? ServerTimings = null);
