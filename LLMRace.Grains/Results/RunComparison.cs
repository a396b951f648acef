namespace LLMRace.Grains.Results;

/// <summary>How much worse a metric may get before it is flagged as a regression, in percent of the baseline.</summary>
public sealed record Tolerances(double TtftPct = 20, double E2ePct = 20, double TpotPct = 20, double PassRatePoints = 0);

public sealed record ItemDelta(
    string TestId, string TestName, string CarId, string CarName, int RepeatIndex,
    string? BaselineStatus, string? Status, string Change,
    double? TtftMsDelta, double? E2eMsDelta, double? TpotMsDelta, IReadOnlyList<string> Flags);

public sealed record MetricDelta(double? Baseline, double? Current, double? Delta, double? DeltaPct, bool Regression);

public sealed record CarDelta(
    string CarId, string CarName, MetricDelta PassRate, MetricDelta ErrorRate, MetricDelta TtftP50Ms, MetricDelta E2eP50Ms,
    MetricDelta TpotP50Ms, MetricDelta JudgeMean, int NewFailures, int Fixed, IReadOnlyList<string> Flags);

public sealed record Comparison(string RunId, string BaselineRunId, Tolerances Tolerances, bool Regressed,
    IReadOnlyList<CarDelta> Cars, IReadOnlyList<ItemDelta> Items);

public static class RunComparisons
{
    /// <summary>
    /// Compares a run with its baseline, item by item (matched by test, car and repeat) and car by car.
    /// A pass that became a fail or an error is a regression; so is a latency percentile worse than its tolerance.
    /// </summary>
    public static Comparison Compare(string runId, IReadOnlyList<ItemResult> current, string baselineId, IReadOnlyList<ItemResult> baseline,
        Tolerances tolerances)
    {
        var before = baseline.ToDictionary(i => i.Key);
        var now = current.ToDictionary(i => i.Key);
        var items = new List<ItemDelta>();
        foreach (var key in before.Keys.Union(now.Keys).OrderBy(k => now.TryGetValue(k, out var c) ? c.Row.Ordinal : before[k].Row.Ordinal))
        {
            before.TryGetValue(key, out var b);
            now.TryGetValue(key, out var c);
            var any = (c ?? b)!.Row;
            var change = (b, c) switch
            {
                (null, _) => "new",
                (_, null) => "missing",
                _ when b.Passed && !c.Passed => "regressed",
                _ when !b.Passed && c.Passed => "fixed",
                _ => "same",
            };
            var flags = new List<string>();
            if (change == "regressed") flags.Add($"{b!.Row.Status} -> {c!.Row.Status}");
            double? Delta(Func<Measurement.ItemMetrics, double?> f) =>
                b?.Metrics is { } bm && c?.Metrics is { } cm && f(bm) is { } x && f(cm) is { } y ? Math.Round(y - x, 3) : null;
            items.Add(new ItemDelta(any.TestId, any.TestName, any.CarId, any.CarName, any.RepeatIndex, b?.Row.Status, c?.Row.Status, change,
                Delta(m => m.TtftMs), Delta(m => m.E2eMs), Delta(m => m.TpotMs), flags));
        }

        var baselineCars = Scorecards.For(baseline).ToDictionary(c => c.CarId);
        var cars = new List<CarDelta>();
        foreach (var car in Scorecards.For(current))
        {
            baselineCars.TryGetValue(car.CarId, out var b);
            var flags = new List<string>();
            MetricDelta Latency(string name, double? was, double? isNow, double tolerancePct)
            {
                var d = Metric(was, isNow);
                var regression = d.DeltaPct is { } pct && pct > tolerancePct;
                if (regression) flags.Add($"{name} worse by {d.DeltaPct:0.#}% (tolerance {tolerancePct:0.#}%)");
                return d with { Regression = regression };
            }
            var passRate = Metric(b?.PassRate, car.PassRate);
            if (passRate.Delta is { } dp && -dp * 100 > tolerances.PassRatePoints)
            {
                passRate = passRate with { Regression = true };
                flags.Add($"pass rate down {-dp * 100:0.#} points");
            }
            var errorRate = Metric(b?.ErrorRate, car.ErrorRate);
            if (errorRate.Delta is > 0)
            {
                errorRate = errorRate with { Regression = true };
                flags.Add($"error rate up {errorRate.Delta * 100:0.#} points");
            }
            var mine = items.Where(i => i.CarId == car.CarId).ToList();
            var newFailures = mine.Count(i => i.Change == "regressed");
            if (newFailures > 0) flags.Add($"{newFailures} item(s) went from pass to fail");
            cars.Add(new CarDelta(car.CarId, car.CarName, passRate, errorRate,
                Latency("TTFT p50", b?.TtftMs.P50, car.TtftMs.P50, tolerances.TtftPct),
                Latency("E2E p50", b?.E2eMs.P50, car.E2eMs.P50, tolerances.E2ePct),
                Latency("TPOT p50", b?.TpotMs.P50, car.TpotMs.P50, tolerances.TpotPct),
                Metric(b?.JudgeMean, car.JudgeMean),
                newFailures, mine.Count(i => i.Change == "fixed"), flags));
        }
        return new Comparison(runId, baselineId, tolerances, cars.Any(c => c.Flags.Count > 0), cars, items);
    }

    private static MetricDelta Metric(double? baseline, double? current)
    {
        if (baseline is null || current is null) return new MetricDelta(baseline, current, null, null, false);
        var delta = Math.Round(current.Value - baseline.Value, 4);
        double? pct = baseline.Value == 0 ? null : Math.Round(delta / baseline.Value * 100, 2);
        return new MetricDelta(baseline, current, delta, pct, false);
    }
}
