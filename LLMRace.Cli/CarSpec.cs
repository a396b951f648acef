namespace LLMRace.Cli;

/// <summary>
/// A car given on the command line as <c>TYPE@BASE_URL/MODEL</c>, e.g. <c>OLLAMA@http://127.0.0.1:11434/llama3.2</c> or
/// <c>OPENAI_COMPAT@http://127.0.0.1:8080/v1/qwen2.5-7b</c>. The base URL runs up to and including a <c>/v1</c> segment
/// when there is one (OpenAI-style servers), else it is the origin; the rest, slashes and all, is the model.
/// </summary>
public sealed record CarSpec(string Type, string BaseUrl, string Model)
{
    public static bool Looks(string text) => text.Contains('@') && text.Contains("://", StringComparison.Ordinal);

    public static CarSpec Parse(string text)
    {
        var at = text.IndexOf('@');
        var type = text[..at].Trim().ToUpperInvariant();
        var rest = text[(at + 1)..];
        var scheme = rest.IndexOf("://", StringComparison.Ordinal);
        var pathStart = scheme < 0 ? -1 : rest.IndexOf('/', scheme + 3);
        if (type.Length == 0 || scheme < 0 || pathStart < 0 || pathStart == rest.Length - 1
            || !Uri.TryCreate(rest[..pathStart], UriKind.Absolute, out var origin) || origin.Scheme is not ("http" or "https"))
            throw new CliException(ExitCodes.BadInput, $"'{text}' is not a car: use a car's name or id, or TYPE@BASE_URL/MODEL " +
                "(e.g. OLLAMA@http://127.0.0.1:11434/llama3.2)");
        var path = rest[pathStart..];
        var v1 = path.IndexOf("/v1/", StringComparison.Ordinal);
        var split = v1 >= 0 ? pathStart + v1 + 3 : pathStart;
        var model = rest[(split + 1)..];
        if (model.Length == 0) throw new CliException(ExitCodes.BadInput, $"'{text}' names no model after its base URL");
        return new CarSpec(type, rest[..split], model);
    }

    public override string ToString() => $"{Type}@{BaseUrl}/{Model}";
}
