namespace LLMRace.Grains.Contracts;

/// <summary>
/// One event of a run, as stored in run_events and sent over Orleans streams, SSE and SignalR.
/// <see cref="Json"/> is the complete wire form ({run_id, seq, ts, type, item_id, data}),
/// serialised once when the event is made so every consumer sends the same bytes.
/// </summary>
[GenerateSerializer, Immutable]
public sealed record RunEvent(
    [property: Id(0)] string RunId,
    [property: Id(1)] long Seq,
    [property: Id(2)] DateTime Ts,
    [property: Id(3)] string Type,
    [property: Id(4)] string? ItemId,
    [property: Id(5)] string Json)
{
    public bool IsTerminal => EventTypes.IsTerminal(Type);
}

/// <summary>Events are published in the batches in which they were persisted.</summary>
[GenerateSerializer, Immutable]
public sealed record RunEventBatch([property: Id(0)] RunEvent[] Events);

public static class EventTypes
{
    public const string RunStarted = "run.started";
    public const string ItemStarted = "item.started";
    public const string ItemRetry = "item.retry";
    public const string ItemFirstToken = "item.first_token";
    public const string ItemDelta = "item.delta";
    public const string ItemToolCall = "item.tool_call";
    public const string ItemToolResult = "item.tool_result";
    public const string ItemError = "item.error";
    public const string ItemCompleted = "item.completed";
    public const string RunCompleted = "run.completed";
    public const string RunFailed = "run.failed";
    public const string RunCancelled = "run.cancelled";
    public const string JudgeStarted = "judge.started";
    public const string ItemJudged = "item.judged";
    public const string JudgeCompleted = "judge.completed";
    public const string JudgeFailed = "judge.failed";
    public const string LoadStepStarted = "load.step_started";
    /// <summary>One request of a load test, summed up (a load test emits no event per token).</summary>
    public const string LoadRequest = "load.request";
    /// <summary>A second of a load test's step: what finished in it.</summary>
    public const string LoadSecond = "load.second";
    public const string LoadStepCompleted = "load.step";
    public const string LoadVerdict = "load.verdict";

    /// <summary>An event after which the log may end: the run's end, or a judge's (a judge may follow a finished run).</summary>
    public static bool IsTerminal(string type) => type is RunCompleted or RunFailed or RunCancelled or JudgeCompleted or JudgeFailed;
}

public static class RunStreams
{
    public const string ProviderName = OrleansNames.RunStreams;
    public const string Namespace = "run";
}
