using System.Net.Http.Json;
using System.Text.Json;

namespace LLMRace.Bench;

public static class ApiCalls
{
    /// <summary>POSTs a body and returns the id of what it made; a refusal stops the scenario with the Api's answer.</summary>
    public static async Task<string> PostForIdAsync(this HttpClient http, string path, object body)
    {
        using var response = await http.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"POST {path}: {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
    }
}
