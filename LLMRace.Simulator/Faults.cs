namespace LLMRace.Simulator;

/// <summary>Faults that answer before any streaming: a status code, a missing key, a rejected Host header.</summary>
public static class Faults
{
    public static async Task<bool> RejectAsync(HttpContext http, SimFault? fault, Func<HttpContext, int, string, string, Task> error)
    {
        switch (fault?.Kind)
        {
            case "status":
                if (fault.Argument == 429) http.Response.Headers.RetryAfter = "1";
                await error(http, fault.Argument, $"simulated HTTP {fault.Argument}",
                    fault.Argument == 429 ? "rate_limit_exceeded" : "server_error");
                return true;
            case "require_key" when !HasKey(http):
                await error(http, 401, "Missing or invalid API key", "invalid_api_key");
                return true;
            case "bad_host":
                // What Jan answers when the Host header is not among its Trusted Hosts.
                http.Response.StatusCode = 403;
                await http.Response.WriteAsync("Invalid host header");
                return true;
            default:
                return false;
        }
    }

    private static bool HasKey(HttpContext http) =>
        http.Request.Headers.Authorization.ToString() is { Length: > 7 } auth && auth.StartsWith("Bearer ", StringComparison.Ordinal)
        || http.Request.Headers["x-api-key"].ToString().Length > 0;
}
