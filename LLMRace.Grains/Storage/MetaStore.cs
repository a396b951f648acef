using Dapper;

namespace LLMRace.Grains.Storage;

/// <summary>Small facts about this database, such as whether the examples were seeded.</summary>
public sealed class MetaStore(Database db)
{
    public async Task<string?> GetAsync(string key)
    {
        await using var c = await db.OpenAsync();
        return await c.ExecuteScalarAsync<string?>("SELECT value FROM app_meta WHERE key = @key;", new { key });
    }

    /// <summary>
    /// Sets <paramref name="key"/> only if it has no value yet; true for the one caller that set it. Several silos starting
    /// on one database at once use it to agree which of them does a first-start job.
    /// </summary>
    public async Task<bool> TryClaimAsync(string key, string value)
    {
        await using var c = await db.OpenAsync();
        return await c.ExecuteAsync("INSERT INTO app_meta (key, value) VALUES (@key, @value) ON CONFLICT(key) DO NOTHING;",
            new { key, value }) == 1;
    }

    public async Task DeleteAsync(string key)
    {
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync("DELETE FROM app_meta WHERE key = @key;", new { key });
    }

    public async Task SetAsync(string key, string value)
    {
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync("INSERT INTO app_meta (key, value) VALUES (@key, @value) ON CONFLICT(key) DO UPDATE SET value = " +
            "excluded.value;", new { key, value });
    }
}
