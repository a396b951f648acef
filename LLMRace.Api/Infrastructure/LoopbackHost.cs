using System.Net;

namespace LLMRace.Api.Infrastructure;

/// <summary>Whether a host name (as in a URL, IPv6 with or without brackets) means this machine only.</summary>
public static class LoopbackHost
{
    public static bool Is(string host) =>
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host.Trim('[', ']'), out var ip) && IPAddress.IsLoopback(ip));
}
