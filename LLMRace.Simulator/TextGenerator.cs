using System.Text;
using System.Text.RegularExpressions;

namespace LLMRace.Simulator;

/// <summary>Deterministic output: the same model and prompt always give the same tokens.</summary>
public static partial class TextGenerator
{
    private static readonly string[] Words =
    [
        "neon", "arcade", "pixel", "turbo", "grid", "racer", "lap", "boost", "circuit", "glow", "synth", "retro",
        "signal", "vector", "drift", "chrome", "laser", "quantum", "track", "engine", "spark", "pulse", "orbit", "combo",
        "score", "level", "token", "stream", "model", "prompt", "answer", "finish", "checkpoint", "sprint", "cruise", "volt",
    ];

    public static IReadOnlyList<string> Tokens(SimBehaviour behaviour, string lastUserMessage)
    {
        if (behaviour.Echo)
        {
            var echoed = TokenPattern().Matches(lastUserMessage).Select(m => m.Value).ToList();
            return behaviour.Tokens is { } limit ? echoed.Take(limit).ToList() : echoed;
        }

        var count = behaviour.Tokens ?? 48;
        var state = Fnv1a(behaviour.Preset + "\n" + lastUserMessage);
        if (lastUserMessage.Contains("JSON", StringComparison.OrdinalIgnoreCase))
        {
            // Asked for JSON, the Simulator answers with a small JSON object, so format checks have something to pass.
            var word = Words[(int)(state % (ulong)Words.Length)];
            return Split($$"""{"id": {{state % 1000}}, "status": "ok", "note": "{{word}} lap complete"}""");
        }
        var tokens = new List<string>(count);
        for (var i = 0; i < count; i++)
        {
            state = state * 6364136223846793005UL + 1442695040888963407UL;
            var word = Words[(int)((state >> 33) % (ulong)Words.Length)];
            tokens.Add(i == 0 ? char.ToUpperInvariant(word[0]) + word[1..] : (i == count - 1 ? " " + word + "." : " " + word));
        }
        return tokens;
    }

    /// <summary>Splits text into word tokens, each with the whitespace before it, so the tokens join back into the text.</summary>
    public static IReadOnlyList<string> Split(string text) => [.. TokenPattern().Matches(text).Select(m => m.Value)];

    /// <summary>A rough prompt token count for the usage report: whitespace-separated words.</summary>
    public static int CountPromptTokens(IEnumerable<string> messages) =>
        messages.Sum(m => TokenPattern().Matches(m).Count);

    private static ulong Fnv1a(string text)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            hash ^= b;
            hash *= 1099511628211UL;
        }
        return hash;
    }

    [GeneratedRegex(@"\s*\S+", RegexOptions.CultureInvariant)]
    private static partial Regex TokenPattern();
}
