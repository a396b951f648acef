using LLMRace.Grains.Storage;

namespace LLMRace.Grains.Security;

/// <summary>Connections saved before base URL credentials were sealed: their user:password is moved out of the URL at start-up.</summary>
public static class LegacyCredentials
{
    public static async Task<int> SealAsync(GarageStore garage, SecretProtector secrets)
    {
        var moved = 0;
        foreach (var row in await garage.ListConnectionsAsync())
        {
            var (url, credentials) = BaseUrlCredentials.Split(row.BaseUrl);
            if (credentials is null) continue;
            row.BaseUrl = url;
            row.BaseUrlCredentialsCipher = secrets.Protect(credentials);
            await garage.UpdateConnectionAsync(row);
            moved++;
        }
        return moved;
    }
}
