namespace LLMRace.Simulator;

/// <summary>
/// Faults for a whole connection: a base URL of http://sim/fault/&lt;fault&gt; makes every endpoint under it
/// (model lists included) misbehave, e.g. /fault/require_key/v1/models answers 401 without a key.
/// </summary>
public static class PathFaults
{
    private const string Prefix = "/fault/";

    public static void UsePathFaults(this WebApplication app) => app.Use(async (http, next) =>
    {
        var path = http.Request.Path.Value ?? "";
        if (path.StartsWith(Prefix, StringComparison.Ordinal))
        {
            var rest = path[Prefix.Length..];
            var slash = rest.IndexOf('/');
            var spec = Uri.UnescapeDataString(slash < 0 ? rest : rest[..slash]);
            if (!SimFault.TryParse(spec, out var fault))
            {
                http.Response.StatusCode = 400;
                await http.Response.WriteAsync($"unknown fault '{spec}': use status:<code>, disconnect_after:<n>, malformed_after:<n>, " +
                    $"hang, require_key or bad_host");
                return;
            }
            http.Items[typeof(SimFault)] = fault;
            http.Request.Path = slash < 0 ? "/" : rest[slash..];
        }
        await next();
    });

    public static SimFault? Of(HttpContext http) => http.Items.TryGetValue(typeof(SimFault), out var f) ? f as SimFault : null;
}
