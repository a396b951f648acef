using System.Globalization;
using System.Text.RegularExpressions;

namespace LLMRace.Grains.Checks;

/// <summary>
/// Parses expected_constraints: lines of keyword:argument separated by newlines, or by ';' where the
/// next part starts with a known keyword (so `regex:a;b` stays one pattern). Lines without a known
/// keyword are free-text criteria for the judge.
/// </summary>
public static class ConstraintParser
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
        if (string.IsNullOrWhiteSpace(text)) return new(checks, criteria, errors);

        var lines = text.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            foreach (var part in SplitOnKeywordSemicolons(lines[i].TrimEnd('\r')))
            {
                var trimmed = part.Trim();
                if (trimmed.Length == 0) continue;
                if (KeywordAt(trimmed, 0, trimmed.Length) is { } keyword)
                {
                    var check = new Check(keyword, ArgumentOf(trimmed, keyword), i + 1);
                    if (Validate(check) is { } error) errors.Add($"line {i + 1}: {error}");
                    else checks.Add(check);
                }
                else
                {
                    criteria.Add(trimmed);
                }
            }
        }
        if (checks.Count > MaxChecksPerTest)
            errors.Add($"{checks.Count} checks; a test holds at most {MaxChecksPerTest} (each one runs on every item)");
        return new(checks, criteria, errors);
    }

    /// <summary>The parts of a line between the ';' that are followed by a keyword. Linear: nothing is copied per ';'.</summary>
    private static List<string> SplitOnKeywordSemicolons(string line)
    {
        var parts = new List<string>();
        var end = line.Length;
        while (end > 0 && char.IsWhiteSpace(line[end - 1])) end--;
        var start = 0;
        for (var i = line.IndexOf(';'); i >= 0; i = line.IndexOf(';', i + 1))
        {
            var next = i + 1;
            while (next < end && char.IsWhiteSpace(line[next])) next++;
            if (KeywordAt(line, next, end) is not null)
            {
                parts.Add(line[start..i]);
                start = i + 1;
            }
        }
        parts.Add(line[start..]);
        return parts;
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

    private static string ArgumentOf(string part, string keyword) =>
        part.Length > keyword.Length && part[keyword.Length] == ':' ? part[(keyword.Length + 1)..] : "";

    private static string? Validate(Check check) => CheckCatalog.Problem(check, CheckCatalog.Find(check.Keyword)!);
}
