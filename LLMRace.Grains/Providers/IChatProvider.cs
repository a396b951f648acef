using System.Text.Json.Nodes;

namespace LLMRace.Grains.Providers;

/// <summary>What to ask: one prompt of a test, sent to one car's model.</summary>
public sealed record ChatRequest(string Model, string? SystemPrompt, string UserPrompt, JsonObject Params);

/// <summary>Where and how to reach a model server.</summary>
public sealed record ProviderTarget(string Type, string BaseUrl, string? ApiKey);

/// <summary>One wire protocol: builds the streaming request and parses the response body.</summary>
public interface IChatProvider
{
    HttpRequestMessage BuildStreamingRequest(ProviderTarget target, ChatRequest request);

    IAsyncEnumerable<StreamPart> ParseStreamAsync(Stream body, CancellationToken ct);

    HttpRequestMessage BuildModelListRequest(ProviderTarget target);

    IReadOnlyList<string> ParseModelList(string body);
}
