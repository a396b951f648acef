namespace LLMRace.Grains.Results;

/// <summary>How one car did in one run.</summary>
public sealed record CarScore(
    string CarId, string CarName, int Items, int Passed, int Failed, int Errors, int Unfinished,
    double PassRate, double ErrorRate, double? Goodput, int Retries,
    Distribution TtftMs, Distribution ItlMs, Distribution TpotMs, Distribution E2eMs, Distribution DecodeTokensPerS,
    int Repeats, double? PassAllRepeatsRate, double? JudgeMean, int Judged, double? ManualMean = null, int ManualGraded = 0,
    double? ManualPassRate = null);

public static class Scorecards
{
    /// <summary>
    /// Per car. Rates are over every item the car was given, so failed and errored requests count against it,
    /// never silently dropped. Goodput, as vLLM defines it and extended with content, is a rate: the items that met
    /// every check (latency checks, LLMRace's SLOs, included) per second of the car's racing, from its first item's
    /// start to its last one's finish; null when that span is not known.
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
            var byHand = all.Where(i => i.Manual is not null).ToList();
            var byTest = all.GroupBy(i => i.Row.TestId).ToList();
            return new CarScore(
                car.Key, all[0].Row.CarName, n,
                all.Count(i => i.Passed), all.Count(i => i.Failed), all.Count(i => i.Errored), all.Count(i => !i.Finished),
                Rate(all.Count(i => i.Passed), n), Rate(all.Count(i => i.Errored), n), Goodput(all),
                all.Sum(i => i.Row.Retries),
                Distribution.Of(measured.Select(i => i.Metrics!.TtftMs).OfType<double>()),
                Distribution.Of(measured.SelectMany(i => i.Metrics!.ItlMs)),
                Distribution.Of(measured.Select(i => i.Metrics!.TpotMs).OfType<double>()),
                Distribution.Of(measured.Select(i => i.Metrics!.E2eMs).OfType<double>()),
                Distribution.Of(measured.Select(i => i.Metrics!.DecodeTokensPerS).OfType<double>()),
                repeats,
                repeats > 1 ? Rate(byTest.Count(t => t.All(i => i.Passed)), byTest.Count) : null,
                judged.Count > 0 ? Math.Round(judged.Average(i => i.Judge!.Score!.Value), 3) : null,
                judged.Count,
                byHand.Count > 0 ? Math.Round(byHand.Average(i => i.Manual!.Score), 3) : null,
                byHand.Count,
                byHand.Count > 0 ? Rate(byHand.Count(i => i.Manual!.Verdict == Checks.Verdicts.Pass), byHand.Count) : null);
        })];
    }

    public static double Rate(int count, int total) => total == 0 ? 0 : Math.Round((double)count / total, 4);

    /// <summary>Items that passed every check, per second from the first item's start to the last one's finish.</summary>
    public static double? Goodput(IReadOnlyList<ItemResult> items)
    {
        var starts = items.Select(i => i.Row.StartedAt).OfType<string>().Select(Parse).ToList();
        var finishes = items.Select(i => i.Row.FinishedAt).OfType<string>().Select(Parse).ToList();
        if (starts.Count == 0 || finishes.Count == 0) return null;
        var seconds = (finishes.Max() - starts.Min()).TotalSeconds;
        return seconds > 0 ? Math.Round(items.Count(i => i.Passed) / seconds, 4) : null;

        static DateTime Parse(string text) => DateTime.Parse(text, System.Globalization.CultureInfo.InvariantCulture,
            System.Globalization.DateTimeStyles.AdjustToUniversal);
    }
}
