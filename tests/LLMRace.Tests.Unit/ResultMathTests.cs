using LLMRace.Grains.Checks;
using LLMRace.Grains.Contracts;
using LLMRace.Grains.Engine;
using LLMRace.Grains.Measurement;
using LLMRace.Grains.Results;
using LLMRace.Grains.Storage;

namespace LLMRace.Tests.Unit;

public class ResultMathTests
{
    private static ItemResult Item(string car, string test, int repeat, string status, double? ttft = null, double? e2e = null,
        double? judge = null) => new(
        new RunItemRow { Id = $"{car}-{test}-{repeat}", CarId = car, CarName = car.ToUpperInvariant(), TestId = test, TestName = test,
            RepeatIndex = repeat, Status = status, Ordinal = repeat },
        status == ItemStatus.Error ? new ItemMetrics() : new ItemMetrics { TtftMs = ttft, E2eMs = e2e, ItlMs = [1, 2] },
        [],
        judge is null ? null : new JudgeGrade(judge, "pass", null, "j", null, ""));

    [Fact]
    public void A_distribution_has_the_numpy_percentiles_and_the_sample_standard_deviation()
    {
        var d = Distribution.Of([10, 20, 30, 40, 50]);

        Assert.Equal(5, d.Count);
        Assert.Equal(30, d.Mean);
        Assert.Equal(30, d.P50);
        Assert.Equal(46, d.P90);
        Assert.Equal(48, d.P95);
        Assert.Equal(49.6, d.P99);
        Assert.Equal(10, d.Min);
        Assert.Equal(50, d.Max);
        Assert.Equal(15.811, d.StdDev); // sqrt(250)
        Assert.Null(Distribution.Of([]).P50);
    }

    [Fact]
    public void Scorecards_count_errors_against_the_car_and_measure_only_what_streamed()
    {
        var cards = Scorecards.For(
        [
            Item("a", "t1", 0, ItemStatus.Passed, 100, 400, judge: 8),
            Item("a", "t2", 0, ItemStatus.Failed, 300, 800, judge: 4),
            Item("a", "t3", 0, ItemStatus.Error),
            Item("a", "t4", 0, ItemStatus.Passed, 200, 600),
        ]);

        var a = Assert.Single(cards);
        Assert.Equal(4, a.Items);
        Assert.Equal(0.5, a.PassRate);
        Assert.Equal(0.25, a.ErrorRate);
        Assert.Equal(3, a.TtftMs.Count);        // the errored request has no TTFT; it still counts in the rates
        Assert.Equal(200, a.TtftMs.P50);
        Assert.Equal(6, a.JudgeMean);
        Assert.Equal(2, a.Judged);
        Assert.Null(a.PassAllRepeatsRate);
    }

    [Fact]
    public void Goodput_is_the_rate_of_items_that_met_every_check_over_the_cars_racing_time()
    {
        static ItemResult Timed(string status, string started, string finished)
        {
            var item = Item("a", started, 0, status, 1, 2);
            item.Row.StartedAt = started;
            item.Row.FinishedAt = finished;
            return item;
        }

        var card = Assert.Single(Scorecards.For(
        [
            Timed(ItemStatus.Passed, "2026-12-02T10:00:00.000Z", "2026-12-02T10:00:01.000Z"),
            Timed(ItemStatus.Failed, "2026-12-02T10:00:01.000Z", "2026-12-02T10:00:02.500Z"),
            Timed(ItemStatus.Passed, "2026-12-02T10:00:02.500Z", "2026-12-02T10:00:04.000Z"),
        ]));

        Assert.Equal(0.6667, card.PassRate);
        Assert.Equal(0.5, card.Goodput); // 2 good items in 4 s, not the pass rate it used to repeat
        Assert.Null(Assert.Single(Scorecards.For([Item("b", "t", 0, ItemStatus.Passed, 1, 2)])).Goodput);
    }

    [Fact]
    public void With_repeats_pass_n_counts_the_tests_that_passed_every_time()
    {
        var card = Assert.Single(Scorecards.For(
        [
            Item("a", "t1", 0, ItemStatus.Passed, 1, 2), Item("a", "t1", 1, ItemStatus.Passed, 1, 2), Item("a", "t1", 2, ItemStatus.Passed,
                1, 2),
            Item("a", "t2", 0, ItemStatus.Passed, 1, 2), Item("a", "t2", 1, ItemStatus.Failed, 1, 2), Item("a", "t2", 2, ItemStatus.Passed,
                1, 2),
        ]));

        Assert.Equal(3, card.Repeats);
        Assert.Equal(0.8333, card.PassRate);
        Assert.Equal(0.5, card.PassAllRepeatsRate);
    }

    [Fact]
    public void A_comparison_flags_flips_and_latency_beyond_the_tolerance()
    {
        IReadOnlyList<ItemResult> before = [Item("a", "t1", 0, ItemStatus.Passed, 100, 500), Item("a", "t2", 0, ItemStatus.Failed, 100,
            500)];
        IReadOnlyList<ItemResult> after = [Item("a", "t1", 0, ItemStatus.Failed, 130, 500), Item("a", "t2", 0, ItemStatus.Passed, 110,
            500)];

        var strict = RunComparisons.Compare("now", after, "then", before, new Tolerances(TtftPct: 10));
        Assert.Equal(["regressed", "fixed"], strict.Items.Select(i => i.Change));
        Assert.Equal(30, strict.Items[0].TtftMsDelta);
        var car = Assert.Single(strict.Cars);
        Assert.Equal(20, car.TtftP50Ms.DeltaPct);      // p50 100 -> 120
        Assert.True(car.TtftP50Ms.Regression);
        Assert.False(car.PassRate.Regression);          // one lost, one gained
        Assert.Equal(1, car.NewFailures);
        Assert.True(strict.Regressed);

        var lenient = RunComparisons.Compare("now", after, "then", before, new Tolerances(TtftPct: 25));
        Assert.False(lenient.Cars[0].TtftP50Ms.Regression);
    }

    [Theory]
    [InlineData("""{"score": 7.5, "verdict": "PASS", "rationale": "ok"}""", 7.5, "pass", null)]
    [InlineData("```json\n{\"score\": 3, \"verdict\": \"fail\", \"rationale\": \"off topic\"}\n```", 3.0, "fail", null)]
    [InlineData("""{"score": 11, "verdict": "pass"}""", null, null, "score must be a number from 0 to 10")]
    [InlineData("""{"score": 5, "verdict": "maybe"}""", null, null, "verdict must be")]
    [InlineData("I think it is fine.", null, null, "no JSON object")]
    [InlineData("{score: five}", null, null, "it does not parse")]
    public void A_judge_reply_is_read_or_recorded_as_an_error(string reply, double? score, string? verdict, string? error)
    {
        var grade = JudgeRunner.Parse(reply, "judge", "2026-01-01T00:00:00.000Z");
        Assert.Equal(score, grade.Score);
        Assert.Equal(verdict, grade.Verdict);
        if (error is null) Assert.Null(grade.Error); else Assert.Contains(error, grade.Error);
    }
}
