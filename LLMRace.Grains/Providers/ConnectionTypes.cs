using Microsoft.Extensions.DependencyInjection;

namespace LLMRace.Grains.Providers;

/// <summary>The connection types' keys, where code needs one by name (OpenRouter's extra headers, the seeded Simulator).</summary>
public static class ConnectionTypes
{
    public const string Ollama = "OLLAMA";
    public const string OpenAiCompat = "OPENAI_COMPAT";
    public const string LlamaCppOpenAi = "LLAMACPP_OPENAI";
    public const string OpenAi = "OPENAI";
    public const string Anthropic = "ANTHROPIC";
    public const string OpenRouter = "OPENROUTER";
    public const string Simulator = "SIMULATOR";

    /// <summary>
    /// The types LLMRace ships with. A new provider is one protocol class (an <see cref="IChatProvider"/>) and one line here;
    /// validation, races, the judge, load tests, discovery, Verify's advice and the UI's list all come from the registry.
    /// </summary>
    public static IReadOnlyList<ConnectionType> BuiltIn { get; } =
    [
        new(Ollama, OllamaChatProvider.Instance, "http://127.0.0.1:11434",
            "Ollama serves at its root, e.g. http://127.0.0.1:11434 (no /v1; for its OpenAI API use OPENAI_COMPAT with /v1)."),
        new(OpenAiCompat, OpenAiChatProvider.Instance, "http://127.0.0.1:1234", OpenAiCompatibleAdvice),
        new(LlamaCppOpenAi, OpenAiChatProvider.Instance, "http://127.0.0.1:8080", OpenAiCompatibleAdvice),
        new(OpenAi, OpenAiChatProvider.Instance, "https://api.openai.com", OpenAiCompatibleAdvice),
        new(Anthropic, AnthropicChatProvider.Instance, "https://api.anthropic.com",
            "Anthropic's base URL is https://api.anthropic.com (LLMRace adds /v1)."),
        new(OpenRouter, OpenAiChatProvider.Instance, "https://openrouter.ai",
            "OpenRouter's base URL is https://openrouter.ai (LLMRace adds /api/v1)."),
        new(Simulator, OpenAiChatProvider.Instance, "http://127.0.0.1:8100", OpenAiCompatibleAdvice),
    ];

    public static IServiceCollection AddBuiltInConnectionTypes(this IServiceCollection services)
    {
        foreach (var type in BuiltIn) services.AddConnectionType(type);
        return services;
    }

    private const string OpenAiCompatibleAdvice =
        "OpenAI-compatible servers answer under /v1 (LLMRace adds it when the base URL lacks it), e.g. http://127.0.0.1:1337 for Jan, " +
            ":1234 for LM Studio, :8080 for llama.cpp.";

    public static IServiceCollection AddConnectionType(this IServiceCollection services, ConnectionType type)
    {
        services.AddSingleton(type);
        services.AddKeyedSingleton(type.Key, type.Provider);
        return services;
    }
}

/// <summary>One kind of model server: its key, the protocol that speaks to it, an example base URL, and the advice Verify gives on a wrong
/// path.</summary>
public sealed record ConnectionType(string Key, IChatProvider Provider, string ExampleBaseUrl, string BaseUrlAdvice);

/// <summary>The connection types registered at start, by key.</summary>
public sealed class ConnectionTypeRegistry(IEnumerable<ConnectionType> types)
{
    private readonly Dictionary<string, ConnectionType> _byKey = types.ToDictionary(t => t.Key, StringComparer.Ordinal);

    public IReadOnlyCollection<ConnectionType> All => _byKey.Values;

    public IReadOnlyCollection<string> Keys => _byKey.Keys;

    public ConnectionType? Find(string key) => _byKey.GetValueOrDefault(key);

    /// <summary>The protocol of a type a run or a connection names; throws for a type no longer registered.</summary>
    public IChatProvider ProviderFor(string key) =>
        Find(key)?.Provider ?? throw new ProviderStreamException($"connection type {key} cannot be raced: it is not one this LLMRace " +
            $"knows");
}
