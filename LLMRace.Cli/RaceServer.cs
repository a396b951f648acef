using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace LLMRace.Cli;

/// <summary>A running LLMRace's HTTP API, as far as the CLI uses it.</summary>
public sealed class RaceServer : IDisposable
{
    private readonly HttpClient _http;

    public RaceServer(Uri server, string? token, HttpMessageHandler? handler = null)
    {
        _http = handler is null ? new HttpClient() : new HttpClient(handler, disposeHandler: false);
        _http.BaseAddress = server;
        _http.Timeout = Timeout.InfiniteTimeSpan; // a run's stream lasts as long as the race
        if (!string.IsNullOrEmpty(token)) _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
    }

    public Uri Address => _http.BaseAddress!;

    public async Task<JsonElement> GetAsync(string path, CancellationToken ct)
    {
        using var response = await SendAsync(() => _http.GetAsync(path, ct), path);
        return await ReadAsync(response, path, ct);
    }

    public async Task<JsonElement> PostAsync(string path, HttpContent content, CancellationToken ct)
    {
        using var response = await SendAsync(() => _http.PostAsync(path, content, ct), path);
        return await ReadAsync(response, path, ct);
    }

    /// <summary>A file the server makes (an export), as its bytes.</summary>
    public async Task<byte[]> GetBytesAsync(string path, CancellationToken ct)
    {
        using var response = await SendAsync(() => _http.GetAsync(path, ct), path);
        if (!response.IsSuccessStatusCode) await ReadAsync(response, path, ct);
        return await response.Content.ReadAsByteArrayAsync(ct);
    }

    public async Task<JsonElement> PutAsync(string path, HttpContent content, CancellationToken ct)
    {
        using var response = await SendAsync(() => _http.PutAsync(path, content, ct), path);
        return await ReadAsync(response, path, ct);
    }

    public Task<JsonElement> PostJsonAsync(string path, object body, CancellationToken ct) => PostAsync(path, JsonContent.Create(body), ct);

    /// <summary>The run's events as they come (Server-Sent Events), ending with its terminal event.</summary>
    public async IAsyncEnumerable<JsonElement> StreamAsync(string runId,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken ct)
    {
        var path = $"/api/runs/{Uri.EscapeDataString(runId)}/stream";
        using var response = await SendAsync(() => _http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, ct), path);
        if (!response.IsSuccessStatusCode) await ReadAsync(response, path, ct);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
        while (await reader.ReadLineAsync(ct) is { } line)
        {
            if (!line.StartsWith("data: ", StringComparison.Ordinal)) continue;
            using var document = JsonDocument.Parse(line.AsMemory(6));
            var e = document.RootElement.Clone();
            yield return e;
            if (e.GetProperty("type").GetString() is "run.completed" or "run.failed" or "run.cancelled") yield break;
        }
    }

    private async Task<HttpResponseMessage> SendAsync(Func<Task<HttpResponseMessage>> send, string path)
    {
        try
        {
            return await send();
        }
        catch (HttpRequestException e)
        {
            throw new CliException(ExitCodes.Errors, $"LLMRace at {_http.BaseAddress} is unreachable ({path}): {e.Message}");
        }
    }

    private static async Task<JsonElement> ReadAsync(HttpResponseMessage response, string path, CancellationToken ct)
    {
        var text = await response.Content.ReadAsStringAsync(ct);
        if (response.IsSuccessStatusCode) return JsonDocument.Parse(text).RootElement.Clone();
        var detail = Problem(text) ?? (text.Length > 400 ? text[..400] + "…" : text);
        var code = response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound or HttpStatusCode.Conflict
            ? ExitCodes.BadInput : ExitCodes.Errors;
        if (response.StatusCode is HttpStatusCode.Unauthorized)
            detail = "the server wants an access token: pass --token (or LLMRACE_TOKEN)";
        throw new CliException(code, $"{path}: {(int)response.StatusCode} {response.ReasonPhrase}: {detail}");
    }

    /// <summary>An RFC 9457 problem's detail and each field's errors, in one line; null when the body is not one.</summary>
    private static string? Problem(string text)
    {
        try
        {
            var problem = JsonDocument.Parse(text).RootElement;
            if (problem.ValueKind != JsonValueKind.Object) return null;
            var parts = new List<string>();
            if (problem.TryGetProperty("detail", out var detail) && detail.GetString() is { Length: > 0 } d) parts.Add(d);
            else if (problem.TryGetProperty("title", out var title) && title.GetString() is { Length: > 0 } t) parts.Add(t);
            // LLMRace's own detail already lists each field's errors: a field's line is added only when it is not said there.
            var said = parts.Count > 0 ? parts[0] : "";
            if (problem.TryGetProperty("errors", out var errors) && errors.ValueKind == JsonValueKind.Object)
                parts.AddRange(errors.EnumerateObject().Select(e =>
                    $"{e.Name}: {string.Join(" ", e.Value.EnumerateArray().Select(m => m.GetString()))}")
                    .Where(line => !said.Contains(line, StringComparison.Ordinal)).ToList());
            return parts.Count == 0 ? null : string.Join("; ", parts);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public void Dispose() => _http.Dispose();
}
