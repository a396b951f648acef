namespace LLMRace.Grains.Providers;

public static class ConnectionTypes
{
    public const string Ollama = "OLLAMA";
    public const string OpenAiCompat = "OPENAI_COMPAT";
    public const string LlamaCppOpenAi = "LLAMACPP_OPENAI";
    public const string OpenAi = "OPENAI";
    public const string Anthropic = "ANTHROPIC";
    public const string OpenRouter = "OPENROUTER";
    public const string Simulator = "SIMULATOR";

    public static readonly string[] All = [Ollama, OpenAiCompat, LlamaCppOpenAi, OpenAi, Anthropic, OpenRouter, Simulator];

    public static IChatProvider? ProviderFor(string type) => type switch
    {
        OpenAiCompat or LlamaCppOpenAi or OpenAi or OpenRouter or Simulator => OpenAiChatProvider.Instance,
        Ollama => OllamaChatProvider.Instance,
        Anthropic => AnthropicChatProvider.Instance,
        _ => null,
    };
}
