namespace LLMRace.Grains.Storage;

// Rows as stored. Dapper maps snake_case columns onto these properties.

public sealed class ConnectionRow
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string Type { get; set; } = "";
    public string BaseUrl { get; set; } = "";
    public byte[]? ApiKeyCipher { get; set; }
    public string? ApiKeyHint { get; set; }
    /// <summary>The user:password a base URL was given with, kept as a key is: encrypted, never shown.</summary>
    public byte[]? BaseUrlCredentialsCipher { get; set; }
    public string? ApiKeyEnvVar { get; set; }
    /// <summary>Per attempt, to the first token; also the longest quiet spell mid-stream.</summary>
    public double TimeoutS { get; set; }
    /// <summary>Per attempt, to the response headers (null: as <see cref="TimeoutS"/>).</summary>
    public double? HeadersTimeoutS { get; set; }
    /// <summary>The whole item, retries included (null: <see cref="Contracts.ConnectionSnapshot.DefaultTotalTimeoutS"/>).</summary>
    public double? TotalTimeoutS { get; set; }
    public int MaxRetries { get; set; }
    public int MaxConcurrency { get; set; }
    /// <summary>Kept in step with the AppHost's Simulator: its base URL is refreshed at each start.</summary>
    public bool Managed { get; set; }
    public string CreatedAt { get; set; } = "";
    public string UpdatedAt { get; set; } = "";
}

public sealed class CarRow
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string ConnectionId { get; set; } = "";
    public string Model { get; set; } = "";
    public string ParamsJson { get; set; } = "{}";
    public string CreatedAt { get; set; } = "";
    public string UpdatedAt { get; set; } = "";
}

public sealed class SuiteRow
{
    public string Id { get; set; } = "";
    public string Name { get; set; } = "";
    public string Category { get; set; } = "";
    public string Description { get; set; } = "";
    public string SourceJson { get; set; } = "";
    public string CreatedAt { get; set; } = "";
    public string UpdatedAt { get; set; } = "";
}

public sealed class TestRow
{
    public string Id { get; set; } = "";
    public string SuiteId { get; set; } = "";
    public int OrderIndex { get; set; }
    public string Name { get; set; } = "";
    public string? SystemPrompt { get; set; }
    public string UserPrompt { get; set; } = "";
    public string? ExpectedConstraints { get; set; }
    public string? ToolsSchemaJson { get; set; }
    public int? MaxToolTurns { get; set; }
}

public sealed class RunRow
{
    public string Id { get; set; } = "";
    /// <summary>What the run is: a race (<see cref="Contracts.RunKinds.Race"/>) or a load test.</summary>
    public string Kind { get; set; } = Contracts.RunKinds.Race;
    public string SuiteId { get; set; } = "";
    public string SuiteName { get; set; } = "";
    public string Status { get; set; } = "";
    public string SettingsJson { get; set; } = "{}";
    /// <summary>
    /// The suite and cars as raced (<see cref="Contracts.RunSnapshot"/>), kept in <c>run_snapshots</c>: set when a run is
    /// planned and read by <see cref="RunStore.GetWithSnapshotAsync"/> only; empty from every other read, so a caller that
    /// forgot it fails on the empty text instead of racing an empty suite.
    /// </summary>
    public string SnapshotJson { get; set; } = "";
    public string CarIds { get; set; } = "";
    public int ItemsTotal { get; set; }
    public int ItemsDone { get; set; }
    public string? Error { get; set; }
    public bool IsBaseline { get; set; }
    /// <summary>A judge is grading the run's items: its event log goes on past the run's end until it finishes.</summary>
    public bool Judging { get; set; }
    /// <summary>When the silo racing the run last said it still does (a cluster's silos only).</summary>
    public string? HeartbeatAt { get; set; }
    public string CreatedAt { get; set; } = "";
    public string? StartedAt { get; set; }
    public string? FinishedAt { get; set; }
}

/// <summary>A run at a glance: its cars' names, passed and finished items, and the median TTFT of its measured items.</summary>
public sealed record RunSummary(IReadOnlyList<string> Cars, int Passed, int Finished, double? TtftP50Ms);

public sealed class RunItemRow
{
    public string Id { get; set; } = "";
    public string RunId { get; set; } = "";
    public int Ordinal { get; set; }
    public string TestId { get; set; } = "";
    public string TestName { get; set; } = "";
    public string CarId { get; set; } = "";
    public string CarName { get; set; } = "";
    public int RepeatIndex { get; set; }
    public string Status { get; set; } = "";
    public string? Output { get; set; }
    public string? Reasoning { get; set; }
    public string? ToolCallsJson { get; set; }
    public string? Error { get; set; }
    public string? MetricsJson { get; set; }
    public string? ChecksJson { get; set; }
    public string? JudgeJson { get; set; }
    public string? ManualGradeJson { get; set; }
    public string? ServerTimingsJson { get; set; }
    public int Retries { get; set; }
    public string? StartedAt { get; set; }
    public string? FinishedAt { get; set; }
}
