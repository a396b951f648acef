using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace LLMRace.Api.Infrastructure;

/// <summary>
/// When LLMRACE_ACCESS_TOKEN is set, every /api, /hubs and /openapi request must carry it: as a bearer token,
/// or (for streams, where a browser cannot set headers) as the access_token query parameter. /health,
/// /alive and the UI's static files stay open, so the UI can load and ask for the token.
/// </summary>
public static class AccessControl
{
    private static readonly string[] Protected = ["/api", "/hubs", "/openapi"];

    public static IApplicationBuilder UseAccessToken(this IApplicationBuilder app, string? token)
    {
        if (string.IsNullOrEmpty(token)) return app;
        var expected = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        return app.Use(async (http, next) =>
        {
            var path = http.Request.Path;
            if (HttpMethods.IsOptions(http.Request.Method) || !Protected.Any(p => path.StartsWithSegments(p)))
            {
                await next();
                return;
            }
            var presented = Presented(http.Request);
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
                        ? "send LLMRACE_ACCESS_TOKEN as 'Authorization: Bearer <token>' (or ?access_token=<token> for streams)"
                        : "the access token is not the right one",
                },
            });
        });
    }

    private static string? Presented(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return header[7..].Trim();
        return request.Query["access_token"].ToString() is { Length: > 0 } query ? query : null;
    }

    /// <summary>
    /// The addresses the Api will listen on that are reachable from other machines (anything but loopback),
    /// from ASPNETCORE_URLS / --urls and ASPNETCORE_HTTP(S)_PORTS (which bind every interface).
    /// </summary>
    public static IReadOnlyList<string> NonLoopbackBindings(IConfiguration configuration)
    {
        var exposed = new List<string>();
        foreach (var url in (configuration["urls"] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var host = url.Split("://").Last().Split('/')[0];
            host = host.StartsWith('[') ? host[..(host.IndexOf(']') + 1)] : host.Split(':')[0];
            if (!IsLoopback(host)) exposed.Add(url);
        }
        if (string.IsNullOrEmpty(configuration["urls"]))
            foreach (var key in new[] { "http_ports", "https_ports" })
                if (configuration[key] is { Length: > 0 } ports) exposed.Add($"{key.ToUpperInvariant()}={ports} (all interfaces)");
        return exposed;
    }

    private static bool IsLoopback(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
