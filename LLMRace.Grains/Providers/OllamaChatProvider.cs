using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

using static LLMRace.Grains.Providers.WireJson;

namespace LLMRace.Grains.Providers;

/// <summary>
/// Ollama's native chat API: `/api/chat` streaming NDJSON (one JSON object a line), `/api/tags` for discovery.
/// The final `done` line carries the server's own timings, kept beside the client's measurements.
/// </summary>
public sealed class OllamaChatProvider : IChatProvider
{
    public static readonly OllamaChatProvider Instance = new();

    // Car params that Ollama takes at the top level; every other one goes into `options`.
    private static readonly string[] TopLevel = ["think", "keep_alive", "format"];
    private static readonly string[] TimingFields = ["total_duration", "load_duration", "prompt_eval_count", "prompt_eval_duration",
        "eval_count", "eval_duration"];

    public HttpRequestMessage BuildStreamingRequest(ProviderTarget target, ChatRequest request)
    {
        var messages = new JsonArray();
        if (!string.IsNullOrEmpty(request.SystemPrompt)) messages.Add(new JsonObject { ["role"] = "system",
            ["content"] = request.SystemPrompt });
        messages.Add(new JsonObject { ["role"] = "user", ["content"] = request.UserPrompt });
        foreach (var exchange in request.History)
        {
            messages.Add(new JsonObject
            {
                ["role"] = "assistant",
                ["content"] = exchange.AssistantText,
                ["tool_calls"] = new JsonArray([.. exchange.Calls.Select(c => (JsonNode)new JsonObject
                {
                    ["function"] = new JsonObject { ["name"] = c.Name, ["arguments"] = ToolJson.ArgumentsObject(c.Arguments) },
                })]),
            });
            foreach (var result in exchange.Results)
                messages.Add(new JsonObject { ["role"] = "tool", ["content"] = result.Content, ["tool_name"] = result.Name });
        }
        var body = new JsonObject { ["model"] = request.Model, ["messages"] = messages, ["stream"] = true };
        if (request.Tools.Count > 0) body["tools"] = ToolJson.FunctionTools(request.Tools);
        var options = new JsonObject();
        foreach (var (name, value) in request.Params)
        {
            if (TopLevel.Contains(name)) body[name] = value?.DeepClone();
            else if (name == "max_tokens") options["num_predict"] = value?.DeepClone();
            else options[name] = value?.DeepClone();
        }
        if (options.Count > 0) body["options"] = options;

        var message = Post(Root(target) + "/api/chat", body);
        AddAuth(target, message);
        return message;
    }

    public HttpRequestMessage BuildModelListRequest(ProviderTarget target)
    {
        var message = new HttpRequestMessage(HttpMethod.Get, Root(target) + "/api/tags");
        AddAuth(target, message);
        return message;
    }

    public IReadOnlyList<string> ParseModelList(string body) => Names(body, "models", "name");

    public async IAsyncEnumerable<StreamPart> ParseStreamAsync(Stream body, [EnumeratorCancellation] CancellationToken ct)
    {
        using var reader = new StreamReader(body, new UTF8Encoding(false, false), detectEncodingFromByteOrderMarks: false);
        var toolIndex = 0;
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (line.Length == 0) continue;
            foreach (var part in ParseLine(line, ref toolIndex)) yield return part;
        }
    }

    public static IReadOnlyList<StreamPart> ParseLine(string line, ref int toolIndex)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(line);
        }
        catch (JsonException)
        {
            throw new ProviderStreamException($"the server sent a line that is not JSON: {Excerpt.Of(line)}");
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new ProviderStreamException($"the server sent a line that is not a JSON " +
                $"object: {Excerpt.Of(line)}");
            if (root.TryGetProperty("error", out var error))
                throw new ProviderStreamException($"the server reported an error mid-stream: " +
                    $"{(error.ValueKind == JsonValueKind.String ? error.GetString() : Excerpt.Of(error.GetRawText()))}");

            var parts = new List<StreamPart>();
            if (root.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.Object)
            {
                if (Str(message, "thinking") is { Length: > 0 } thinking) parts.Add(new ContentPart(ContentKind.Reasoning, thinking));
                if (Str(message, "content") is { Length: > 0 } content) parts.Add(new ContentPart(ContentKind.Text, content));
                if (message.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
                {
                    foreach (var call in calls.EnumerateArray())
                    {
                        var fn = call.TryGetProperty("function", out var f) ? f : default;
                        var arguments = fn.ValueKind == JsonValueKind.Object && fn.TryGetProperty("arguments", out var a)
                            ? (a.ValueKind == JsonValueKind.String ? a.GetString() : a.GetRawText())
                            : "{}";
                        parts.Add(new ToolCallDeltaPart(toolIndex++, Str(call, "id"), fn.ValueKind == JsonValueKind.Object ? Str(fn,
                            "name") : null, arguments));
                    }
                }
            }
            // /api/generate streams `response` instead of `message`.
            if (Str(root, "response") is { Length: > 0 } response) parts.Add(new ContentPart(ContentKind.Text, response));

            if (root.TryGetProperty("done", out var done) && done.ValueKind == JsonValueKind.True)
            {
                parts.Add(new UsagePart(Int(root, "prompt_eval_count"), Int(root, "eval_count")));
                var timings = new JsonObject();
                foreach (var field in TimingFields)
                    if (root.TryGetProperty(field,
                        out var v) && v.ValueKind == JsonValueKind.Number) timings[field] = JsonValue.Create(v.GetInt64());
                if (timings.Count > 0) parts.Add(new ServerTimingsPart(JsonSerializer.SerializeToElement(timings)));
                if (Str(root, "done_reason") is { } reason) parts.Add(new FinishPart(reason));
            }
            return parts;
        }
    }

    /// <summary>Ollama serves at its root; a base URL given with /api or /v1 is taken back to the root.</summary>
    public static string Root(ProviderTarget target)
    {
        var root = target.BaseUrl.Trim().TrimEnd('/');
        foreach (var suffix in (ReadOnlySpan<string>)["/api", "/v1"])
            if (root.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)) return root[..^suffix.Length];
        return root;
    }

    private static void AddAuth(ProviderTarget target, HttpRequestMessage message)
    {
        // Ollama itself needs no key; one is sent for servers behind an authenticating proxy (and ollama.com).
        if (!string.IsNullOrEmpty(target.ApiKey)) message.Headers.Authorization = new("Bearer", target.ApiKey);
        target.AddBasicCredentials(message);
    }
}
