using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;

using static LLMRace.Grains.Providers.WireJson;

namespace LLMRace.Grains.Providers;

/// <summary>
/// OpenAI chat completions streaming (`/v1/chat/completions`), spoken by OpenAI, LM Studio, Jan,
/// llama.cpp (plus its `timings`), Ollama's /v1, OpenRouter (at /api/v1) and the Simulator.
/// </summary>
public sealed class OpenAiChatProvider : IChatProvider
{
    public static readonly OpenAiChatProvider Instance = new();

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
                ["content"] = exchange.AssistantText.Length > 0 ? exchange.AssistantText : null,
                ["tool_calls"] = new JsonArray([.. exchange.Calls.Select(c => (JsonNode)new JsonObject
                {
                    ["id"] = ToolJson.CallId(c),
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = c.Name, ["arguments"] = c.Arguments },
                })]),
            });
            foreach (var result in exchange.Results)
                messages.Add(new JsonObject { ["role"] = "tool", ["tool_call_id"] = result.CallId, ["content"] = result.Content });
        }

        var body = new JsonObject
        {
            ["model"] = request.Model,
            ["messages"] = messages,
            ["stream"] = true,
            ["stream_options"] = new JsonObject { ["include_usage"] = true },
        };
        if (request.Tools.Count > 0) body["tools"] = ToolJson.FunctionTools(request.Tools);
        foreach (var (name, value) in request.Params) body[name] = value?.DeepClone();

        var message = Post(ApiRoot(target) + "/chat/completions", body);
        message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        AddAuth(target, message);
        return message;
    }

    public HttpRequestMessage BuildModelListRequest(ProviderTarget target)
    {
        var message = new HttpRequestMessage(HttpMethod.Get, ApiRoot(target) + "/models");
        AddAuth(target, message);
        return message;
    }

    public IReadOnlyList<string> ParseModelList(string body) => Names(body, "data", "id");

    public async IAsyncEnumerable<StreamPart> ParseStreamAsync(Stream body, [EnumeratorCancellation] CancellationToken ct)
    {
        // Each chunk is read from the bytes the parser hands over; null is the stream's "[DONE]".
        var parser = SseParser.Create(body, static (_, data) => data.SequenceEqual("[DONE]"u8) ? null
            : data.IsEmpty ? [] : ParseChunk(data));
        await foreach (var item in parser.EnumerateAsync(ct))
        {
            if (item.Data is null) yield break;
            foreach (var part in item.Data) yield return part;
        }
    }

    /// <summary>The parts of one `data:` payload.</summary>
    public static IReadOnlyList<StreamPart> ParseChunk(ReadOnlySpan<byte> data)
    {
        using (var json = EventJson.Parse(data, "a chunk"))
        {
            var root = json.Root;
            if (root.ValueKind != JsonValueKind.Object)
                throw new ProviderStreamException(
                    $"the server sent a chunk that is not a JSON object: {Excerpt.Of(root.GetRawText())}");
            if (root.TryGetProperty("error", out var error) && error.ValueKind != JsonValueKind.Null)
                throw new ProviderStreamException($"the server reported an error mid-stream: {ErrorMessage(error)}");

            var parts = new List<StreamPart>();
            if (root.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array)
            {
                foreach (var choice in choices.EnumerateArray())
                {
                    // n > 1 is not raced: only the first choice is read.
                    if (choice.TryGetProperty("index",
                        out var index) && index.ValueKind == JsonValueKind.Number && index.GetInt32() != 0) continue;
                    if (choice.TryGetProperty("delta", out var delta) && delta.ValueKind == JsonValueKind.Object) ReadDelta(delta, parts);
                    if (choice.TryGetProperty("finish_reason", out var finish) && finish.ValueKind == JsonValueKind.String)
                        parts.Add(new FinishPart(finish.GetString()!));
                }
            }
            if (root.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
                parts.Add(new UsagePart(Int(usage, "prompt_tokens"), Int(usage, "completion_tokens")));
            if (root.TryGetProperty("timings", out var timings) && timings.ValueKind == JsonValueKind.Object)
                parts.Add(new ServerTimingsPart(timings.Clone()));
            return parts;
        }
    }

    private static void ReadDelta(JsonElement delta, List<StreamPart> parts)
    {
        foreach (var name in (ReadOnlySpan<string>)["reasoning_content", "reasoning"])
        {
            if (delta.TryGetProperty(name, out var r) && r.ValueKind == JsonValueKind.String && r.GetString() is { Length: > 0 } reasoning)
            {
                parts.Add(new ContentPart(ContentKind.Reasoning, reasoning));
                break;
            }
        }
        if (delta.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String && c.GetString() is { Length: > 0 } content)
            parts.Add(new ContentPart(ContentKind.Text, content));
        if (delta.TryGetProperty("refusal", out var f) && f.ValueKind == JsonValueKind.String && f.GetString() is { Length: > 0 } refusal)
            parts.Add(new ContentPart(ContentKind.Text, refusal));
        if (delta.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
        {
            foreach (var call in calls.EnumerateArray())
            {
                var fn = call.TryGetProperty("function", out var f2) && f2.ValueKind == JsonValueKind.Object ? f2 : default;
                parts.Add(new ToolCallDeltaPart(
                    Int(call, "index") ?? 0,
                    Str(call, "id"),
                    fn.ValueKind == JsonValueKind.Object ? Str(fn, "name") : null,
                    fn.ValueKind == JsonValueKind.Object ? Str(fn, "arguments") : null));
            }
        }
    }

    private static string ErrorMessage(JsonElement error) => error.ValueKind switch
    {
        JsonValueKind.Object when error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String => m.GetString()!,
        JsonValueKind.String => error.GetString()!,
        _ => Excerpt.Of(error.GetRawText()),
    };



    /// <summary>The API root: base URLs are accepted with or without /v1 (Jan's "API Prefix") and trailing slashes.</summary>
    public static string ApiRoot(ProviderTarget target)
    {
        var root = target.BaseUrl.Trim().TrimEnd('/');
        if (target.Type == ConnectionTypes.OpenRouter)
        {
            if (root.EndsWith("/api/v1", StringComparison.OrdinalIgnoreCase)) return root;
            return root + "/api/v1";
        }
        return root.EndsWith("/v1", StringComparison.OrdinalIgnoreCase) ? root : root + "/v1";
    }

    private static void AddAuth(ProviderTarget target, HttpRequestMessage message)
    {
        if (!string.IsNullOrEmpty(target.ApiKey))
        {
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", target.ApiKey);
            // Jan's local API server reads the key from X-API-Key; the original sends both to local OpenAI-compatible servers.
            if (target.Type is ConnectionTypes.OpenAiCompat or ConnectionTypes.LlamaCppOpenAi)
                message.Headers.TryAddWithoutValidation("X-API-Key", target.ApiKey);
        }
        target.AddBasicCredentials(message);
        if (target.Type == ConnectionTypes.OpenRouter)
        {
            if (Environment.GetEnvironmentVariable("OPENROUTER_HTTP_REFERER") is { Length: > 0 } referer)
                message.Headers.TryAddWithoutValidation("HTTP-Referer", referer);
            if (Environment.GetEnvironmentVariable("OPENROUTER_X_TITLE") is { Length: > 0 } title)
                message.Headers.TryAddWithoutValidation("X-Title", title);
        }
    }
}
