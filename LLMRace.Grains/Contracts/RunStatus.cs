namespace LLMRace.Grains.Contracts;

public static class RunStatus
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Completed = "completed";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
    /// <summary>The Api stopped while the run was in progress; set at the next start-up.</summary>
    public const string Interrupted = "interrupted";

    public static bool IsFinished(string status) => status is Completed or Failed or Cancelled or Interrupted;
}

public static class ItemStatus
{
    public const string Pending = "pending";
    public const string Running = "running";
    public const string Passed = "passed";
    public const string Failed = "failed";
    public const string Error = "error";
    public const string Cancelled = "cancelled";
}

/// <summary>What a run grain reports while it runs.</summary>
[GenerateSerializer, Immutable]
public sealed record RunProgress(
    [property: Id(0)] string RunId,
    [property: Id(1)] string Status,
    [property: Id(2)] int ItemsTotal,
    [property: Id(3)] int ItemsDone,
    [property: Id(4)] long LastSeq);

/// <summary>What a run is. Both kinds share the runs table, the event log, its streams and Run History.</summary>
public static class RunKinds
{
    public const string Race = "race";
    public const string Load = "load";
}
