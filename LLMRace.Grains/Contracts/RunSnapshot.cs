using System.Text.Json.Nodes;

namespace LLMRace.Grains.Contracts;

/// <summary>The suite and cars exactly as a run raced them, stored with the run. Never holds a secret.</summary>
public sealed record RunSnapshot(SuiteSnapshot Suite, IReadOnlyList<CarSnapshot> Cars, RunSettings Settings);

public sealed record SuiteSnapshot(string Id, string Name, string Category, string Description, IReadOnlyList<TestSnapshot> Tests);

public sealed record TestSnapshot(
    string Id, int OrderIndex, string Name, string? SystemPrompt, string UserPrompt,
    string? ExpectedConstraints, string? ToolsSchemaJson, int? MaxToolTurns = null);

public sealed record CarSnapshot(string Id, string Name, string Model, JsonObject Params, ConnectionSnapshot Connection);

public sealed record ConnectionSnapshot(
    string Id, string Name, string Type, string BaseUrl, double TimeoutS, int MaxRetries, int MaxConcurrency,
    double? HeadersTimeoutS = null, double? TotalTimeoutS = null)
{
    public const double DefaultTotalTimeoutS = 600;

    public TimeSpan FirstTokenTimeout => TimeSpan.FromSeconds(Math.Max(0.1, TimeoutS));
    public TimeSpan HeadersTimeout => TimeSpan.FromSeconds(Math.Max(0.1, HeadersTimeoutS ?? TimeoutS));
    public TimeSpan TotalTimeout => TimeSpan.FromSeconds(Math.Max(0.1, TotalTimeoutS ?? DefaultTotalTimeoutS));
}

/// <summary>How a run is raced. Defaults give the original's order: sequential by test, then car.</summary>
public sealed record RunSettings(int Concurrency = 1, int Repeats = 1)
{
    public const int MaxConcurrency = 256;
    public const int MaxRepeats = 100;
}
