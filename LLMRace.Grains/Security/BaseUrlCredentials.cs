namespace LLMRace.Grains.Security;

/// <summary>
/// A base URL may be typed with credentials in it (http://user:pw@host). They are a secret like a key: kept apart
/// from the URL (encrypted), never shown, and sent only to that URL's origin as HTTP Basic authentication.
/// </summary>
public static class BaseUrlCredentials
{
    /// <summary>The URL without its user information, and that information (null when there is none).</summary>
    public static (string Url, string? Credentials) Split(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.UserInfo.Length == 0) return (url, null);
        var clean = new UriBuilder(uri) { UserName = "", Password = "" }.Uri.ToString();
        // UriBuilder adds a trailing '/' to a bare origin; keep the URL as it was typed otherwise.
        if (!url.TrimEnd().EndsWith('/') && uri.AbsolutePath == "/") clean = clean.TrimEnd('/');
        return (clean, Uri.UnescapeDataString(uri.UserInfo));
    }

    /// <summary>Scheme, host and port: a key saved for one origin never goes to another.</summary>
    public static string? Origin(string url) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) ? $"{uri.Scheme}://{uri.Host.ToLowerInvariant()}:{uri.Port}" : null;

    /// <summary>The value of an Authorization header for user:password.</summary>
    public static string Basic(string credentials) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(credentials));
}
