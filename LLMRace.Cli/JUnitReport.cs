using System.Text.Json;
using System.Xml.Linq;

namespace LLMRace.Cli;

/// <summary>
/// A run as JUnit XML, which CI systems show as test results: a test suite per car, a test case per item (test name and
/// repeat), a failure per failed item naming its failed checks, an error per erred item.
/// </summary>
public static class JUnitReport
{
    public static XDocument From(string suiteName, string runId, IReadOnlyList<JsonElement> items)
    {
        var suites = new XElement("testsuites", new XAttribute("name", $"LLMRace: {suiteName}"));
        foreach (var car in items.GroupBy(i => i.GetProperty("car_name").GetString() ?? "?"))
        {
            var cases = car.Select(Case).ToList();
            suites.Add(new XElement("testsuite",
                new XAttribute("name", car.Key),
                new XAttribute("tests", cases.Count),
                new XAttribute("failures", cases.Count(c => c.Element("failure") is not null)),
                new XAttribute("errors", cases.Count(c => c.Element("error") is not null)),
                new XAttribute("skipped", cases.Count(c => c.Element("skipped") is not null)),
                new XElement("properties", new XElement("property", new XAttribute("name", "run_id"), new XAttribute("value", runId))),
                cases));
        }
        return new XDocument(new XDeclaration("1.0", "utf-8", null), suites);
    }

    private static XElement Case(JsonElement item)
    {
        var name = item.GetProperty("test_name").GetString() ?? "?";
        if (item.GetProperty("repeat_index").GetInt32() is var repeat and > 0) name += $" (repeat {repeat + 1})";
        var testCase = new XElement("testcase", new XAttribute("name", name),
            new XAttribute("classname", item.GetProperty("car_name").GetString() ?? "?"));
        if (Seconds(item) is { } seconds)
            testCase.Add(new XAttribute("time", seconds.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)));
        switch (item.GetProperty("status").GetString())
        {
            case "failed":
                var failed = FailedChecks(item).ToList();
                testCase.Add(new XElement("failure", new XAttribute("message", failed.Count > 0
                    ? "failed: " + string.Join("; ", failed) : "failed"), item.TryGetProperty("output", out var o) ? o.GetString() : null));
                break;
            case "error":
                var message = item.TryGetProperty("error", out var e) && e.GetString() is { } m ? m : "error";
                testCase.Add(new XElement("error", new XAttribute("message", message)));
                break;
            case "cancelled" or "pending" or "running":
                testCase.Add(new XElement("skipped",
                    new XAttribute("message", $"not finished ({item.GetProperty("status").GetString()})")));
                break;
        }
        return testCase;
    }

    public static IEnumerable<string> FailedChecks(JsonElement item)
    {
        if (!item.TryGetProperty("checks", out var checks) || checks.ValueKind != JsonValueKind.Object) yield break;
        foreach (var check in checks.GetProperty("checks").EnumerateArray())
            if (check.GetProperty("verdict").GetString() == "fail")
                yield return $"{check.GetProperty("check").GetString()} ({check.GetProperty("reason").GetString()})";
    }

    private static double? Seconds(JsonElement item) =>
        item.TryGetProperty("metrics", out var m) && m.ValueKind == JsonValueKind.Object && m.TryGetProperty("e2e_ms", out var e2e)
            && e2e.ValueKind == JsonValueKind.Number ? e2e.GetDouble() / 1000 : null;
}
