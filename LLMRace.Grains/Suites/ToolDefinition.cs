using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Json.Schema;
using LLMRace.Grains.Checks;

namespace LLMRace.Grains.Suites;

/// <summary>
/// One tool a test offers the model: an OpenAI-style function tool whose parameters are a JSON Schema,
/// optionally with a mock result that LLMRace answers the call with.
/// </summary>
public sealed record ToolDefinition(string Name, string? Description, JsonObject Parameters, JsonNode? Mock)
{
    public const int DefaultMaxTurns = 4;
    public const int MaxTurnsLimit = 16;

    /// <summary>The parameters schema, compiled (null only if it stopped compiling since import).</summary>
    public JsonSchema? Schema { get; } = JsonSchemas.Compile(Parameters.ToJsonString(), out _);

    /// <summary>What the tool answers: its mock (a string as is, anything else as JSON), or a note that it has none.</summary>
    public string MockResult => Mock switch
    {
        null => """{"result":"ok","note":"this tool has no mock result in the suite"}""",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        _ => Mock.ToJsonString(),
    };
}

public static partial class ToolDefinitions
{
    /// <summary>Parses tools_schema_json; null when there are no tools. Problems are reported against <paramref name="path"/>.</summary>
    public static IReadOnlyList<ToolDefinition>? Parse(string? json, string path, List<SuiteProblem> problems)
    {
        if (string.IsNullOrWhiteSpace(json)) return null;
        if (Validation.JsonUnicode.FirstInvalidString(json) is { } invalid)
        {
            problems.Add(new(path, $"at {invalid}: {Validation.JsonUnicode.Problem}"));
            return null;
        }
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            problems.Add(new(path, $"is not valid JSON: {e.Message.Split(" Path:")[0]}"));
            return null;
        }
        if (root is not JsonArray array)
        {
            problems.Add(new(path,
                "must be an array of tools: [{\"type\":\"function\",\"function\":{\"name\":…,\"parameters\":{…}},\"mock\":…}]"));
            return null;
        }
        var tools = new List<ToolDefinition>();
        var before = problems.Count;
        for (var i = 0; i < array.Count; i++)
        {
            var at = $"{path}[{i}]";
            if (array[i] is not JsonObject entry) { problems.Add(new(at, "a tool is a JSON object")); continue; }
            foreach (var (key, _) in entry)
                if (key is not ("type" or "function" or "mock")) problems.Add(new($"{at}.{key}",
                    "unknown field (a tool has type, function and an optional mock)"));
            if (entry["type"]?.GetValueKind() != JsonValueKind.String || entry["type"]!.GetValue<string>() != "function")
                problems.Add(new($"{at}.type", "must be \"function\""));
            if (entry["function"] is not JsonObject fn) { problems.Add(new($"{at}.function",
                "required: an object with name, description and parameters")); continue; }
            var name = fn["name"]?.GetValueKind() == JsonValueKind.String ? fn["name"]!.GetValue<string>() : null;
            if (name is null || !ToolName().IsMatch(name)) { problems.Add(new($"{at}.function.name",
                "required: 1 to 64 letters, digits, '_' or '-'")); continue; }
            if (tools.Any(t => t.Name == name)) problems.Add(new($"{at}.function.name", $"'{name}' is defined twice"));
            var description = fn["description"]?.GetValueKind() == JsonValueKind.String ? fn["description"]!.GetValue<string>() : null;
            var parameters = fn["parameters"] switch
            {
                null => new JsonObject { ["type"] = "object", ["properties"] = new JsonObject() },
                JsonObject p => p,
                _ => null,
            };
            if (parameters is null) { problems.Add(new($"{at}.function.parameters", "must be a JSON Schema object")); continue; }
            if (JsonSchemas.Compile(parameters.ToJsonString(), out var schemaError) is null) { problems.Add(new($"{at}.function.parameters",
                schemaError!)); continue; }
            tools.Add(new ToolDefinition(name, description, (JsonObject)parameters.DeepClone(), entry["mock"]?.DeepClone()));
        }
        return problems.Count == before ? tools : null;
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex ToolName();
}
