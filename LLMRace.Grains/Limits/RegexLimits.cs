using System.Text.RegularExpressions;

namespace LLMRace.Grains.Limits;

/// <summary>One match timeout for every regex LLMRace runs: regex checks, and the patterns inside JSON Schemas.</summary>
public static class RegexLimits
{
    public static readonly TimeSpan MatchTimeout = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Makes <see cref="MatchTimeout"/> the process's default, so regexes built by libraries (JSON Schema's "pattern")
    /// stop too. .NET reads the default once, when the first Regex is made: call this first thing in Main.
    /// </summary>
    public static void UseAsProcessDefault() => AppContext.SetData("REGEX_DEFAULT_MATCH_TIMEOUT", MatchTimeout);

    /// <summary>True when regexes made without a timeout get <see cref="MatchTimeout"/>.</summary>
    public static bool IsProcessDefault => new Regex("x").MatchTimeout == MatchTimeout;
}
