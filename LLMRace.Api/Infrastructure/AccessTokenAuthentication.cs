using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace LLMRace.Api.Infrastructure;

/// <summary>
/// LLMRACE_ACCESS_TOKEN as an ASP.NET Core authentication scheme: the endpoints that need it say so with
/// RequireAuthorization (Program.cs puts every /api route, the hub and the OpenAPI documents in one such group).
/// The token comes as a bearer token; only where a browser cannot send a header (an SSE stream, a download link,
/// the SignalR hub) may it come as the access_token query parameter, which <see cref="QueryToken"/> has already
/// taken off the request, so nothing logs or traces it. Without a token set, every caller is let in.
/// </summary>
public sealed class AccessTokenHandler(IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    RaceSettings settings)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "LLMRaceAccessToken";

    private readonly byte[]? _expected = string.IsNullOrEmpty(settings.AccessToken)
        ? null : SHA256.HashData(Encoding.UTF8.GetBytes(settings.AccessToken));

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (_expected is null) return Task.FromResult(Success("anonymous"));
        var presented = Presented();
        if (presented is null) return Task.FromResult(AuthenticateResult.NoResult());
        // Hashing both sides makes the comparison constant-time whatever the lengths.
        return Task.FromResult(CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), _expected)
            ? Success("token")
            : AuthenticateResult.Fail("the access token is not the right one"));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer realm=\"llmrace\"";
        await Context.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails =
            {
                Status = 401,
                Title = "An access token is required",
                Detail = Presented() is null
                    ? "send LLMRACE_ACCESS_TOKEN as 'Authorization: Bearer <token>' (or ?access_token=<token> for streams, downloads and " +
                        "the hub)"
                    : "the access token is not the right one",
            },
        });
    }

    private string? Presented()
    {
        var header = Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return header[7..].Trim();
        return QueryToken.Of(Context) is { Length: > 0 } fromQuery && MayCarryQueryToken(Request) ? fromQuery : null;
    }

    /// <summary>Where a browser cannot set a header: EventSource (SSE), a download link, SignalR's WebSocket and SSE transports.</summary>
    private static bool MayCarryQueryToken(HttpRequest request)
    {
        if (request.Path.StartsWithSegments("/hubs")) return true;
        if (!HttpMethods.IsGet(request.Method) || !request.Path.StartsWithSegments("/api")) return false;
        var path = request.Path.Value!.TrimEnd('/');
        return path.EndsWith("/stream", StringComparison.Ordinal) || path.EndsWith("/export", StringComparison.Ordinal);
    }

    private AuthenticateResult Success(string how) =>
        AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(new ClaimsIdentity([new Claim("llmrace.access", how)],
            SchemeName)), SchemeName));
}

/// <summary>
/// Takes access_token off every request's query string before anything after it can log or trace it, keeping it for
/// <see cref="AccessTokenHandler"/>. The request line itself is the one log written before this (kept at Warning).
/// </summary>
public static class QueryToken
{
    public const string Parameter = "access_token";
    private static readonly object Key = new();

    public static IApplicationBuilder UseQueryTokenRemoval(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (http.Request.Query.TryGetValue(Parameter, out var values))
        {
            http.Items[Key] = values.ToString();
            http.Request.QueryString = QueryString.Create(
                http.Request.Query.Where(q => !string.Equals(q.Key, Parameter, StringComparison.OrdinalIgnoreCase)));
        }
        await next();
    });

    public static string? Of(HttpContext http) => http.Items.TryGetValue(Key, out var token) ? token as string : null;
}
