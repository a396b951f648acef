namespace LLMRace.Grains.Load;

/// <summary>How one step of a load test sends its requests.</summary>
public static class StepKinds
{
    /// <summary>One request at a time.</summary>
    public const string Synchronous = "synchronous";
    /// <summary><see cref="LoadStep.Concurrency"/> streams held busy (closed loop).</summary>
    public const string Concurrent = "concurrent";
    /// <summary>As many as <see cref="LoadStep.Concurrency"/> streams allow: the server's saturating rate.</summary>
    public const string Throughput = "throughput";
    /// <summary><see cref="LoadStep.Rate"/> requests/s evenly spaced (open loop).</summary>
    public const string Constant = "constant";
    /// <summary><see cref="LoadStep.Rate"/> requests/s with gamma gaps (open loop).</summary>
    public const string Poisson = "poisson";

    public static bool IsOpenLoop(string kind) => kind is Constant or Poisson;
}

/// <summary>One step of a load test: how it sends, and when it ends (duration and/or requests, whichever comes first).</summary>
public sealed record LoadStep(
    int Index, string Kind, double? Rate, int Concurrency, double? DurationS, int? MaxRequests, double WarmupS, double CooldownS,
    double Burstiness, int Seed, string? Purpose = null);
