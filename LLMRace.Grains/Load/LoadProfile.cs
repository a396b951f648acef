using LLMRace.Grains.Contracts;

namespace LLMRace.Grains.Load;

/// <summary>The profiles a load test can run (see <see cref="LoadProfile"/>).</summary>
public static class LoadProfiles
{
    public const string Synchronous = "synchronous";
    public const string Concurrent = "concurrent";
    public const string Constant = "constant";
    public const string Poisson = "poisson";
    public const string Sweep = "sweep";
    public const string Slo = "slo";

    public static readonly IReadOnlyList<string> All = [Synchronous, Concurrent, Constant, Poisson, Sweep, Slo];
}

/// <summary>
/// A load test's profile with every default filled in, as stored with its run. <c>synchronous</c> sends one request at a
/// time; <c>concurrent</c> holds <see cref="Concurrency"/> streams busy; <c>constant</c> and <c>poisson</c> send
/// <see cref="Rate"/> requests/s on schedule whether or not earlier ones finished (poisson: exponential gaps, or gamma ones
/// with <see cref="Burstiness"/> ≠ 1, as vLLM), at most <see cref="MaxConcurrency"/> in flight; <c>sweep</c> runs
/// synchronous, then at full throughput, then <see cref="Steps"/> − 2 constant rates between the two (as GuideLLM);
/// <c>slo</c> searches for the highest rate at which <see cref="Slo"/> holds and confirms it with a last step.
/// Every step lasts <see cref="DurationS"/> and/or <see cref="MaxRequests"/>; requests sent in its first
/// <see cref="WarmupS"/> and last <see cref="CooldownS"/> seconds are raced but left out of its figures.
/// </summary>
public sealed record LoadProfile(
    string Profile, double? Rate, int Concurrency, double Burstiness, int Steps, double? DurationS, int? MaxRequests,
    double WarmupS, double CooldownS, int Seed, int MaxConcurrency, LoadSlo? Slo)
{
    public const int MaxSteps = 20;
    public const double MaxRate = 100_000;
    public const double MaxDurationS = 3_600;
    public const int MaxRequestsLimit = 1_000_000;
    public const int MaxConcurrencyLimit = 1_024;
    public const int DefaultMaxConcurrency = 64;
    public const double DefaultDurationS = 10;

    /// <summary>Checks a request; null with <paramref name="errors"/> filled (by field) when it is not a valid profile.</summary>
    public static LoadProfile? From(LoadTestRequest request, Dictionary<string, List<string>> errors)
    {
        void Error(string field, string message)
        {
            if (!errors.TryGetValue(field, out var list)) errors[field] = list = [];
            list.Add(message);
        }
        static bool Bad(double? v) => v is { } x && (double.IsNaN(x) || double.IsInfinity(x));

        var profile = request.Profile?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(profile)) Error("profile", $"profile is required: one of {string.Join(", ", LoadProfiles.All)}");
        else if (!LoadProfiles.All.Contains(profile))
            Error("profile", $"unknown profile '{request.Profile}': use one of {string.Join(", ", LoadProfiles.All)}");

        if (Bad(request.Rate) || request.Rate is <= 0 or > MaxRate)
            Error("rate", $"rate is requests per second, above 0 and at most {MaxRate:N0}");
        else if (request.Rate is null && profile is LoadProfiles.Constant or LoadProfiles.Poisson)
            Error("rate", $"the {profile} profile needs a rate (requests per second)");
        if (request.Concurrency is < 1 or > MaxConcurrencyLimit) Error("concurrency", $"concurrency is 1 to {MaxConcurrencyLimit}");
        if (request.MaxConcurrency is < 1 or > MaxConcurrencyLimit)
            Error("max_concurrency", $"max_concurrency is 1 to {MaxConcurrencyLimit}");
        if (Bad(request.Burstiness) || request.Burstiness is <= 0 or > 100) Error("burstiness", "burstiness is above 0 and at most 100 " +
            "(1 is Poisson; below 1 burstier, above 1 steadier)");
        else if (request.Burstiness is { } b && b != 1 && profile != LoadProfiles.Poisson)
            Error("burstiness", "burstiness shapes the gaps of the poisson profile only");
        var minSteps = profile == LoadProfiles.Sweep ? 3 : 1;
        if (request.Steps is { } steps && (steps < minSteps || steps > MaxSteps))
            Error("steps", $"steps is {minSteps} to {MaxSteps}");
        if (Bad(request.DurationS) || request.DurationS is <= 0 or > MaxDurationS)
            Error("duration_s", $"duration_s is above 0 and at most {MaxDurationS:N0} (per step)");
        if (request.MaxRequests is < 1 or > MaxRequestsLimit)
            Error("max_requests", $"max_requests is 1 to {MaxRequestsLimit:N0} (per step)");
        if (Bad(request.WarmupS) || request.WarmupS is < 0) Error("warmup_s", "warmup_s is 0 or more seconds");
        if (Bad(request.CooldownS) || request.CooldownS is < 0) Error("cooldown_s", "cooldown_s is 0 or more seconds");
        var duration = request.DurationS ?? (request.MaxRequests is null ? DefaultDurationS : null);
        if (duration is { } d && (request.WarmupS ?? 0) + (request.CooldownS ?? 0) >= d)
            Error("warmup_s", "warm-up and cool-down together must leave some of each step's duration to measure");

        if (request.Slo is { } slo)
        {
            foreach (var (field, value) in new[] { ("slo.ttft_ms", slo.TtftMs), ("slo.itl_ms", slo.ItlMs), ("slo.tpot_ms", slo.TpotMs),
                ("slo.e2e_ms", slo.E2eMs) })
                if (Bad(value) || value is <= 0 or > 3_600_000) Error(field, $"{field} is a time in ms, above 0");
            if (Bad(slo.CheckPassRate) || slo.CheckPassRate is < 0 or > 1) Error("slo.check_pass_rate", "slo.check_pass_rate is 0 to 1");
            if (Bad(slo.Percentile) || slo.Percentile is <= 0 or > 100)
                Error("slo.percentile", "slo.percentile is above 0 and at most 100");
        }
        if (profile == LoadProfiles.Slo && request.Slo is not { Any: true })
            Error("slo", "the slo profile needs at least one objective (ttft_ms, itl_ms, tpot_ms, e2e_ms or check_pass_rate)");

        if (errors.Count > 0) return null;
        return new LoadProfile(profile!, request.Rate, request.Concurrency ?? (profile == LoadProfiles.Concurrent ? 4 : 1),
            request.Burstiness ?? 1, request.Steps ?? (profile is LoadProfiles.Sweep or LoadProfiles.Slo ? 5 : 1), duration,
            request.MaxRequests, request.WarmupS ?? 0, request.CooldownS ?? 0, request.Seed ?? 1,
            request.MaxConcurrency ?? Math.Max(DefaultMaxConcurrency, request.Concurrency ?? 0), request.Slo);
    }
}
