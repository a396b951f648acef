namespace LLMRace.Grains.Load;

/// <summary>What a load test found: for the slo profile, the highest rate at which its objectives held.</summary>
public sealed record LoadVerdict(double? Rate, bool Met, bool Confirmed, int StepsTried, string Summary);

/// <summary>
/// Turns a profile into steps and runs them: one step for the fixed profiles; for <c>sweep</c> synchronous, then throughput,
/// then constant rates evenly between the two (GuideLLM's sweep); for <c>slo</c> the same two bounds, then a bisection on
/// the rate for the highest one whose step meets every objective, then a confirming step at that rate.
/// </summary>
public static class LoadSteps
{
    public static async Task<LoadVerdict?> RunAsync(LoadProfile profile, Func<LoadStep, Task<LoadStepFigures>> runStep,
        CancellationToken ct)
    {
        var index = 0;
        LoadStep Step(string kind, double? rate = null, int? concurrency = null, string? purpose = null) => new(index++, kind, rate,
            concurrency ?? (kind == StepKinds.Synchronous ? 1 : profile.MaxConcurrency), profile.DurationS, profile.MaxRequests,
            profile.WarmupS, profile.CooldownS, profile.Burstiness, profile.Seed, purpose);

        switch (profile.Profile)
        {
            case LoadProfiles.Synchronous:
                await runStep(Step(StepKinds.Synchronous));
                return null;
            case LoadProfiles.Concurrent:
                await runStep(Step(StepKinds.Concurrent, concurrency: profile.Concurrency));
                return null;
            case LoadProfiles.Constant:
            case LoadProfiles.Poisson:
                var figures = await runStep(Step(profile.Profile, profile.Rate));
                return figures.SloMet is { } met
                    ? new LoadVerdict(profile.Rate, met, met, 1, met ? $"the objectives held at {profile.Rate:0.###} requests/s"
                        : $"the objectives did not hold at {profile.Rate:0.###} requests/s: {string.Join("; ", figures.SloMisses)}")
                    : null;
        }

        var sync = await runStep(Step(StepKinds.Synchronous, purpose: "the rate of one request at a time"));
        ct.ThrowIfCancellationRequested();
        var max = await runStep(Step(StepKinds.Throughput, purpose: "the saturating rate"));
        var low = sync.RequestsPerS;
        var high = Math.Max(max.RequestsPerS, low);
        if (profile.Profile == LoadProfiles.Sweep)
        {
            // Nothing finished at all (every request failed): there is no rate between the two to try.
            if (high <= 0) return null;
            for (var i = 1; i <= profile.Steps - 2; i++)
            {
                ct.ThrowIfCancellationRequested();
                await runStep(Step(StepKinds.Constant, Round(low + (high - low) * i / (profile.Steps - 1))));
            }
            return null;
        }

        // slo: bisect between a rate that met the objectives and one that did not.
        var tried = 2;
        if (sync.SloMet != true)
            return new LoadVerdict(null, false, false, tried, "the objectives did not hold even one request at a time: " +
                string.Join("; ", sync.SloMisses));
        double? best = max.SloMet == true ? high : null;
        if (best is null)
        {
            var good = low;
            var bad = high;
            for (var i = 0; i < profile.Steps && bad - good > Math.Max(0.01, good * 0.02); i++)
            {
                ct.ThrowIfCancellationRequested();
                var rate = Round((good + bad) / 2);
                var probe = await runStep(Step(StepKinds.Constant, rate, purpose: "searching"));
                tried++;
                if (probe.SloMet == true) good = rate;
                else bad = rate;
            }
            best = good;
        }
        ct.ThrowIfCancellationRequested();
        var confirm = await runStep(Step(StepKinds.Constant, Round(best.Value), purpose: "confirming"));
        tried++;
        var confirmed = confirm.SloMet == true;
        return new LoadVerdict(Round(best.Value), true, confirmed, tried, confirmed
            ? $"the objectives hold up to {best:0.###} requests/s (confirmed by a last step at that rate)"
            : $"the search found {best:0.###} requests/s, but the confirming step missed: {string.Join("; ", confirm.SloMisses)}");
    }

    private static double Round(double rate) => Math.Round(rate, 3);
}
