using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;

using static LLMRace.Grains.Providers.WireJson;

namespace LLMRace.Grains.Providers;

/// <summary>
/// Anthropic's Messages API: `/v1/messages` as an SSE event stream (message_start, content_block_*,
/// text/thinking/input_json deltas, ping, message_delta with usage and stop_reason, message_stop, error).
/// </summary>
public sealed class AnthropicChatProvider : IChatProvider
{
    public static readonly AnthropicChatProvider Instance = new();

    public const string ApiVersion = "2023-06-01";
    public const int DefaultMaxTokens = 1024;

    // The Messages API rejects fields it does not know, so only these car params are sent.
    private static readonly string[] Accepted = ["max_tokens", "temperature", "top_p", "top_k", "stop_sequences", "thinking", "metadata"];

    public HttpRequestMessage BuildStreamingRequest(ProviderTarget target, ChatRequest request)
    {
        var messages = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = request.UserPrompt });
        foreach (var exchange in request.History)
        {
            var content = new JsonArray();
            if (exchange.AssistantText.Length > 0) content.Add(new JsonObject { ["type"] = "text", ["text"] = exchange.AssistantText });
            foreach (var c in exchange.Calls)
                content.Add(new JsonObject { ["type"] = "tool_use", ["id"] = ToolJson.CallId(c), ["name"] = c.Name,
                    ["input"] = ToolJson.ArgumentsObject(c.Arguments) });
            messages.Add(new JsonObject { ["role"] = "assistant", ["content"] = content });
            messages.Add(new JsonObject
            {
                ["role"] = "user",
                ["content"] = new JsonArray([.. exchange.Results.Select(r => (JsonNode)new JsonObject
                {
                    ["type"] = "tool_result", ["tool_use_id"] = r.CallId, ["content"] = r.Content, ["is_error"] = r.IsError,
                })]),
            });
        }
        var body = new JsonObject
        {
            ["model"] = request.Model,
            ["max_tokens"] = DefaultMaxTokens,
            ["messages"] = messages,
            ["stream"] = true,
        };
        if (request.Tools.Count > 0)
            body["tools"] = new JsonArray([.. request.Tools.Select(t => (JsonNode)new JsonObject
            {
                ["name"] = t.Name, ["description"] = t.Description, ["input_schema"] = t.Parameters.DeepClone(),
            })]);
        if (!string.IsNullOrEmpty(request.SystemPrompt)) body["system"] = request.SystemPrompt;
        foreach (var (name, value) in request.Params)
        {
            if (Accepted.Contains(name)) body[name] = value?.DeepClone();
            // The car's stop sequences, as OpenAI and Ollama name them; Anthropic takes a list under its own name.
            else if (name == "stop" && !request.Params.ContainsKey("stop_sequences"))
                body["stop_sequences"] = value is JsonArray list ? list.DeepClone() : new JsonArray(value?.DeepClone());
        }

        var message = Post(ApiRoot(target) + "/messages", body);
        AddHeaders(target, message);
        return message;
    }

    public HttpRequestMessage BuildModelListRequest(ProviderTarget target)
    {
        var message = new HttpRequestMessage(HttpMethod.Get, ApiRoot(target) + "/models");
        AddHeaders(target, message);
        return message;
    }

    public IReadOnlyList<string> ParseModelList(string body) => Names(body, "data", "id");

    public async IAsyncEnumerable<StreamPart> ParseStreamAsync(Stream body, [EnumeratorCancellation] CancellationToken ct)
    {
        // Each event is read from the bytes the parser hands over, never made a string first.
        var parser = SseParser.Create(body, static (_, data) =>
            data.IsEmpty ? ([], false) : (Parts: ParseEvent(data, out var stop), Stop: stop));
        await foreach (var item in parser.EnumerateAsync(ct))
        {
            foreach (var part in item.Data.Parts) yield return part;
            if (item.Data.Stop) yield break;
        }
    }

    public static IReadOnlyList<StreamPart> ParseEvent(ReadOnlySpan<byte> data, out bool stop)
    {
        stop = false;
        using (var parsed = EventJson.Parse(data, "an event"))
        {
            var root = parsed.Root;
            var parts = new List<StreamPart>();
            switch (Str(root, "type"))
            {
                case "message_start" when root.TryGetProperty("message", out var message) && message.TryGetProperty("usage", out var usage):
                    parts.Add(new UsagePart(Int(usage, "input_tokens"), null));
                    break;
                case "content_block_start" when root.TryGetProperty("content_block", out var block) && Str(block, "type") == "tool_use":
                    parts.Add(new ToolCallDeltaPart(Int(root, "index") ?? 0, Str(block, "id"), Str(block, "name"), null));
                    break;
                case "content_block_delta" when root.TryGetProperty("delta", out var delta):
                    switch (Str(delta, "type"))
                    {
                        case "text_delta" when Str(delta, "text") is { Length: > 0 } text:
                            parts.Add(new ContentPart(ContentKind.Text, text));
                            break;
                        case "thinking_delta" when Str(delta, "thinking") is { Length: > 0 } thinking:
                            parts.Add(new ContentPart(ContentKind.Reasoning, thinking));
                            break;
                        case "input_json_delta" when Str(delta, "partial_json") is { Length: > 0 } json:
                            parts.Add(new ToolCallDeltaPart(Int(root, "index") ?? 0, null, null, json));
                            break;
                    }
                    break;
                case "message_delta":
                    if (root.TryGetProperty("usage", out var final)) parts.Add(new UsagePart(Int(final, "input_tokens"), Int(final,
                        "output_tokens")));
                    if (root.TryGetProperty("delta", out var d) && Str(d, "stop_reason") is { } reason) parts.Add(new FinishPart(reason));
                    break;
                case "message_stop":
                    stop = true;
                    break;
                case "error":
                    var error = root.TryGetProperty("error", out var e) ? e : root;
                    throw new ProviderStreamException($"the server reported an error mid-stream: {Str(error, "type") ?? "error"}: " +
                        $"{Str(error, "message") ?? Excerpt.Of(root.GetRawText())}");
            }
            return parts;
        }
    }

    public static string ApiRoot(ProviderTarget target)
    {
        var root = target.BaseUrl.Trim().TrimEnd('/');
        return root.EndsWith("/v1", StringComparison.OrdinalIgnoreCase) ? root : root + "/v1";
    }

    private static void AddHeaders(ProviderTarget target, HttpRequestMessage message)
    {
        if (!string.IsNullOrEmpty(target.ApiKey)) message.Headers.TryAddWithoutValidation("x-api-key", target.ApiKey);
        message.Headers.TryAddWithoutValidation("anthropic-version", ApiVersion);
        target.AddBasicCredentials(message);
    }
}
