namespace LLMRace.Grains.Results;

/// <summary>How one car did in one run.</summary>
public sealed record CarScore(
    string CarId, string CarName, int Items, int Passed, int Failed, int Errors, int Unfinished,
    double PassRate, double ErrorRate, double Goodput, int Retries,
    Distribution TtftMs, Distribution ItlMs, Distribution TpotMs, Distribution E2eMs, Distribution DecodeTokensPerS,
    int Repeats, double? PassAllRepeatsRate, double? JudgeMean, int Judged);

public static class Scorecards
{
    /// <summary>
    /// Per car. Rates are over every item the car was given, so failed and errored requests count against it,
    /// never silently dropped. Goodput is the share of items that passed every check (latency checks included).
    /// With repeats, pass^N is the share of tests that passed in every repeat.
    /// </summary>
    public static IReadOnlyList<CarScore> For(IReadOnlyList<ItemResult> items)
    {
        return [.. items.GroupBy(i => i.Row.CarId).OrderBy(g => g.Min(i => i.Row.Ordinal)).Select(car =>
        {
            var all = car.ToList();
            var n = all.Count;
            var measured = all.Where(i => i.Metrics is not null && !i.Errored).ToList();
            var repeats = all.Max(i => i.Row.RepeatIndex) + 1;
            var judged = all.Where(i => i.Judge?.Score is not null).ToList();
            var byTest = all.GroupBy(i => i.Row.TestId).ToList();
            return new CarScore(
                car.Key, all[0].Row.CarName, n,
                all.Count(i => i.Passed), all.Count(i => i.Failed), all.Count(i => i.Errored), all.Count(i => !i.Finished),
                Rate(all.Count(i => i.Passed), n), Rate(all.Count(i => i.Errored), n), Rate(all.Count(i => i.Passed), n),
                all.Sum(i => i.Row.Retries),
                Distribution.Of(measured.Select(i => i.Metrics!.TtftMs).OfType<double>()),
                Distribution.Of(measured.SelectMany(i => i.Metrics!.ItlMs)),
                Distribution.Of(measured.Select(i => i.Metrics!.TpotMs).OfType<double>()),
                Distribution.Of(measured.Select(i => i.Metrics!.E2eMs).OfType<double>()),
                Distribution.Of(measured.Select(i => i.Metrics!.DecodeTokensPerS).OfType<double>()),
                repeats,
                repeats > 1 ? Rate(byTest.Count(t => t.All(i => i.Passed)), byTest.Count) : null,
                judged.Count > 0 ? Math.Round(judged.Average(i => i.Judge!.Score!.Value), 3) : null,
                judged.Count);
        })];
    }

    public static double Rate(int count, int total) => total == 0 ? 0 : Math.Round((double)count / total, 4);
}
