using System.Globalization;
using LLMRace.Grains.Checks;

namespace LLMRace.Grains.Results;

/// <summary>A car's place at the finish: the checks it passed and its median E2E, which decide the order.</summary>
public sealed record RaceStanding(string CarId, string CarName, int ChecksPassed, int Checks, double? MedianE2eMs);

/// <summary>
/// The car that won a finished race, and why in words; a photo finish when the runner-up passed as many checks and its
/// median E2E is within 5% of the winner's.
/// </summary>
public sealed record RaceWinner(string CarId, string CarName, int ChecksPassed, int Checks, double? MedianE2eMs, string Reason,
    bool PhotoFinish = false);

public static class RaceWinners
{
    /// <summary>
    /// The order at the finish, one rule for the winner and the podium: among the cars that finished at least one item
    /// (passed or failed, not an error), the most checks passed, then the lowest median E2E, then the race's order.
    /// </summary>
    public static IReadOnlyList<RaceStanding> Standings(IReadOnlyList<ItemResult> items) =>
    [
        .. items.GroupBy(i => i.Row.CarId).OrderBy(g => g.Min(i => i.Row.Ordinal)).Where(car => car.Any(i => i.Passed || i.Failed))
            .Select(car =>
            {
                var checks = car.SelectMany(i => i.Checks).ToList();
                var e2e = Distribution.Of(car.Where(i => !i.Errored && i.Metrics?.E2eMs is not null)
                    .Select(i => i.Metrics!.E2eMs!.Value));
                return new RaceStanding(car.Key, car.First().Row.CarName, checks.Count(c => c.Verdict == Verdicts.Pass), checks.Count,
                    e2e.P50);
            })
            .OrderByDescending(s => s.ChecksPassed).ThenBy(s => s.MedianE2eMs ?? double.MaxValue),
    ];

    /// <summary>The first of the standings, and why; none when no car finished an item.</summary>
    public static RaceWinner? Of(IReadOnlyList<ItemResult> items)
    {
        var standings = Standings(items);
        if (standings.Count == 0) return null;
        var (first, second) = (standings[0], standings.Skip(1).FirstOrDefault());
        var photo = second is not null && second.ChecksPassed == first.ChecksPassed && first.MedianE2eMs is { } a
            && second.MedianE2eMs is { } b && Math.Abs(b - a) <= 0.05 * a;
        return new RaceWinner(first.CarId, first.CarName, first.ChecksPassed, first.Checks, first.MedianE2eMs,
            Reason(first, second, items.Select(i => i.Row.CarId).Distinct().Count()), photo);
    }

    private static string Reason(RaceStanding first, RaceStanding? second, int entrants)
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
