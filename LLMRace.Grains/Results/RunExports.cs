using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Xml.Linq;
using LLMRace.Grains.Contracts;
using LLMRace.Grains.Storage;

namespace LLMRace.Grains.Results;

/// <summary>A run written out: self-describing JSON, CSV (one row per item), JUnit XML (one test case per item).</summary>
public static class RunExports
{
    public const string JsonFormat = "llmrace.run.v1";

    /// <summary>Everything about the run: the suite and cars as they were raced (no secrets), every item, the scorecard and the event
    /// log.</summary>
    public static JsonObject Json(RunRow run, IReadOnlyList<ItemResult> items, IReadOnlyList<RunEvent> events, DateTime exportedAt)
    {
        JsonNode? Parse(string? json) => json is null ? null : JsonNode.Parse(json);
        var snapshot = JsonNode.Parse(run.SnapshotJson)!.AsObject();
        return new JsonObject
        {
            ["format"] = JsonFormat,
            ["exported_at"] = Clock.Text(exportedAt),
            ["run"] = new JsonObject
            {
                ["id"] = run.Id, ["suite_id"] = run.SuiteId, ["suite_name"] = run.SuiteName, ["status"] = run.Status,
                ["settings"] = Parse(run.SettingsJson), ["items_total"] = run.ItemsTotal, ["items_done"] = run.ItemsDone,
                ["error"] = run.Error, ["is_baseline"] = run.IsBaseline,
                ["created_at"] = run.CreatedAt, ["started_at"] = run.StartedAt, ["finished_at"] = run.FinishedAt,
            },
            ["suite"] = snapshot["suite"]?.DeepClone(),
            ["cars"] = WithoutUrlCredentials(snapshot["cars"]?.DeepClone()),
            ["scorecard"] = JsonNode.Parse(RaceJson.Serialize(Scorecards.For(items))),
            ["items"] = new JsonArray([.. items.Select(i => (JsonNode)new JsonObject
            {
                ["id"] = i.Row.Id, ["ordinal"] = i.Row.Ordinal, ["test_id"] = i.Row.TestId, ["test_name"] = i.Row.TestName,
                ["car_id"] = i.Row.CarId, ["car_name"] = i.Row.CarName, ["repeat_index"] = i.Row.RepeatIndex, ["status"] = i.Row.Status,
                ["output"] = i.Row.Output, ["reasoning"] = i.Row.Reasoning, ["tool_calls"] = Parse(i.Row.ToolCallsJson),
                    ["error"] = i.Row.Error,
                ["metrics"] = Parse(i.Row.MetricsJson), ["checks"] = Parse(i.Row.ChecksJson), ["judge"] = Parse(i.Row.JudgeJson),
                ["manual_grade"] = Parse(i.Row.ManualGradeJson),
                ["server_timings"] = Parse(i.Row.ServerTimingsJson), ["retries"] = i.Row.Retries,
                ["started_at"] = i.Row.StartedAt, ["finished_at"] = i.Row.FinishedAt,
            })]),
            ["events"] = new JsonArray([.. events.Select(e => JsonNode.Parse(e.Json))]),
        };
    }

    /// <summary>Runs raced before base URL credentials were sealed kept them in their snapshot's URLs: never exported.</summary>
    private static JsonNode? WithoutUrlCredentials(JsonNode? cars)
    {
        foreach (var connection in (cars as JsonArray ?? []).Select(c => c?["connection"]).OfType<JsonObject>())
            if (connection["base_url"]?.GetValue<string>() is { } url) connection["base_url"] = Security.BaseUrlCredentials.Split(url).Url;
        return cars;
    }

    public static readonly string[] CsvColumns =
    [
        "run_id", "item_id", "ordinal", "test_name", "car_name", "repeat_index", "status", "error",
        "ttfb_ms", "ttft_ms", "e2e_ms", "tpot_ms", "decode_tokens_per_s", "itl_p50_ms", "output_tokens", "output_tokens_estimated",
        "input_tokens", "retries", "checks_passed", "checks_failed", "judge_score", "manual_score", "manual_verdict", "timing_source",
        "coalesced_chunks", "output",
    ];

