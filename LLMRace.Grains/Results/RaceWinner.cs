using System.Globalization;
using LLMRace.Grains.Checks;

namespace LLMRace.Grains.Results;

/// <summary>The car that won a finished race, and why in words.</summary>
public sealed record RaceWinner(string CarId, string CarName, int ChecksPassed, int Checks, double? MedianE2eMs, string Reason);

public static class RaceWinners
{
    /// <summary>
    /// Among the cars that finished at least one item (passed or failed, not an error): the most checks passed, then the
    /// lowest median E2E, then the race's order. No winner when no car finished an item.
    /// </summary>
    public static RaceWinner? Of(IReadOnlyList<ItemResult> items)
    {
        var entrants = items.GroupBy(i => i.Row.CarId).OrderBy(g => g.Min(i => i.Row.Ordinal)).ToList();
        var standings = entrants.Where(car => car.Any(i => i.Passed || i.Failed)).Select(car =>
        {
            var checks = car.SelectMany(i => i.Checks).ToList();
            var e2e = Distribution.Of(car.Where(i => !i.Errored && i.Metrics?.E2eMs is not null).Select(i => i.Metrics!.E2eMs!.Value));
            return new RaceWinner(car.Key, car.First().Row.CarName, checks.Count(c => c.Verdict == Verdicts.Pass), checks.Count, e2e.P50,
                "");
        }).OrderByDescending(s => s.ChecksPassed).ThenBy(s => s.MedianE2eMs ?? double.MaxValue).ToList();
        if (standings.Count == 0) return null;

        var first = standings[0];
        return first with { Reason = Reason(first, standings.Skip(1).FirstOrDefault(), entrants.Count) };
    }

    private static string Reason(RaceWinner first, RaceWinner? second, int entrants)
    {
        var passed = $"{first.ChecksPassed} of {first.Checks} checks passed";
        if (second is null)
            return entrants == 1
                ? $"{first.CarName} raced alone: {passed}."
                : $"{first.CarName} is the only car that finished an item (every other car's items ended in errors): {passed}.";
        if (first.ChecksPassed > second.ChecksPassed)
            return $"{first.CarName} passed the most checks: {first.ChecksPassed} of {first.Checks}, against {second.CarName}'s " +
                $"{second.ChecksPassed}.";
        if (first.MedianE2eMs < (second.MedianE2eMs ?? double.MaxValue))
            return $"{first.CarName} and {second.CarName} passed {first.ChecksPassed} checks each; {first.CarName}'s median E2E of " +
                $"{Ms(first.MedianE2eMs)} beats {second.CarName}'s {Ms(second.MedianE2eMs)}.";
        return $"{first.CarName} and {second.CarName} tie on checks passed ({first.ChecksPassed}) and median E2E; {first.CarName} " +
            "comes first in the race's order.";
    }

    private static string Ms(double? ms) => ms is { } v ? v.ToString("0.#", CultureInfo.InvariantCulture) + " ms" : "no time";
}
