using Dapper;

namespace LLMRace.Grains.Storage;

/// <summary>Connections and cars: what a user races.</summary>
public sealed class GarageStore(Database db)
{
    public async Task<IReadOnlyList<ConnectionRow>> ListConnectionsAsync()
    {
        await using var c = await db.OpenAsync();
        return [.. await c.QueryAsync<ConnectionRow>("SELECT * FROM connections ORDER BY created_at, id;")];
    }

    public async Task<ConnectionRow?> GetConnectionAsync(string id)
    {
        await using var c = await db.OpenAsync();
        return await c.QuerySingleOrDefaultAsync<ConnectionRow>("SELECT * FROM connections WHERE id = @id;", new { id });
    }

    public async Task InsertConnectionAsync(ConnectionRow row)
    {
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync("""
            INSERT INTO connections (id, name, type, base_url, base_url_credentials_cipher, api_key_cipher, api_key_hint, api_key_env_var,
              timeout_s, headers_timeout_s, total_timeout_s, max_retries, max_concurrency, managed, created_at, updated_at)
            VALUES (@Id, @Name, @Type, @BaseUrl, @BaseUrlCredentialsCipher, @ApiKeyCipher, @ApiKeyHint, @ApiKeyEnvVar,
              @TimeoutS, @HeadersTimeoutS, @TotalTimeoutS, @MaxRetries, @MaxConcurrency, @Managed, @CreatedAt, @UpdatedAt);
            """, row);
    }

    public async Task<bool> UpdateConnectionAsync(ConnectionRow row)
    {
        await using var c = await db.OpenAsync();
        return await c.ExecuteAsync("""
            UPDATE connections SET name = @Name, type = @Type, base_url = @BaseUrl,
              base_url_credentials_cipher = @BaseUrlCredentialsCipher, api_key_cipher = @ApiKeyCipher,
              api_key_hint = @ApiKeyHint, api_key_env_var = @ApiKeyEnvVar, timeout_s = @TimeoutS,
              headers_timeout_s = @HeadersTimeoutS, total_timeout_s = @TotalTimeoutS,
              max_retries = @MaxRetries, max_concurrency = @MaxConcurrency, managed = @Managed, updated_at = @UpdatedAt
            WHERE id = @Id;
            """, row) == 1;
    }

    public async Task<int> CountCarsOfConnectionAsync(string connectionId)
    {
        await using var c = await db.OpenAsync();
        return await c.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM cars WHERE connection_id = @connectionId;", new { connectionId });
    }

    public async Task<bool> DeleteConnectionAsync(string id)
    {
        await using var c = await db.OpenAsync();
        return await c.ExecuteAsync("DELETE FROM connections WHERE id = @id;", new { id }) == 1;
    }

    public async Task<IReadOnlyList<CarRow>> ListCarsAsync()
    {
        await using var c = await db.OpenAsync();
        return [.. await c.QueryAsync<CarRow>("SELECT * FROM cars ORDER BY created_at, id;")];
    }

    public async Task<CarRow?> GetCarAsync(string id)
    {
        await using var c = await db.OpenAsync();
        return await c.QuerySingleOrDefaultAsync<CarRow>("SELECT * FROM cars WHERE id = @id;", new { id });
    }

    public async Task InsertCarAsync(CarRow row)
    {
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync("""
            INSERT INTO cars (id, name, connection_id, model, params_json, created_at, updated_at)
            VALUES (@Id, @Name, @ConnectionId, @Model, @ParamsJson, @CreatedAt, @UpdatedAt);
            """, row);
    }

    public async Task<bool> UpdateCarAsync(CarRow row)
    {
        await using var c = await db.OpenAsync();
        return await c.ExecuteAsync("""
            UPDATE cars SET name = @Name, connection_id = @ConnectionId, model = @Model, params_json = @ParamsJson,
              updated_at = @UpdatedAt WHERE id = @Id;
            """, row) == 1;
    }

    public async Task<bool> DeleteCarAsync(string id)
    {
        await using var c = await db.OpenAsync();
        return await c.ExecuteAsync("DELETE FROM cars WHERE id = @id;", new { id }) == 1;
    }
}
