using System.Text.Json;
using Json.Schema;

namespace LLMRace.Grains.Checks;

/// <summary>JSON Schema (via JsonSchema.Net): compiled once at import, then used to validate outputs and tool arguments.</summary>
public static class JsonSchemas
{
    public static JsonSchema? Compile(string text, out string? error)
    {
        error = null;
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind is not (JsonValueKind.Object or JsonValueKind.True or JsonValueKind.False))
            {
                error = "a JSON Schema is an object (or true/false)";
                return null;
            }
            return JsonSchema.FromText(text, new BuildOptions());
        }
        catch (JsonException e)
        {
            error = $"is not valid JSON: {e.Message.Split(" Path:")[0]}";
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            error = $"is not a valid JSON Schema: {e.Message}";
        }
        return null;
    }

    /// <summary>Null when the instance is valid; otherwise the first problem, with where it is.</summary>
    public static string? FirstProblem(JsonSchema schema, JsonElement instance)
    {
        var results = schema.Evaluate(instance, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (results.IsValid) return null;
        foreach (var node in (IEnumerable<EvaluationResults>)[results, .. results.Details ?? []])
        {
            if (node.Errors is { Count: > 0 } errors)
            {
                var (keyword, message) = errors.First();
                var at = node.InstanceLocation.ToString() is { Length: > 0 } location ? location : "/";
                return $"at {at}: {message} ({keyword})";
            }
        }
        return "does not match the schema";
    }
}
