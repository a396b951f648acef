using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LLMRace.Grains.Providers;

/// <summary>Small readers and writers of the JSON every wire protocol uses, tolerant of missing or mistyped fields.</summary>
public static class WireJson
{
    public static int? Int(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name,
            out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out var i) ? i : null;

    public static string? Str(JsonElement e, string name) =>
        e.ValueKind == JsonValueKind.Object && e.TryGetProperty(name,
            out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    /// <summary>The names in a model list: the <paramref name="field"/> of each object in the array <paramref name="list"/>.</summary>
    public static IReadOnlyList<string> Names(string body, string list, string field)
    {
        using var doc = JsonDocument.Parse(body);
        return doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty(list,
            out var items) && items.ValueKind == JsonValueKind.Array
            ? [.. items.EnumerateArray().Select(m => Str(m, field)).OfType<string>()]
            : [];
    }

    public static HttpRequestMessage Post(string url, JsonObject body) =>
        new(HttpMethod.Post, url) { Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json") };
}