    public static string Csv(RunRow run, IReadOnlyList<ItemResult> items)
    {
        var csv = new StringBuilder();
        csv.AppendJoin(',', CsvColumns).Append("\r\n");
        foreach (var i in items)
        {
            var m = i.Metrics;
            string N(double? v) => v?.ToString("0.###", CultureInfo.InvariantCulture) ?? "";
            var cells = new[]
            {
                run.Id, i.Row.Id, i.Row.Ordinal.ToString(CultureInfo.InvariantCulture), i.Row.TestName, i.Row.CarName,
                i.Row.RepeatIndex.ToString(CultureInfo.InvariantCulture), i.Row.Status, i.Row.Error ?? "",
                N(m?.TtfbMs), N(m?.TtftMs), N(m?.E2eMs), N(m?.TpotMs), N(m?.DecodeTokensPerS), N(m?.ItlP50Ms),
                m?.OutputTokens.ToString(CultureInfo.InvariantCulture) ?? "", m is null ? "" : m.OutputTokensEstimated ? "true" : "false",
                m?.InputTokens?.ToString(CultureInfo.InvariantCulture) ?? "", i.Row.Retries.ToString(CultureInfo.InvariantCulture),
                i.Checks.Count(c => c.Verdict == Checks.Verdicts.Pass).ToString(CultureInfo.InvariantCulture),
                i.Checks.Count(c => c.Verdict != Checks.Verdicts.Pass).ToString(CultureInfo.InvariantCulture),
                N(i.Judge?.Score), N(i.Manual?.Score), i.Manual?.Verdict ?? "", m?.TimingSource ?? "",
                m?.CoalescedChunks.ToString(CultureInfo.InvariantCulture) ?? "", i.Row.Output ?? "",
            };
            csv.AppendJoin(',', cells.Select(CsvCell.Of)).Append("\r\n");
        }
        return csv.ToString();
    }

    /// <summary>JUnit XML: a test suite per car, a test case per item; failed checks are failures, request errors are errors.</summary>
    public static string JUnit(RunRow run, IReadOnlyList<ItemResult> items)
    {
        string Seconds(double? ms) => ((ms ?? 0) / 1000).ToString("0.###", CultureInfo.InvariantCulture);
        var suites = items.GroupBy(i => i.Row.CarId).Select(car =>
        {
            var cases = car.Select(i =>
            {
                var name = i.Row.RepeatIndex > 0 ? $"{i.Row.TestName} #{i.Row.RepeatIndex + 1}" : i.Row.TestName;
                var testcase = new XElement("testcase",
                    new XAttribute("classname", XmlText($"{run.SuiteName}.{car.First().Row.CarName}")),
                    new XAttribute("name", XmlText(name)),
                    new XAttribute("time", Seconds(i.Metrics?.E2eMs)));
                if (i.Errored)
                    testcase.Add(new XElement("error", new XAttribute("message", XmlText(i.Row.Error ?? "error")), new XAttribute("type",
                        "request"), XmlText(i.Row.Error ?? "")));
                else if (i.Failed)
                {
                    var failed = i.Checks.Where(c => c.Verdict != Checks.Verdicts.Pass).ToList();
                    testcase.Add(new XElement("failure",
                        new XAttribute("message", XmlText(string.Join("; ", failed.Select(c => $"{c.Check}: {c.Reason}")))),
                        new XAttribute("type", "check"),
                        XmlText(string.Join("\n", failed.Select(c => $"{c.Verdict}: {c.Check}: {c.Reason}")))));
                }
                else if (!i.Finished)
                    testcase.Add(new XElement("skipped", new XAttribute("message", i.Row.Status)));
                testcase.Add(new XElement("system-out", XmlText(i.Row.Output ?? "")));
                return testcase;
            }).ToList();
            return new XElement("testsuite",
                new XAttribute("name", XmlText($"{run.SuiteName} / {car.First().Row.CarName}")),
                new XAttribute("tests", cases.Count),
                new XAttribute("failures", car.Count(i => i.Failed)),
                new XAttribute("errors", car.Count(i => i.Errored)),
                new XAttribute("skipped", car.Count(i => !i.Finished)),
                new XAttribute("time", Seconds(car.Sum(i => i.Metrics?.E2eMs ?? 0))),
                new XAttribute("timestamp", (run.StartedAt ?? run.CreatedAt).TrimEnd('Z')),
                cases);
        });
        var root = new XElement("testsuites",
            new XAttribute("name", $"LLMRace run {run.Id}"),
            new XAttribute("tests", items.Count),
            new XAttribute("failures", items.Count(i => i.Failed)),
            new XAttribute("errors", items.Count(i => i.Errored)),
            suites);
        return new XDocument(new XDeclaration("1.0", "utf-8", null), root).Declaration + "\n" + root;
    }

    /// <summary>
    /// Text XML 1.0 can hold: a character it cannot (a control character, a lone surrogate) is written as the
    /// visible escape \uXXXX instead, so a model's output can never make the export fail or the file unreadable.
    /// </summary>
    public static string XmlText(string text)
    {
        var firstBad = -1;
        for (var i = 0; i < text.Length && firstBad < 0; i++)
            if (!IsXmlChar(text, i, out var width)) firstBad = i;
            else i += width - 1;
        if (firstBad < 0) return text;
        var safe = new StringBuilder(text.Length + 16).Append(text, 0, firstBad);
        for (var i = firstBad; i < text.Length; i++)
        {
            if (IsXmlChar(text, i, out var width)) safe.Append(text, i, width);
            else safe.Append($"\\u{(int)text[i]:X4}");
            i += width - 1;
        }
        return safe.ToString();
    }

    private static bool IsXmlChar(string text, int i, out int width)
    {
        width = 1;
        var c = text[i];
        if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
        {
            width = 2;
            return true;
        }
        return System.Xml.XmlConvert.IsXmlChar(c);
    }
}
