using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using LLMRace.Grains.Limits;
using LLMRace.Grains.Measurement;

namespace LLMRace.Grains.Checks;

/// <summary>What a check looks at: the output, the tool calls made and the measurements.</summary>
public sealed record CheckSubject(string Output, IReadOnlyList<string> ToolNamesCalled, ItemMetrics Metrics);

public static class CheckEvaluator
{
    /// <summary>
    /// Runs an item's checks within <paramref name="budget"/>: each regex gets what is left of it (at most the regex
    /// timeout), and checks still waiting when it is spent get the verdict error. The item goes on either way.
    /// </summary>
    public static IReadOnlyList<CheckResult> EvaluateAll(IReadOnlyList<Check> checks, CheckSubject subject, TimeSpan budget)
    {
        var results = new List<CheckResult>(checks.Count);
        var started = Stopwatch.GetTimestamp();
        foreach (var check in checks)
        {
            var left = budget - Stopwatch.GetElapsedTime(started);
            results.Add(left > TimeSpan.Zero
                ? Evaluate(check, subject, left < RegexLimits.MatchTimeout ? left : RegexLimits.MatchTimeout)
                : new CheckResult(check.ToString(), Verdicts.Error,
                    $"not run: this item's checks had used their budget of {budget.TotalMilliseconds:0} ms"));
        }
        return results;
    }

    public static CheckResult Evaluate(Check check, CheckSubject subject) => Evaluate(check, subject, RegexLimits.MatchTimeout);

    /// <summary>One check's verdict. Whatever goes wrong inside a check is that check's error, never the item's or the run's.</summary>
    public static CheckResult Evaluate(Check check, CheckSubject subject, TimeSpan regexTimeout)
    {
        try
        {
            return CheckCatalog.Find(check.Keyword) is { } definition
                ? definition.Evaluate(check, subject, regexTimeout)
                : new CheckResult(check.ToString(), Verdicts.Error, $"unknown check '{check.Keyword}'");
        }
        catch (RegexMatchTimeoutException e)
        {
            return new CheckResult(check.ToString(), Verdicts.Error,
                $"a regex took longer than {e.MatchTimeout.TotalMilliseconds:0} ms on this output and was stopped");
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return new CheckResult(check.ToString(), Verdicts.Error, $"the check could not run: {e.Message}");
        }
    }

    public static int CountWords(string text) =>
        text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;

    internal static CheckResult Words(Check check, string output, Func<int, double, bool> ok, string bound)
    {
        var limit = double.Parse(check.Argument.Trim(), CultureInfo.InvariantCulture);
        var n = CountWords(output);
        return Result(check, ok(n, limit), $"expected {bound} {limit:0.##} words, got {n}");
    }

    internal static CheckResult Limit(Check check, double? value, Func<double, double, bool> ok, string what, string unit, string bound)
    {
        var limit = double.Parse(check.Argument.Trim(), CultureInfo.InvariantCulture);
        if (value is null) return new CheckResult(check.ToString(), Verdicts.Fail, $"no {what} was measured (no content arrived)");
        return Result(check, ok(value.Value, limit), $"expected {what} {bound} {limit:0.##} {unit}, got {value.Value:0.#} {unit}");
    }

    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Check, Tuple<Json.Schema.JsonSchema?,
        string?>> CompiledSchemas = [];

    internal static CheckResult MatchesSchema(Check check, string output)
    {
        // The Check instances of a run's tests are made once per run, so each schema is compiled once per run.
        var (schema, error) = CompiledSchemas.GetValue(check, c => Tuple.Create(JsonSchemas.Compile(c.Argument.Trim(), out var e), e));
        if (schema is null) return new CheckResult(check.ToString(), Verdicts.Error, $"json_schema {error}");
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(output.Trim());
        }
        catch (JsonException)
        {
            return new CheckResult(check.ToString(), Verdicts.Fail, "output is not valid JSON");
        }
        using (doc)
        {
            var problem = JsonSchemas.FirstProblem(schema, doc.RootElement);
            return Result(check, problem is null, $"output does not match the schema {problem}");
        }
    }

    internal static bool IsJson(string output)
    {
        try
        {
            using var _ = JsonDocument.Parse(output.Trim());
            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    internal static CheckResult Result(Check check, bool passed, string failure) =>
        new(check.ToString(), passed ? Verdicts.Pass : Verdicts.Fail, passed ? "ok" : failure);
}
