using LLMRace.Grains.Security;
using LLMRace.Grains.Storage;

namespace LLMRace.Grains.Engine;

public static class AuthSources
{
    public const string EncryptedDb = "encrypted_db";
    public const string EnvVar = "env_var";
    public const string None = "none";
}

/// <summary>
/// Finds a connection's API key at call time: the encrypted one, else the named environment variable (only one on
/// the allow-list). A key that could not go into a header as it is (a line break in it) is refused, never sent.
/// </summary>
public static class ApiKeyResolver
{
    public static (string Source, string? Key) Resolve(ConnectionRow connection, SecretProtector secrets, ApiKeyEnvVars envVars)
    {
        if (connection.ApiKeyCipher is { Length: > 0 } cipher) return (AuthSources.EncryptedDb, Usable(secrets.Unprotect(cipher)));
        if (!string.IsNullOrWhiteSpace(connection.ApiKeyEnvVar))
        {
            var name = connection.ApiKeyEnvVar.Trim();
            if (!envVars.IsAllowed(name)) return (AuthSources.EnvVar, null);
            return (AuthSources.EnvVar, Environment.GetEnvironmentVariable(name) is { Length: > 0 } v ? Usable(v.Trim()) : null);
        }
        return (AuthSources.None, null);
    }

    /// <summary>The user:password kept from the connection's base URL, if any.</summary>
    public static string? Credentials(ConnectionRow connection, SecretProtector secrets) =>
        connection.BaseUrlCredentialsCipher is { Length: > 0 } cipher ? Usable(secrets.Unprotect(cipher)) : null;

    public static bool HasControlCharacters(string key) => key.Any(char.IsControl);

    private static string Usable(string key) => HasControlCharacters(key)
        ? throw new SecretUnreadableException("the API key holds a control character (a line break?) and cannot be sent: re-save the key " +
            "on this connection")
        : key;
}
