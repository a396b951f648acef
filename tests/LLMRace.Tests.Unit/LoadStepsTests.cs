using LLMRace.Grains.Contracts;
using LLMRace.Grains.Load;

namespace LLMRace.Tests.Unit;

/// <summary>How profiles become steps, and the slo profile's search, against a model server whose limit is known.</summary>
public sealed class LoadStepsTests
{
    /// <summary>A server that serves up to <paramref name="capacity"/> requests/s and meets the objectives below <paramref name="limit"/>.</summary>
    private static Func<LoadStep, Task<LoadStepFigures>> Server(double syncRate, double capacity, double limit, List<LoadStep> seen) =>
        step =>
        {
            seen.Add(step);
            var rate = step.Kind switch
            {
                StepKinds.Synchronous => syncRate,
                StepKinds.Throughput => capacity,
                _ => Math.Min(step.Rate!.Value, capacity),
            };
            var met = rate <= limit;
            return Task.FromResult(new LoadStepFigures(step.Index, step.Kind, step.Rate, step.Concurrency, step.Purpose, 10, 10, 10, 1,
                rate, rate * 10, 1, 1, null, null, null, null, null, 0, new Dictionary<string, int>(), 1, rate, met,
                met ? [] : [$"TTFT p95 too slow at {rate}"]));
        };

    private static LoadProfile Profile(string profile, int steps = 5, LoadSlo? slo = null)
    {
        var errors = new Dictionary<string, List<string>>();
        var p = LoadProfile.From(new LoadTestRequest("s", "c", profile, Steps: steps, Slo: slo ?? new LoadSlo(TtftMs: 500)), errors);
        Assert.True(p is not null, string.Join("; ", errors.SelectMany(e => e.Value)));
        return p;
    }

    [Fact]
    public async Task A_sweep_runs_synchronous_then_throughput_then_rates_evenly_between_them()
    {
        var seen = new List<LoadStep>();
        var verdict = await LoadSteps.RunAsync(Profile("sweep", steps: 5), Server(2, 42, 100, seen), CancellationToken.None);
        Assert.Null(verdict);
        Assert.Equal(["synchronous", "throughput", "constant", "constant", "constant"], seen.Select(s => s.Kind));
        Assert.Equal([12.0, 22.0, 32.0], seen.Skip(2).Select(s => s.Rate!.Value));
        Assert.Equal([0, 1, 2, 3, 4], seen.Select(s => s.Index));
    }

    [Fact]
    public async Task The_slo_search_bisects_to_the_highest_rate_that_holds_and_confirms_it()
    {
        var seen = new List<LoadStep>();
        var verdict = await LoadSteps.RunAsync(Profile("slo", steps: 8), Server(2, 100, 37, seen), CancellationToken.None);
        Assert.NotNull(verdict);
        Assert.True(verdict.Met && verdict.Confirmed, verdict.Summary);
        Assert.InRange(verdict.Rate!.Value, 36, 37);
        Assert.Equal("confirming", seen[^1].Purpose);
        Assert.Equal(verdict.Rate, seen[^1].Rate);
        Assert.Equal(seen.Count, verdict.StepsTried);
    }

    [Fact]
    public async Task The_slo_search_says_so_when_even_one_request_at_a_time_misses_and_when_throughput_itself_holds()
    {
        var never = await LoadSteps.RunAsync(Profile("slo"), Server(2, 100, 1, []), CancellationToken.None);
        Assert.False(never!.Met);
        Assert.Null(never.Rate);
        Assert.Contains("even one request at a time", never.Summary);

        var seen = new List<LoadStep>();
        var always = await LoadSteps.RunAsync(Profile("slo"), Server(2, 100, 1000, seen), CancellationToken.None);
        Assert.True(always!.Met && always.Confirmed);
        Assert.Equal(100, always.Rate);
        Assert.Equal(3, seen.Count);
    }

    [Fact]
    public void Gamma_gaps_average_one_over_the_rate_are_seeded_and_burstier_below_one()
    {
        static double[] Gaps(double burstiness, int seed)
        {
            var times = ArrivalSchedule.Gamma(10, burstiness, seed).Take(20_001).ToArray();
            return [.. times.Zip(times.Skip(1), (a, b) => b - a)];
        }
        static double Cv(double[] g) => Math.Sqrt(g.Average(x => Math.Pow(x - g.Average(), 2))) / g.Average();
        var poisson = Gaps(1, 3);
        Assert.InRange(poisson.Average(), 0.095, 0.105);
        Assert.InRange(Cv(poisson), 0.95, 1.05);
        Assert.Equal(poisson, Gaps(1, 3));
        Assert.NotEqual(poisson, Gaps(1, 4));
        var bursty = Gaps(0.25, 3);
        Assert.InRange(bursty.Average(), 0.09, 0.11);
        Assert.True(Cv(bursty) > 1.8, $"cv {Cv(bursty)}");
        Assert.Equal([0, 0.1, 0.2], ArrivalSchedule.Constant(10).Take(3).Select(t => Math.Round(t, 9)));
    }
}
