using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace LLMRace.Api.Infrastructure;

/// <summary>
/// Turns a body that cannot be read (not JSON, a wrong type at some path, too large) into a 400 problem
/// naming the JSON path, instead of an empty 400 or a 500.
/// </summary>
public sealed class BadRequestExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        if (exception is not BadHttpRequestException bad) return false;
        var json = exception.InnerException as JsonException ?? exception.InnerException?.InnerException as JsonException;
        var detail = json switch
        {
            null => bad.Message,
            { Path: { Length: > 1 } path } when json.Message.Contains("could not be converted", StringComparison.Ordinal) =>
                $"{path} has the wrong type for this field",
            _ => $"the body is not valid JSON at {json.Path ?? "$"}: {json.Message.Split(" Path:")[0].Split(" LineNumber:")[0]}",
        };
        http.Response.StatusCode = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails = new ProblemDetails
            {
                Status = bad.StatusCode,
                Title = bad.StatusCode == 413 ? "The request body is too large" : "The request body cannot be read",
                Detail = detail,
            },
        });
    }
}
