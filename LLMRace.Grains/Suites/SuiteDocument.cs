using System.Text.Json;
using LLMRace.Grains.Checks;

namespace LLMRace.Grains.Suites;

/// <summary>A suite in the original's JSON shape, validated: every problem with its JSON path.</summary>
public sealed record SuiteDocument(string Name, string Category, string Description, IReadOnlyList<SuiteTest> Tests);

/// <param name="Id">The test's id, when the document names one (as the suite's view shows it): kept across edits.</param>
public sealed record SuiteTest(
    int OrderIndex, string Name, string? SystemPrompt, string UserPrompt, string? ExpectedConstraints, string? ToolsSchemaJson,
        int? MaxToolTurns = null, string? Id = null);

public sealed record SuiteProblem(string Path, string Message);

public static class SuiteLimits
{
    public const int MaxTests = 10_000;
    public const int MaxPromptChars = 100_000;
    public const int MaxNameChars = 200;
    public const int MaxDescriptionChars = 10_000;
    public const int MaxConstraintsChars = 20_000;
    public const int MaxToolsChars = 100_000;
}

public static class SuiteParser
{
    private static readonly string[] SuiteFields = ["name", "category", "description", "tests"];
    private static readonly string[] TestFields = ["id", "order_index", "name", "system_prompt", "user_prompt", "expected_constraints",
        "tools_schema_json", "max_tool_turns"];

