using LLMRace.Grains.Validation;

namespace LLMRace.Api.Infrastructure;

/// <summary>
/// Every JSON body written to the Api is checked for text that is not Unicode (a lone surrogate escape) before any
/// endpoint reads it, so each write endpoint refuses it the same way: a 400 naming the JSON path, nothing changed.
/// </summary>
public static class UnicodeBodyGuard
{
    public static IApplicationBuilder UseUnicodeBodyGuard(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var request = http.Request;
        if (HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method)
            || !request.Path.StartsWithSegments("/api") || request.ContentLength == 0)
        {
            await next();
            return;
        }
        // Bodies are bounded by Kestrel's MaxRequestBodySize: a larger one fails this read (a 413) as it would the endpoint's.
        request.EnableBuffering();
        using var copy = new MemoryStream();
        await request.Body.CopyToAsync(copy, http.RequestAborted);
        request.Body.Position = 0;
        if (JsonUnicode.FirstInvalidString(copy.GetBuffer().AsSpan(0, (int)copy.Length)) is { } path)
        {
            await Problems.Invalid(path, JsonUnicode.Problem).ExecuteAsync(http);
            return;
        }
        await next();
    });
}
