namespace LLMRace.Cli;

/// <summary>What <c>llmrace</c> exits with, for CI to act on (the README's table).</summary>
public static class ExitCodes
{
    /// <summary>Every item of the run passed its checks (a load test: its objectives, or without any every check, held; compare:
    /// no regression).</summary>
    public const int Passed = 0;

    /// <summary>The run finished and at least one item failed a check (none erred); a load test missed its objectives (or
    /// without any, a request failed its checks or erred).</summary>
    public const int ChecksFailed = 1;

    /// <summary>A regression beyond the tolerances against the baseline (<c>compare</c>, or <c>race --baseline</c>).</summary>
    public const int Regressed = 2;

    /// <summary>An item erred (a model server's error or timeout), the run did not complete, no request of a load test succeeded,
    /// or LLMRace was unreachable.</summary>
    public const int Errors = 3;

    /// <summary>
    /// The command line or what it names is wrong (an unknown suite or car, a bad option; nothing was raced), or a report
    /// file cannot be written.
    /// </summary>
    public const int BadInput = 4;
}
