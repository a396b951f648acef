using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace LLMRace.Tests.Integration;

/// <summary>What a model server was sent: the request line and every header.</summary>
public sealed record ReceivedRequest(string Method, string PathAndQuery, IReadOnlyDictionary<string, string> Headers);

/// <summary>
/// A model server on a free loopback port that answers as a test scripts it (a redirect, an endless body, a model
/// list) and keeps every request it receives, headers and all: the place a leaked key would show up.
/// </summary>
public sealed class HostileServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<ReceivedRequest> _received = new();

    private HostileServer(WebApplication app) => _app = app;

    public Uri Address { get; private set; } = null!;

    public IReadOnlyList<ReceivedRequest> Received => [.. _received];

    /// <summary>Starts a server whose every request is answered by <paramref name="answer"/>.</summary>
    public static async Task<HostileServer> StartAsync(Func<HttpContext, Task> answer)
    {
        HostileServer? server = null;
        var (app, address) = await LoopbackServer.StartAsync(app => app.Run(async http =>
        {
            server!._received.Enqueue(new ReceivedRequest(http.Request.Method, http.Request.Path + http.Request.QueryString,
                http.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase)));
            await answer(http);
        }));
        server = new HostileServer(app) { Address = address };
        return server;
    }

    /// <summary>An OpenAI-style model list, for Test and discovery.</summary>
    public static Task ModelList(HttpContext http) => http.Response.WriteAsJsonAsync(new { data = new[] { new { id = "hostile-model" } } });

    /// <summary>Writes <paramref name="chunk"/> over and over until the client goes away: a body with no end.</summary>
    public static async Task Endless(HttpContext http, int status, string contentType, string? first, string chunk)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = contentType;
        var bytes = System.Text.Encoding.UTF8.GetBytes(chunk);
        try
        {
            if (first is not null) await http.Response.WriteAsync(first, http.RequestAborted);
            while (!http.RequestAborted.IsCancellationRequested) await http.Response.Body.WriteAsync(bytes, http.RequestAborted);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or InvalidOperationException)
        {
            // The client stopped reading: what this server is for.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
