namespace LLMRace.Grains.Security;

/// <summary>
/// The environment variables a connection may name as its key (legacy env-var auth): the model providers' own, plus
/// those the operator lists in LLMRACE_API_KEY_ENV_VARS. Never LLMRace's, .NET's or ASP.NET Core's own settings,
/// which would send the Api's secrets (or anything else in its environment) to whatever server a connection names.
/// </summary>
public sealed class ApiKeyEnvVars
{
    public static readonly string[] Known =
    [
        "OPENAI_API_KEY", "ANTHROPIC_API_KEY", "OPENROUTER_API_KEY", "JAN_API_KEY", "LMSTUDIO_API_KEY", "LLAMACPP_API_KEY",
            "OLLAMA_API_KEY",
    ];

    private static readonly string[] ForbiddenPrefixes = ["LLMRACE_", "DOTNET_", "ASPNETCORE_"];

    private readonly HashSet<string> _allowed;

    /// <param name="operatorListed">LLMRACE_API_KEY_ENV_VARS: more names, comma-separated.</param>
    public ApiKeyEnvVars(string? operatorListed = null)
    {
        var listed = (operatorListed ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        _allowed = new HashSet<string>([.. Known, .. listed.Where(n => !IsForbidden(n))], StringComparer.Ordinal);
    }

    public IReadOnlyCollection<string> Allowed => _allowed;

    public bool IsAllowed(string name) => _allowed.Contains(name) && !IsForbidden(name);

    private static bool IsForbidden(string name) => ForbiddenPrefixes.Any(p => name.StartsWith(p, StringComparison.OrdinalIgnoreCase));
}
