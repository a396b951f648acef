namespace LLMRace.Api.Infrastructure;

/// <summary>
/// Refuses what another web site in the user's browser could send: a request under a host name this Api does not
/// answer to (DNS rebinding), and a write (POST, PUT, PATCH, DELETE) from a page of another origin, which a form
/// can send without CORS ever asking. Health probes are left alone.
/// </summary>
public static class BrowserGuard
{
    public static IApplicationBuilder UseBrowserGuard(this IApplicationBuilder app)
    {
        var trusted = app.ApplicationServices.GetRequiredService<TrustedBrowsers>();
        return app.Use(async (http, next) =>
        {
            var request = http.Request;
            if (!trusted.IsAllowedHost(request.Host))
            {
                await RefuseAsync(http, 400, "This host name is not allowed",
                    $"LLMRace without an access token answers only to localhost, 127.0.0.1 and [::1]: '{request.Host}' is not one " +
                    "(add it to LLMRACE_ALLOWED_HOSTS, or set LLMRACE_ACCESS_TOKEN)");
                return;
            }
            var origin = request.Headers.Origin.ToString();
            if (origin.Length > 0
                && !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method))
                && !trusted.IsAllowedOrigin(origin) && !TrustedBrowsers.IsSameHost(origin, request.Host))
            {
                await RefuseAsync(http, 403, "A page of another site cannot change LLMRace",
                    $"a {request.Method} from a page at '{origin}' was refused: only LLMRace's own pages, localhost ones and those in " +
                        $"LLMRACE_CORS_ORIGINS may write");
                return;
            }
            await next();
        });
    }

    private static async Task RefuseAsync(HttpContext http, int status, string title, string detail)
    {
        http.Response.StatusCode = status;
        await http.RequestServices.GetRequiredService<IProblemDetailsService>().WriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = { Status = status, Title = title, Detail = detail },
        });
    }
}
