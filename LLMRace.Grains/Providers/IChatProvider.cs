using System.Text.Json;
using System.Text.Json.Nodes;
using LLMRace.Grains.Engine;
using LLMRace.Grains.Suites;

namespace LLMRace.Grains.Providers;

/// <summary>What to ask: one prompt of a test, sent to one car's model, with the tools offered and the turns so far.</summary>
public sealed record ChatRequest(string Model, string? SystemPrompt, string UserPrompt, JsonObject Params)
{
    public IReadOnlyList<ToolDefinition> Tools { get; init; } = [];

    /// <summary>Earlier turns of a tool-calling conversation: what the model called, and what the tools answered.</summary>
    public IReadOnlyList<ToolExchange> History { get; init; } = [];
}

public sealed record ToolExchange(string AssistantText, IReadOnlyList<ToolCall> Calls, IReadOnlyList<ToolResult> Results);

public sealed record ToolResult(string CallId, string Name, string Content, bool IsError);

/// <summary>Where and how to reach a model server.</summary>
public sealed record ProviderTarget(string Type, string BaseUrl, string? ApiKey)
{
    /// <summary>user:password from the base URL, sent as HTTP Basic where the protocol's own key does not take Authorization.</summary>
    public string? BasicCredentials { get; init; }

    public override string ToString() => $"{Type} {BaseUrl}";

    /// <summary>Basic authentication from the base URL's credentials, unless the request already carries an Authorization.</summary>
    public void AddBasicCredentials(HttpRequestMessage message)
    {
        if (BasicCredentials is { Length: > 0 } credentials && message.Headers.Authorization is null)
            message.Headers.Authorization = new("Basic", Security.BaseUrlCredentials.Basic(credentials));
    }
}

/// <summary>One wire protocol: builds the streaming request and parses the response body.</summary>
public interface IChatProvider
{
    HttpRequestMessage BuildStreamingRequest(ProviderTarget target, ChatRequest request);

    IAsyncEnumerable<StreamPart> ParseStreamAsync(Stream body, CancellationToken ct);

    HttpRequestMessage BuildModelListRequest(ProviderTarget target);

    IReadOnlyList<string> ParseModelList(string body);
}

public static class ToolJson
{
    /// <summary>A call's arguments as a JSON object, for protocols that send objects; unparseable text is kept under "_raw".</summary>
    public static JsonNode ArgumentsObject(string arguments)
    {
        try
        {
            return JsonNode.Parse(string.IsNullOrWhiteSpace(arguments) ? "{}" : arguments) is JsonObject o
                ? o : new JsonObject { ["_raw"] = arguments };
        }
        catch (JsonException)
        {
            return new JsonObject { ["_raw"] = arguments };
        }
    }

    /// <summary>Tools in the OpenAI (and Ollama) shape.</summary>
    public static JsonArray FunctionTools(IEnumerable<ToolDefinition> tools) => [.. tools.Select(t => (JsonNode)new JsonObject
    {
        ["type"] = "function",
        ["function"] = new JsonObject { ["name"] = t.Name, ["description"] = t.Description, ["parameters"] = t.Parameters.DeepClone() },
    })];

    public static string CallId(ToolCall call) => call.Id ?? $"call_{call.Index}";
}
