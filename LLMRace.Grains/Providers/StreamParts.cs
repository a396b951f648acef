using System.Text.Json;

namespace LLMRace.Grains.Providers;

/// <summary>What a provider's stream parser yields, in wire order. The engine timestamps each part as it arrives.</summary>
public abstract record StreamPart
{
    /// <summary>True for parts that carry generated content (text, reasoning or a tool-call delta): the ones TTFT and ITL time.</summary>
    public virtual bool IsContent => false;
}

public enum ContentKind { Text, Reasoning }

public sealed record ContentPart(ContentKind Kind, string Text) : StreamPart
{
    public override bool IsContent => true;
}

/// <summary>A fragment of a tool call; fragments with the same index make one call.</summary>
public sealed record ToolCallDeltaPart(int Index, string? Id, string? Name, string? ArgumentsFragment) : StreamPart
{
    public override bool IsContent => true;
}

public sealed record UsagePart(int? InputTokens, int? OutputTokens) : StreamPart;

/// <summary>Timings the server reports about itself (llama.cpp's timings, Ollama's durations).</summary>
public sealed record ServerTimingsPart(JsonElement Timings) : StreamPart;

public sealed record FinishPart(string Reason) : StreamPart;

/// <summary>The server sent an error inside a successful (200) stream, or bytes that do not parse.</summary>
public sealed class ProviderStreamException(string message) : Exception(message);

/// <summary>The server answered with a status other than success.</summary>
public sealed class ProviderHttpException(int statusCode, string bodyExcerpt, TimeSpan? retryAfter)
    : Exception($"HTTP {statusCode}{(bodyExcerpt.Length > 0 ? ": " + bodyExcerpt : "")}")
{
    public int StatusCode { get; } = statusCode;
    public TimeSpan? RetryAfter { get; } = retryAfter;
    /// <summary>
    /// A redirect, refused: the provider client follows none, so a key never travels to the address it points at.
    /// </summary>
    public static ProviderHttpException Redirect(HttpResponseMessage response) => new((int)response.StatusCode,
        $"the server redirects to {response.Headers.Location?.ToString() ?? "another address"}; LLMRace follows no redirects " +
        "(a key must not follow one): set the base URL to where it points", null);

    /// <summary>Worth retrying: rate limits, timeouts and server-side failures.</summary>
    public bool IsTransient => StatusCode is 408 or 429 or >= 500;
}

public static class Excerpt
{
    /// <summary>The first characters of what a server sent, for an error message a person can act on.</summary>
    public static string Of(string text, int max = 200)
    {
        text = text.ReplaceLineEndings(" ").Trim();
        return text.Length <= max ? text : text[..max] + "…";
    }
}
