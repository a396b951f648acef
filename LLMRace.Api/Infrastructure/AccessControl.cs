using System.Security.Cryptography;
using System.Text;

namespace LLMRace.Api.Infrastructure;

/// <summary>
/// When LLMRACE_ACCESS_TOKEN is set, every /api, /hubs and /openapi request must carry it as a bearer token. Only
/// where a browser cannot send a header (an SSE stream, a download link, the SignalR hub) may it come as the
/// access_token query parameter, which is then taken off the request so nothing after this logs or traces it.
/// /health, /alive and the UI's static files stay open, so the UI can load and ask for the token.
/// </summary>
public static class AccessControl
{
    private static readonly string[] Protected = ["/api", "/hubs", "/openapi"];

    public const string QueryParameter = "access_token";

    public static IApplicationBuilder UseAccessToken(this IApplicationBuilder app, string? token)
    {
        var expected = string.IsNullOrEmpty(token) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(token));
        return app.Use(async (http, next) =>
        {
            var fromQuery = TakeQueryToken(http.Request);
            if (expected is null)
            {
                await next();
                return;
            }
            var path = http.Request.Path;
            if (HttpMethods.IsOptions(http.Request.Method) || !Protected.Any(p => path.StartsWithSegments(p)))
            {
                await next();
                return;
            }
            var presented = Presented(http.Request, fromQuery);
            // Hashing both sides makes the comparison constant-time whatever the lengths.
            if (presented is not null && CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), expected))
            {
                await next();
                return;
            }
            http.Response.StatusCode = StatusCodes.Status401Unauthorized;
            http.Response.Headers.WWWAuthenticate = "Bearer realm=\"llmrace\"";
            await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
            {
                HttpContext = http,
                ProblemDetails =
                {
                    Status = 401,
                    Title = "An access token is required",
                    Detail = presented is null
                        ? "send LLMRACE_ACCESS_TOKEN as 'Authorization: Bearer <token>' (or ?access_token=<token> for streams, downloads and the hub)"
                        : "the access token is not the right one",
                },
            });
        });
    }

    private static string? Presented(HttpRequest request, string? fromQuery)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return header[7..].Trim();
        return fromQuery is { Length: > 0 } && MayCarryQueryToken(request) ? fromQuery : null;
    }

    /// <summary>Where a browser cannot set a header: EventSource (SSE), a download link, SignalR's WebSocket and SSE transports.</summary>
    private static bool MayCarryQueryToken(HttpRequest request)
    {
        if (request.Path.StartsWithSegments("/hubs")) return true;
        if (!HttpMethods.IsGet(request.Method) || !request.Path.StartsWithSegments("/api")) return false;
        var path = request.Path.Value!.TrimEnd('/');
        return path.EndsWith("/stream", StringComparison.Ordinal) || path.EndsWith("/export", StringComparison.Ordinal);
    }

    /// <summary>Removes access_token from the query string (wherever it is sent) and returns it.</summary>
    private static string? TakeQueryToken(HttpRequest request)
    {
        if (!request.Query.TryGetValue(QueryParameter, out var values)) return null;
        var rest = request.Query.Where(q => !string.Equals(q.Key, QueryParameter, StringComparison.OrdinalIgnoreCase));
        request.QueryString = QueryString.Create(rest);
        return values.ToString();
    }
}
