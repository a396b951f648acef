
namespace LLMRace.Api.Infrastructure;

/// <summary>
/// Which web pages may talk to this Api (CORS, and the Origin of a write) and under which host names it answers.
/// Pages on localhost, 127.0.0.1 or [::1] (any port) and those listed in LLMRACE_CORS_ORIGINS; host names are
/// the loopback ones and those listed in LLMRACE_ALLOWED_HOSTS, or any at all once an access token is required.
/// </summary>
public sealed class TrustedBrowsers
{
    private static readonly string[] LoopbackHosts = ["localhost", "127.0.0.1", "[::1]"];
    private readonly HashSet<string> _origins;
    private readonly HashSet<string> _hosts;

    public TrustedBrowsers(RaceSettings settings)
    {
        _origins = RaceSettings.List(settings.CorsOrigins).Select(o => o.TrimEnd('/')).ToHashSet(StringComparer.OrdinalIgnoreCase);
        _hosts = new HashSet<string>([.. LoopbackHosts, .. RaceSettings.List(settings.AllowedHosts)], StringComparer.OrdinalIgnoreCase);
        AnyHost = !settings.MustStayLocal;
    }

    /// <summary>
    /// With an access token a request is trusted by its token, whatever name it came by (a deployment's own); with
    /// LLMRACE_ALLOW_ANONYMOUS the operator has opened the Api to the network knowingly, by any of its names.
    /// </summary>
    public bool AnyHost { get; }

    public bool IsAllowedOrigin(string origin) =>
        _origins.Contains(origin.TrimEnd('/'))
        || (Uri.TryCreate(origin, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https" && LoopbackHost.Is(uri.Host));

    /// <summary>
    /// A request's Host, checked against DNS rebinding: a page of another site whose name was made to resolve to
    /// 127.0.0.1 sends its own name here, never "localhost".
    /// </summary>
    public bool IsAllowedHost(HostString host) => AnyHost || (host.HasValue && _hosts.Contains(HostName(host)));

    /// <summary>The Origin of a page on this very host (the UI served by the Api itself) is its own.</summary>
    public static bool IsSameHost(string origin, HostString host) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri) && host.HasValue
        && string.Equals(uri.Authority, host.Value, StringComparison.OrdinalIgnoreCase);

    private static string HostName(HostString host) => host.Host.StartsWith('[') || !host.Host.Contains(':') ? host.Host : $"[{host.Host}]";


}
