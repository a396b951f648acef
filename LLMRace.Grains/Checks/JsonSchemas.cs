using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Pointer;
using Json.Schema;

namespace LLMRace.Grains.Checks;

/// <summary>
/// JSON Schema (via JsonSchema.Net): compiled once at import, then used to validate outputs and tool arguments.
/// A schema must be whole in itself: a reference ($ref, $dynamicRef, $recursiveRef) must point inside it, since
/// nothing is ever fetched and one that resolves nowhere would fail every item that reaches it.
/// </summary>
public static class JsonSchemas
{
    private static readonly string[] ReferenceKeywords = ["$ref", "$dynamicRef", "$recursiveRef"];

    public static JsonSchema? Compile(string text, out string? error)
    {
        error = null;
        if (Validation.JsonUnicode.FirstInvalidString(text) is { } invalid)
        {
            error = $"at {invalid} {Validation.JsonUnicode.Problem}";
            return null;
        }
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind is not (JsonValueKind.Object or JsonValueKind.True or JsonValueKind.False))
            {
                error = "a JSON Schema is an object (or true/false)";
                return null;
            }
            if (UnresolvableReference(doc.RootElement) is { } reference)
            {
                error = reference;
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

    /// <summary>The first reference that does not point inside the schema, said in words; null when all do.</summary>
    private static string? UnresolvableReference(JsonElement root)
    {
        var anchors = new HashSet<string>(StringComparer.Ordinal);
        var references = new List<(string Keyword, string Target)>();
        Collect(root, anchors, references);
        var node = JsonNode.Parse(root.GetRawText());
        foreach (var (keyword, target) in references)
        {
            if (!target.StartsWith('#'))
                return $"{keyword} '{target}' points outside the schema: LLMRace fetches no other schemas (put it under $defs and use " +
                    $"'#/$defs/…')";
            var fragment = Uri.UnescapeDataString(target[1..]);
            var found = fragment.Length == 0
                || (fragment.StartsWith('/') ? JsonPointer.TryParse(fragment, out var pointer) && pointer.TryEvaluate(node,
                    out _) : anchors.Contains(fragment));
            if (!found) return $"{keyword} '{target}' points nowhere in this schema";
        }
        return null;
    }

    private static void Collect(JsonElement element, HashSet<string> anchors, List<(string, string)> references)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    if (property.Value.ValueKind == JsonValueKind.String)
                    {
                        if (ReferenceKeywords.Contains(property.Name)) references.Add((property.Name, property.Value.GetString()!));
                        else if (property.Name is "$anchor" or "$dynamicAnchor") anchors.Add(property.Value.GetString()!);
                    }
                    Collect(property.Value, anchors, references);
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray()) Collect(item, anchors, references);
                break;
        }
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
