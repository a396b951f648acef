using LLMRace.Grains.Security;
using LLMRace.Grains.Storage;

namespace LLMRace.Grains.Engine;

public static class AuthSources
{
    public const string EncryptedDb = "encrypted_db";
    public const string EnvVar = "env_var";
    public const string None = "none";
}

/// <summary>Finds a connection's API key at call time: the encrypted one, else the named environment variable.</summary>
public static class ApiKeyResolver
{
    public static (string Source, string? Key) Resolve(ConnectionRow connection, SecretProtector secrets)
    {
        if (connection.ApiKeyCipher is { Length: > 0 } cipher) return (AuthSources.EncryptedDb, secrets.Unprotect(cipher));
        if (!string.IsNullOrWhiteSpace(connection.ApiKeyEnvVar))
            return (AuthSources.EnvVar, Environment.GetEnvironmentVariable(connection.ApiKeyEnvVar.Trim()) is { Length: > 0 } v ? v : null);
        return (AuthSources.None, null);
    }
}
