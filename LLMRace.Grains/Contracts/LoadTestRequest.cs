namespace LLMRace.Grains.Contracts;

/// <summary>What a user asks a load test to do, as sent: checked and resolved into a <see cref="Load.LoadProfile"/>.</summary>
[GenerateSerializer, Immutable]
public sealed record LoadTestRequest(
    [property: Id(0)] string? SuiteId,
    [property: Id(1)] string? CarId,
    [property: Id(2)] string? Profile,
    [property: Id(3)] double? Rate = null,
    [property: Id(4)] int? Concurrency = null,
    [property: Id(5)] double? Burstiness = null,
    [property: Id(6)] int? Steps = null,
    [property: Id(7)] double? DurationS = null,
    [property: Id(8)] int? MaxRequests = null,
    [property: Id(9)] double? WarmupS = null,
    [property: Id(10)] double? CooldownS = null,
    [property: Id(11)] int? Seed = null,
    [property: Id(12)] int? MaxConcurrency = null,
    [property: Id(13)] LoadSlo? Slo = null);

/// <summary>
/// Service-level objectives: latencies at a percentile of a step's requests (ms), and the share of requests whose checks
/// pass. Null means no objective on that figure.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record LoadSlo(
    [property: Id(0)] double? TtftMs = null,
    [property: Id(1)] double? ItlMs = null,
    [property: Id(2)] double? TpotMs = null,
    [property: Id(3)] double? E2eMs = null,
    [property: Id(4)] double? CheckPassRate = null,
    [property: Id(5)] double? Percentile = null)
{
    public const double DefaultPercentile = 95;

    public double At => Percentile ?? DefaultPercentile;

    public bool Any => TtftMs is not null || ItlMs is not null || TpotMs is not null || E2eMs is not null || CheckPassRate is not null;
}
