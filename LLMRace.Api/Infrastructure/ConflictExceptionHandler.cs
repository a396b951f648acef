using Microsoft.AspNetCore.Diagnostics;
using LLMRace.Grains.Storage;

namespace LLMRace.Api.Infrastructure;

/// <summary>
/// Two writes that cross (a car saved onto a connection being deleted, a connection deleted as a car is added) meet
/// a foreign key in the store: that is a 409 the caller can act on, never a 500.
/// </summary>
public sealed class ConflictExceptionHandler(IProblemDetailsService problems, Database db) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext http, Exception exception, CancellationToken ct)
    {
        if (!db.IsForeignKeyViolation(exception)) return false;
        http.Response.StatusCode = StatusCodes.Status409Conflict;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = http,
            ProblemDetails =
            {
                Status = 409,
                Title = "Conflict",
                Detail = "another change to the same connection or car happened at the same moment (one was deleted as the other " +
                    "referred to it); nothing was saved: reload and try again",
            },
        });
    }
}
