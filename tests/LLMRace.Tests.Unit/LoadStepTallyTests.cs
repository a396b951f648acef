using LLMRace.Grains.Contracts;
using LLMRace.Grains.Load;
using LLMRace.Grains.Measurement;

namespace LLMRace.Tests.Unit;

/// <summary>A step's figures from its tally: which requests count, and for what (BRIEF section 4).</summary>
public sealed class LoadStepTallyTests
{
    private static readonly LoadStep Step = new(3, StepKinds.Constant, 10, 8, 10, null, 1, 0, 1, 1);

    private static LoadRequestResult Result(long index, double sentMs, string status, double? ttft = null, double e2e = 100,
        bool measured = true, string? errorKind = null, double[]? itl = null, int tokens = 5,
        IReadOnlyDictionary<string, double>? timings = null) =>
        new(Step.Index, index, "t1", sentMs - 0.5, sentMs, measured, status, errorKind, errorKind, new ItemMetrics
        {
            TtftMs = ttft, E2eMs = status == LoadStatus.Error ? null : e2e, TpotMs = ttft is null ? null : (e2e - ttft) / 4,
            ItlMs = itl ?? [], OutputTokens = tokens,
        }, status == LoadStatus.Passed ? 1 : 0, 1, timings);

    [Fact]
    public void Only_measured_requests_count_and_errors_are_left_out_of_the_latencies()
    {
        var tally = new LoadStepTally(null);
        tally.Add(Result(0, 500, LoadStatus.Passed, ttft: 1000, measured: false));
        tally.Add(Result(1, 1_000, LoadStatus.Passed, ttft: 10, itl: [1, 3]));
        tally.Add(Result(2, 1_500, LoadStatus.Failed, ttft: 30, itl: [2]));
        tally.Add(Result(3, 2_000, LoadStatus.Error, errorKind: "http_503"));
        tally.Add(Result(4, 2_100, LoadStatus.Error));
        tally.Add(Result(5, 2_200, LoadStatus.Cancelled, ttft: 5000));

        var f = tally.Figures(Step, peakConcurrency: 4);

        Assert.Equal((6, 4, 2), (f.Requests, f.Measured, f.Completed));
        Assert.Equal(20, f.TtftMs!.Mean);
        Assert.Equal(30, f.TtftMs.Max);
        Assert.Equal((2.0, 3.0), (f.ItlMs!.P50, f.ItlMs.Max));
        Assert.Equal(new Dictionary<string, int> { ["http_503"] = 1, ["other"] = 1 }, f.ErrorsByKind);
        Assert.Equal(0.5, f.ErrorRate);
        Assert.Equal(0.25, f.CheckPassRate);
        // From the first measured send (1.0 s) to the last measured end (2.1 s, an error's send: it has no E2E; the
        // cancelled request's is not counted).
        Assert.Equal(1.1, f.WindowS);
        Assert.Equal(Math.Round(2 / 1.1, 3), f.RequestsPerS);
        Assert.Equal(Math.Round(10 / 1.1, 3), f.OutputTokensPerS);
        Assert.Equal(0.5, f.ScheduleErrorMs!.Max);
        Assert.Equal(4, f.PeakConcurrency);
        Assert.Null(f.SloMet);
    }

    [Fact]
    public void Goodput_counts_passed_requests_that_met_every_objective()
    {
        var slo = new LoadSlo(TtftMs: 50, ItlMs: 5, Percentile: 50);
        var tally = new LoadStepTally(slo);
        tally.Add(Result(0, 1_000, LoadStatus.Passed, ttft: 10, itl: [1, 2, 3]));
        tally.Add(Result(1, 1_000, LoadStatus.Passed, ttft: 60, itl: [1]));
        tally.Add(Result(2, 1_000, LoadStatus.Passed, ttft: 10, itl: [9, 9, 1]));
        tally.Add(Result(3, 1_000, LoadStatus.Failed, ttft: 10, itl: [1]));

        var f = tally.Figures(Step, 1);

        // The window is 100 ms (every E2E): one good request in it is 10/s.
        Assert.Equal(10, f.GoodputPerS);
        Assert.True(f.SloMet);
    }

    [Fact]
    public void Objectives_missed_are_named()
    {
        var tally = new LoadStepTally(new LoadSlo(TtftMs: 20, CheckPassRate: 0.9));
        tally.Add(Result(0, 1_000, LoadStatus.Passed, ttft: 10));
        tally.Add(Result(1, 1_000, LoadStatus.Failed, ttft: 40));

        var f = tally.Figures(Step, 1);

        Assert.False(f.SloMet);
        Assert.Equal(2, f.SloMisses.Count);
        Assert.StartsWith("TTFT p95", f.SloMisses[0]);
        Assert.StartsWith("check pass rate 50%", f.SloMisses[1]);
    }

    [Fact]
    public void A_server_naming_a_new_timing_in_every_answer_is_kept_to_the_first_names()
    {
        var tally = new LoadStepTally(null);
        for (var i = 0; i < 500; i++)
            tally.Add(Result(i, 1_000 + i, LoadStatus.Passed, ttft: 1,
                timings: new Dictionary<string, double> { ["prompt_ms"] = i, [$"junk_{i}"] = 1 }));

        var f = tally.Figures(Step, 1);

        Assert.Equal(64, f.ServerTimings!.Count);
        Assert.Equal(499, f.ServerTimings["prompt_ms"].Max);
        Assert.Equal(249.5, f.ServerTimings["prompt_ms"].P50);
    }

    [Fact]
    public void A_step_with_nothing_measured_has_no_latencies_and_misses_its_objectives()
    {
        var tally = new LoadStepTally(new LoadSlo(TtftMs: 20));
        tally.Add(Result(0, 1_000, LoadStatus.Passed, ttft: 10, measured: false));

        var f = tally.Figures(Step, 1);

        Assert.Equal((1, 0, 0, 0.0), (f.Requests, f.Measured, f.Completed, f.RequestsPerS));
        Assert.Null(f.TtftMs);
        Assert.False(f.SloMet);
        Assert.Contains("no measured request", f.SloMisses);
    }
}
