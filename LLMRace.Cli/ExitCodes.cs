namespace LLMRace.Cli;

/// <summary>What <c>llmrace</c> exits with, for CI to act on (the README's table).</summary>
public static class ExitCodes
{
    /// <summary>Every item of the run passed its checks.</summary>
    public const int Passed = 0;

    /// <summary>The run finished and at least one item failed a check (none erred).</summary>
    public const int ChecksFailed = 1;

    /// <summary>Reserved for <c>compare</c>: a regression beyond tolerance against a baseline (not built yet).</summary>
    public const int Regressed = 2;

    /// <summary>An item erred (a model server's error or timeout), the run did not complete, or LLMRace was unreachable.</summary>
    public const int Errors = 3;

    /// <summary>
    /// The command line or what it names is wrong (an unknown suite or car, a bad option; nothing was raced), or a report
    /// file cannot be written.
    /// </summary>
    public const int BadInput = 4;
}