    /// <summary>Parses and validates; returns null with every problem found, or the suite with none.</summary>
    public static SuiteDocument? Parse(string json, out IReadOnlyList<SuiteProblem> problems)
    {
        var found = new List<SuiteProblem>();
        problems = found;
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" (line {line + 1}, column {e.BytePositionInLine + 1})" : "";
            found.Add(new("$", $"not valid JSON{where}: {FirstSentence(e.Message)}"));
            return null;
        }
        if (Validation.JsonUnicode.FirstInvalidString(json) is { } invalid)
        {
            doc.Dispose();
            found.Add(new(invalid, Validation.JsonUnicode.Problem));
            return null;
        }

        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                found.Add(new("$", $"a suite is a JSON object, got {Kind(root)}"));
                return null;
            }
            foreach (var p in root.EnumerateObject().Where(p => !SuiteFields.Contains(p.Name)))
                found.Add(new($"$.{p.Name}", $"unknown field (a suite has {string.Join(", ", SuiteFields)})"));

            var name = RequiredString(root, "name", "$", SuiteLimits.MaxNameChars, found);
            var category = OptionalString(root, "category", "$", SuiteLimits.MaxNameChars, found) ?? "custom";
            var description = OptionalString(root, "description", "$", SuiteLimits.MaxDescriptionChars, found) ?? "";
            var tests = new List<SuiteTest>();
            if (!root.TryGetProperty("tests", out var testsElement))
            {
                found.Add(new("$.tests", "required: an array of tests"));
            }
            else if (testsElement.ValueKind != JsonValueKind.Array)
            {
                found.Add(new("$.tests", $"must be an array, got {Kind(testsElement)}"));
            }
            else if (testsElement.GetArrayLength() > SuiteLimits.MaxTests)
            {
                found.Add(new("$.tests", $"has {testsElement.GetArrayLength()} tests; a suite holds at most {SuiteLimits.MaxTests}"));
            }
            else
            {
                var i = 0;
                foreach (var t in testsElement.EnumerateArray())
                {
                    if (ParseTest(t, $"$.tests[{i}]", i, found) is { } test) tests.Add(test);
                    i++;
                }
                foreach (var dup in tests.GroupBy(t => t.OrderIndex).Where(g => g.Count() > 1))
                    found.Add(new("$.tests", $"order_index {dup.Key} is used by {dup.Count()} tests; each test needs its own"));
            }
            return found.Count == 0 ? new SuiteDocument(name!, category, description, [.. tests.OrderBy(t => t.OrderIndex)]) : null;
        }
    }

    private static SuiteTest? ParseTest(JsonElement t, string path, int position, List<SuiteProblem> found)
    {
        if (t.ValueKind != JsonValueKind.Object)
        {
            found.Add(new(path, $"a test is a JSON object, got {Kind(t)}"));
            return null;
        }
        var before = found.Count;
        foreach (var p in t.EnumerateObject().Where(p => !TestFields.Contains(p.Name)))
            found.Add(new($"{path}.{p.Name}", $"unknown field (a test has {string.Join(", ", TestFields)})"));

        var orderIndex = position + 1;
        if (t.TryGetProperty("order_index", out var oi) && oi.ValueKind != JsonValueKind.Null)
        {
            if (oi.ValueKind != JsonValueKind.Number || !oi.TryGetInt32(out orderIndex)) found.Add(new($"{path}.order_index",
                $"must be a whole number, got {Kind(oi)}"));
        }
        var id = t.TryGetProperty("id", out var ie) && ie.ValueKind != JsonValueKind.Null
            ? StringValue(ie, $"{path}.id", SuiteLimits.MaxNameChars, found) : null;
        var name = RequiredString(t, "name", path, SuiteLimits.MaxNameChars, found);
        var system = OptionalString(t, "system_prompt", path, SuiteLimits.MaxPromptChars, found);
        var user = RequiredString(t, "user_prompt", path, SuiteLimits.MaxPromptChars, found);
        var constraints = OptionalString(t, "expected_constraints", path, SuiteLimits.MaxConstraintsChars, found);
        if (constraints is not null)
            foreach (var error in ConstraintParser.Parse(constraints).Errors) found.Add(new($"{path}.expected_constraints", error));

        string? tools = null;
        if (t.TryGetProperty("tools_schema_json", out var te))
        {
            switch (te.ValueKind)
            {
                case JsonValueKind.Null: break;
                case JsonValueKind.String:
                    tools = te.GetString();
                    if (string.IsNullOrWhiteSpace(tools)) tools = null;
                    break;
                case JsonValueKind.Array: tools = te.GetRawText(); break;
                default: found.Add(new($"{path}.tools_schema_json",
                    $"must be null, a JSON string or an array of tools, got {Kind(te)}")); break;
            }
            if (tools is { Length: > SuiteLimits.MaxToolsChars }) found.Add(new($"{path}.tools_schema_json",
                $"is longer than {SuiteLimits.MaxToolsChars} characters"));
            else ToolDefinitions.Parse(tools, $"{path}.tools_schema_json", found);
        }
        int? maxToolTurns = null;
        if (t.TryGetProperty("max_tool_turns", out var mt) && mt.ValueKind != JsonValueKind.Null)
        {
            if (mt.ValueKind != JsonValueKind.Number || !mt.TryGetInt32(out var turns) || turns < 1 || turns > ToolDefinition.MaxTurnsLimit)
                found.Add(new($"{path}.max_tool_turns", $"must be a whole number from 1 to {ToolDefinition.MaxTurnsLimit}"));
            else maxToolTurns = turns;
        }
        return found.Count == before ? new SuiteTest(orderIndex, name!, system, user!, constraints, tools, maxToolTurns, id) : null;
    }

    private static string? RequiredString(JsonElement obj, string field, string path, int max, List<SuiteProblem> found)
    {
        if (!obj.TryGetProperty(field, out var v) || v.ValueKind == JsonValueKind.Null)
        {
            found.Add(new($"{path}.{field}", "required"));
            return null;
        }
        var s = StringValue(v, $"{path}.{field}", max, found);
        if (s is not null && s.Trim().Length == 0)
        {
            found.Add(new($"{path}.{field}", "must not be empty"));
            return null;
        }
        return s;
    }

    private static string? OptionalString(JsonElement obj, string field, string path, int max, List<SuiteProblem> found) =>
        obj.TryGetProperty(field, out var v) && v.ValueKind != JsonValueKind.Null ? StringValue(v, $"{path}.{field}", max, found) : null;

    private static string? StringValue(JsonElement v, string path, int max, List<SuiteProblem> found)
    {
        if (v.ValueKind != JsonValueKind.String)
        {
            found.Add(new(path, $"must be a string, got {Kind(v)}"));
            return null;
        }
        var s = v.GetString()!;
        if (s.Length > max)
        {
            found.Add(new(path, $"is {s.Length} characters long; the limit is {max}"));
            return null;
        }
        return s;
    }

    private static string Kind(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(". ", StringComparison.Ordinal);
        return cut > 0 ? message[..(cut + 1)] : message;
    }
}
