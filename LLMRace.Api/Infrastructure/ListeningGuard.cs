using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace LLMRace.Api.Infrastructure;

/// <summary>
/// LLMRace holds provider keys, so it listens beyond this machine only with an access token (or when told to,
/// with LLMRACE_ALLOW_ANONYMOUS=true). Checked twice: on the configuration before anything binds, and on the
/// addresses the server really bound once it has started, whichever way they were configured.
/// </summary>
public static class ListeningGuard
{
    /// <summary>
    /// The configured addresses reachable from other machines: ASPNETCORE_URLS / --urls, ASPNETCORE_HTTP(S)_PORTS
    /// (which bind every interface) and Kestrel:Endpoints:*:Url.
    /// </summary>
    public static IReadOnlyList<string> NonLoopbackConfigured(IConfiguration configuration)
    {
        var urls = (configuration["urls"] ?? "").Split(';',
            StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
        urls.AddRange(configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(e => e["Url"]).OfType<string>());
        var exposed = urls.Where(url => !IsLoopbackUrl(url)).ToList();
        if (string.IsNullOrEmpty(configuration["urls"]))
            foreach (var key in new[] { "http_ports", "https_ports" })
                if (configuration[key] is { Length: > 0 } ports) exposed.Add($"{key.ToUpperInvariant()}={ports} (all interfaces)");
        return exposed;
    }

    /// <summary>The addresses the started server listens on that are not loopback.</summary>
    public static IReadOnlyList<string> NonLoopbackBound(IServer server) =>
        [.. (server.Features.Get<IServerAddressesFeature>()?.Addresses ?? []).Where(url => !IsLoopbackUrl(url))];

    private static bool IsLoopbackUrl(string url)
    {
        var host = url.Split("://").Last().Split('/')[0];
        host = host.StartsWith('[') ? host[..(host.IndexOf(']') + 1)] : host.Split(':')[0];
        return LoopbackHost.Is(host);
    }
}
