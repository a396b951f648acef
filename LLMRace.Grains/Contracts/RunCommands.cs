namespace LLMRace.Grains.Contracts;

/// <summary>What a user asks a new run to race: a suite, the cars, and how. Checked by the run grain, which plans it.</summary>
[GenerateSerializer, Immutable]
public sealed record RunPlanRequest(
    [property: Id(0)] string? SuiteId,
    [property: Id(1)] string?[]? CarIds,
    [property: Id(2)] int? Concurrency,
    [property: Id(3)] int? Repeats);

[GenerateSerializer]
public enum RunCommandOutcome { Accepted, Invalid, NotFound, Conflict }

/// <summary>How a run grain answered a command: accepted (with the run's progress), or why not.</summary>
[GenerateSerializer, Immutable]
public sealed record RunCommandResult(
    [property: Id(0)] RunCommandOutcome Outcome,
    [property: Id(1)] RunProgress? Progress = null,
    [property: Id(2)] string? Message = null,
    [property: Id(3)] Dictionary<string, string[]>? Errors = null,
    [property: Id(4)] int? ItemsToRace = null)
{
    public static RunCommandResult Accepted(RunProgress progress, int? itemsToRace = null) => new(RunCommandOutcome.Accepted, progress,
        ItemsToRace: itemsToRace);
    public static RunCommandResult Conflict(string why) => new(RunCommandOutcome.Conflict, Message: why);
    public static RunCommandResult NotFound(string what) => new(RunCommandOutcome.NotFound, Message: what);
    public static RunCommandResult Invalid(Dictionary<string, string[]> errors) => new(RunCommandOutcome.Invalid, Errors: errors);
}
