using System.Globalization;
using System.Text.RegularExpressions;

namespace LLMRace.Grains.Checks;

/// <summary>What a check's argument is, and so how it is checked at import.</summary>
public enum CheckArgument { None, Text, Number, Regex, JsonSchema, ToolName }

/// <summary>One check keyword: its argument, what it means (for the editor and /api/meta), and how it is judged.</summary>
public sealed record CheckDefinition(string Keyword, CheckArgument Argument, string Meaning, Func<Check, CheckSubject, TimeSpan,
    CheckResult> Evaluate);

/// <summary>
/// Every check LLMRace knows, in one table: adding a check is adding a row here. The parser takes its keywords and
/// argument kinds from it, the evaluator its verdicts, and the Api serves it to the UI.
/// </summary>
public static class CheckCatalog
{
    public static readonly IReadOnlyList<CheckDefinition> All =
    [
        new("contains", CheckArgument.Text, "the output contains the text (case-sensitive)", (c, s, _) =>
            CheckEvaluator.Result(c, s.Output.Contains(c.Argument, StringComparison.Ordinal), $"output does not contain '{c.Argument}'")),
        new("icontains", CheckArgument.Text, "the output contains the text, ignoring case", (c, s, _) =>
            CheckEvaluator.Result(c, CultureInfo.InvariantCulture.CompareInfo.IndexOf(s.Output, c.Argument, CompareOptions.IgnoreCase) >= 0,
                $"output does not contain '{c.Argument}' (ignoring case)")),
        new("not_contains", CheckArgument.Text, "the output does not contain the text (case-sensitive)", (c, s, _) =>
            CheckEvaluator.Result(c, !s.Output.Contains(c.Argument, StringComparison.Ordinal), $"output contains '{c.Argument}'")),
        new("regex", CheckArgument.Regex, "the .NET regex matches somewhere in the output", (c, s, timeout) =>
            CheckEvaluator.Result(c, Regex.IsMatch(s.Output, c.Argument, RegexOptions.None, timeout),
                $"output does not match /{c.Argument}/")),
        new("max_words", CheckArgument.Number, "the output has at most n words", (c, s, _) => CheckEvaluator.Words(c, s.Output, (n,
            limit) => n <= limit, "at most")),
        new("min_words", CheckArgument.Number, "the output has at least n words", (c, s, _) => CheckEvaluator.Words(c, s.Output, (n,
            limit) => n >= limit, "at least")),
        new("equals", CheckArgument.Text, "the trimmed output is the text", (c, s, _) =>
            CheckEvaluator.Result(c, s.Output.Trim() == c.Argument.Trim(), $"output is not '{c.Argument.Trim()}'")),
        new("starts_with", CheckArgument.Text, "the trimmed output starts with the text", (c, s, _) =>
            CheckEvaluator.Result(c, s.Output.TrimStart().StartsWith(c.Argument, StringComparison.Ordinal),
                $"output does not start with '{c.Argument}'")),
        new("ends_with", CheckArgument.Text, "the trimmed output ends with the text", (c, s, _) =>
            CheckEvaluator.Result(c, s.Output.TrimEnd().EndsWith(c.Argument, StringComparison.Ordinal),
                $"output does not end with '{c.Argument}'")),
        new("is_json", CheckArgument.None, "the trimmed output parses as JSON", (c, s, _) => CheckEvaluator.Result(c,
            CheckEvaluator.IsJson(s.Output), "output is not valid JSON")),
        new("json_schema", CheckArgument.JsonSchema, "the output is JSON that the schema (on one line) accepts", (c, s,
            _) => CheckEvaluator.MatchesSchema(c, s.Output)),
        new("max_ttft_ms", CheckArgument.Number, "TTFT is at most n ms", (c, s, _) =>
            CheckEvaluator.Limit(c, s.Metrics.TtftMs, (v, l) => v <= l, "TTFT", "ms", "at most")),
        new("max_latency_ms", CheckArgument.Number, "E2E latency is at most n ms", (c, s, _) =>
            CheckEvaluator.Limit(c, s.Metrics.E2eMs, (v, l) => v <= l, "latency", "ms", "at most")),
        new("min_tokens_per_s", CheckArgument.Number, "decode speed is at least n tokens/s", (c, s, _) =>
            CheckEvaluator.Limit(c, s.Metrics.DecodeTokensPerS, (v, l) => v >= l, "decode speed", "tokens/s", "at least")),
        new("tool_called", CheckArgument.ToolName, "the model called that tool", (c, s, _) => CheckEvaluator.Result(c,
            s.ToolNamesCalled.Contains(c.Argument.Trim()),
            s.ToolNamesCalled.Count == 0 ? $"no tool was called, expected '{c.Argument.Trim()}'" : $"'{c.Argument.Trim()}' was not " +
                $"called (called: {string.Join(", ", s.ToolNamesCalled)})")),
        new("no_tool_call", CheckArgument.None, "the model called no tool", (c, s, _) =>
            CheckEvaluator.Result(c, s.ToolNamesCalled.Count == 0, $"tools were called: {string.Join(", ", s.ToolNamesCalled)}")),
    ];

    private static readonly Dictionary<string, CheckDefinition> ByKeyword = All.ToDictionary(d => d.Keyword, StringComparer.Ordinal);

    public static CheckDefinition? Find(string keyword) => ByKeyword.GetValueOrDefault(keyword);

    /// <summary>What is wrong with a check's argument for its kind, or null: checked once, at import.</summary>
    public static string? Problem(Check check, CheckDefinition definition) => definition.Argument switch
    {
        CheckArgument.Number when !double.TryParse(check.Argument.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out _) =>
            $"{check.Keyword} needs a number, got '{check.Argument}'",
        CheckArgument.Regex => RegexProblem(check.Argument),
        CheckArgument.ToolName when check.Argument.Trim().Length == 0 => $"{check.Keyword} needs a tool name",
        CheckArgument.JsonSchema when JsonSchemas.Compile(check.Argument.Trim(),
            out var error) is null => $"{check.Keyword} {error} (write the schema on one line)",
        _ => null,
    };

    private static string? RegexProblem(string pattern)
    {
        try
        {
            _ = new Regex(pattern, RegexOptions.None, Limits.RegexLimits.MatchTimeout);
            return null;
        }
        catch (ArgumentException e)
        {
            return $"regex '{pattern}' does not compile: {e.Message}";
        }
    }
}
