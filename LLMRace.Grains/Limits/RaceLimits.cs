namespace LLMRace.Grains.Limits;

/// <summary>
/// The bounds that keep one hostile suite or model server from taking the machine: output kept per item, the
/// longest stream line and error body read, and the checks' share of time. Each can be set by configuration.
/// </summary>
public sealed record RaceLimits
{
    /// <summary>Characters of output (text, reasoning and tool-call arguments) one item may produce before it is stopped.</summary>
    public int MaxOutputChars { get; init; } = 1_000_000;

    /// <summary>The longest line of an SSE or NDJSON stream read; a longer one ends the item with an error.</summary>
    public int MaxStreamLineBytes { get; init; } = 1024 * 1024;

    /// <summary>How much of an error response's body is read, for the message.</summary>
    public int MaxErrorBodyBytes { get; init; } = 64 * 1024;

    /// <summary>How much of a model list is read in discovery.</summary>
    public int MaxModelListBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>Time one item's checks may take together; checks left when it is spent get the verdict error.</summary>
    public TimeSpan ChecksBudget { get; init; } = TimeSpan.FromSeconds(1);

    public static readonly RaceLimits Default = new();
}
