namespace LLMRace.Grains.Limits;

/// <summary>
/// Every regex LLMRace runs has a match timeout: its own (regex checks) get <see cref="MatchTimeout"/>, or less when
/// the item's checks budget has less left; those a library builds from a user's text (a JSON Schema's "pattern") get
/// the process default, <see cref="LibraryDefault"/>.
/// </summary>
public static class RegexLimits
{
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// The process-wide default applies to every regex made without a timeout, libraries' own included (Dapper reads
    /// each SQL text with one). A timeout is measured on the clock, so a thread kept off the CPU on a busy machine
    /// reaches it without any backtracking: seen here at 250 ms, when a start-up under load stopped on Dapper's regex.
    /// Two seconds still stop a catastrophic schema pattern, and no regex run on a short text comes near it.
    /// </summary>
    public static readonly TimeSpan LibraryDefault = TimeSpan.FromSeconds(2);

    /// <summary>Sets <see cref="LibraryDefault"/>. .NET reads the default once, when the first Regex is made: call this first thing in
    /// Main.</summary>
    public static void UseAsProcessDefault() => AppContext.SetData("REGEX_DEFAULT_MATCH_TIMEOUT", LibraryDefault);
}
