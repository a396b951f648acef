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
    public static readonly TimeSpan RegexTimeout = TimeSpan.FromMilliseconds(250);

    public static readonly string[] Keywords =
    [
        "contains", "icontains", "not_contains", "regex", "max_words", "min_words",
        "equals", "starts_with", "ends_with", "is_json", "json_schema", "max_ttft_ms", "max_latency_ms", "min_tokens_per_s",
        "tool_called", "no_tool_call",
    ];

    private static readonly string[] NumericKeywords = ["max_words", "min_words", "max_ttft_ms", "max_latency_ms", "min_tokens_per_s"];
    private static readonly string[] ArgumentlessKeywords = ["is_json", "no_tool_call"];

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
                if (TryKeyword(trimmed, out var keyword, out var argument))
                {
                    var check = new Check(keyword, argument, i + 1);
                    if (Validate(check) is { } error) errors.Add($"line {i + 1}: {error}");
                    else checks.Add(check);
                }
                else
                {
                    criteria.Add(trimmed);
                }
            }
        }
        return new(checks, criteria, errors);
    }

    private static IEnumerable<string> SplitOnKeywordSemicolons(string line)
    {
        var start = 0;
        for (var i = line.IndexOf(';'); i >= 0; i = line.IndexOf(';', i + 1))
        {
            if (TryKeyword(line[(i + 1)..].TrimStart(), out _, out _))
            {
                yield return line[start..i];
                start = i + 1;
            }
        }
        yield return line[start..];
    }

    private static bool TryKeyword(string part, out string keyword, out string argument)
    {
        foreach (var k in Keywords)
        {
            if (part.StartsWith(k, StringComparison.Ordinal))
            {
                var rest = part[k.Length..];
                if (rest.StartsWith(':'))
                {
                    keyword = k;
                    argument = rest[1..];
                    return true;
                }
                if (rest.Trim().Length == 0 && ArgumentlessKeywords.Contains(k))
                {
                    keyword = k;
                    argument = "";
                    return true;
                }
            }
        }
        keyword = argument = "";
        return false;
    }

    private static string? Validate(Check check)
    {
        if (NumericKeywords.Contains(check.Keyword)
            && !double.TryParse(check.Argument.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            return $"{check.Keyword} needs a number, got '{check.Argument}'";
        if (check.Keyword == "regex")
        {
            try
            {
                _ = new Regex(check.Argument, RegexOptions.None, RegexTimeout);
            }
            catch (ArgumentException e)
            {
                return $"regex '{check.Argument}' does not compile: {e.Message}";
            }
        }
        if (check.Keyword is "tool_called" && check.Argument.Trim().Length == 0) return "tool_called needs a tool name";
        if (check.Keyword is "json_schema" && JsonSchemas.Compile(check.Argument.Trim(), out var schemaError) is null)
            return $"json_schema {schemaError} (write the schema on one line)";
        return null;
    }
}
