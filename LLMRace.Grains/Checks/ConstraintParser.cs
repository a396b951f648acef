using System.Text.RegularExpressions;

namespace LLMRace.Grains.Checks;

/// <summary>
/// Parses expected_constraints, the original's way: parts separated by newlines or ';'. A part that starts with a known
/// keyword (<c>keyword:argument</c>) is a check; any other part is a free-text criterion for the judge. After a
/// <c>regex</c> check a ';' belongs to the pattern unless a keyword follows it (<c>regex:a;b</c> is one pattern). A text
/// argument is what follows the colon without the spaces at either end (<c>contains: x</c> looks for <c>x</c>); a
/// pattern keeps every character, and Python's named groups, which the original accepted, are translated to .NET's.
/// </summary>
public static partial class ConstraintParser
{
    /// <summary>More checks than this in one test is an import error: each costs time on every item.</summary>
    public const int MaxChecksPerTest = 100;

    public static readonly string[] Keywords = [.. CheckCatalog.All.Select(d => d.Keyword)];

    private static readonly string[] ArgumentlessKeywords =
        [.. CheckCatalog.All.Where(d => d.Argument == CheckArgument.None).Select(d => d.Keyword)];

    public static ParsedConstraints Parse(string? text)
    {
        var checks = new List<Check>();
        var criteria = new List<string>();
        var errors = new List<string>();
        var warnings = new List<string>();
        if (string.IsNullOrWhiteSpace(text)) return new(checks, criteria, errors, warnings);

        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            foreach (var part in Parts(lines[i].TrimEnd('\r')))
            {
                var trimmed = part.Trim();
                if (trimmed.Length == 0) continue;
                if (KeywordAt(trimmed, 0, trimmed.Length) is { } keyword)
                {
                    var check = new Check(keyword, ArgumentOf(trimmed, keyword), i + 1);
                    if (Validate(check) is { } error) errors.Add($"line {i + 1}: {error}");
                    else checks.Add(check);
                    continue;
                }
                criteria.Add(trimmed);
                if (LooksLikeACheck(trimmed) is { } warning) warnings.Add($"line {i + 1}: {warning}");
            }
        }
        if (checks.Count > MaxChecksPerTest)
            errors.Add($"{checks.Count} checks; a test holds at most {MaxChecksPerTest} (each one runs on every item)");
        return new(checks, criteria, errors, warnings);
    }

    /// <summary>
    /// The parts of a line: split at every ';', but inside a regex check only at a ';' a keyword follows. Linear:
    /// nothing is copied per ';'.
    /// </summary>
    private static List<string> Parts(string line)
    {
        var parts = new List<string>();
        var end = line.Length;
        while (end > 0 && char.IsWhiteSpace(line[end - 1])) end--;
        var start = 0;
        var inRegex = StartsRegex(line, start, end);
        for (var i = line.IndexOf(';'); i >= 0; i = line.IndexOf(';', i + 1))
        {
            var next = i + 1;
            while (next < end && char.IsWhiteSpace(line[next])) next++;
            if (inRegex && KeywordAt(line, next, end) is null) continue;
            parts.Add(line[start..i]);
            start = i + 1;
            inRegex = StartsRegex(line, next, end);
        }
        parts.Add(line[start..]);
        return parts;
    }

    private static bool StartsRegex(string line, int at, int end)
    {
        while (at < end && char.IsWhiteSpace(line[at])) at++;
        return KeywordAt(line, at, end) == "regex";
    }

    /// <summary>
    /// The keyword that starts at <paramref name="at"/>: followed by ':', or, for a keyword without an argument, by
    /// nothing but white space up to <paramref name="end"/> (the end of the line's text).
    /// </summary>
    private static string? KeywordAt(string text, int at, int end)
    {
        foreach (var k in Keywords)
        {
            if (at + k.Length > text.Length || string.CompareOrdinal(text, at, k, 0, k.Length) != 0) continue;
            var after = at + k.Length;
            if (after < text.Length && text[after] == ':') return k;
            if (ArgumentlessKeywords.Contains(k) && text.AsSpan(after, Math.Max(0, end - after)).IsWhiteSpace()) return k;
        }
        return null;
    }

    private static string ArgumentOf(string part, string keyword)
    {
        var argument = part.Length > keyword.Length && part[keyword.Length] == ':' ? part[(keyword.Length + 1)..] : "";
        return CheckCatalog.Find(keyword)!.Argument == CheckArgument.Regex ? PythonRegex.ToDotNet(argument) : argument.Trim();
    }

    /// <summary>A criterion that starts like a check (<c>Contains:</c>, <c>colour:</c>): what the author most likely meant.</summary>
    private static string? LooksLikeACheck(string part)
    {
        if (Prefix().Match(part) is not { Success: true } match) return null;
        var word = match.Groups[1].Value;
        if (Keywords.FirstOrDefault(k => k.Equals(word, StringComparison.OrdinalIgnoreCase)) is { } keyword)
            return $"'{word}:' is not a check (keywords are lower case: {keyword}:); it is kept as a judge criterion";
        return $"'{word}:' is not a check keyword ({string.Join(", ", Keywords)}); it is kept as a judge criterion";
    }

    [GeneratedRegex(@"^([A-Za-z_][A-Za-z0-9_]{0,39})\s*:(?!//)")]
    private static partial Regex Prefix();

    private static string? Validate(Check check) => CheckCatalog.Problem(check, CheckCatalog.Find(check.Keyword)!);
}
