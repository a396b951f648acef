using Dapper;

namespace LLMRace.Grains.Storage;

public sealed class SuiteStore(Database db)
{
    /// <summary>Every suite without its source document (megabytes for a big suite), with its number of tests.</summary>
    public async Task<IReadOnlyList<(SuiteRow Suite, int TestCount)>> ListAsync()
    {
        await using var c = await db.OpenAsync();
        var rows = await c.QueryAsync<SuiteRow, long, (SuiteRow, int)>("""
            SELECT s.id, s.name, s.category, s.description, s.created_at, s.updated_at,
              (SELECT COUNT(*) FROM tests t WHERE t.suite_id = s.id) AS test_count
            FROM suites s ORDER BY s.created_at, s.id;
            """, (s, n) => (s, (int)n), splitOn: "test_count");
        return [.. rows];
    }

    public async Task<SuiteRow?> GetAsync(string id)
    {
        await using var c = await db.OpenAsync();
        return await c.QuerySingleOrDefaultAsync<SuiteRow>("SELECT * FROM suites WHERE id = @id;", new { id });
    }

    public async Task<IReadOnlyList<TestRow>> GetTestsAsync(string suiteId)
    {
        await using var c = await db.OpenAsync();
        return [.. await c.QueryAsync<TestRow>("SELECT * FROM tests WHERE suite_id = @suiteId ORDER BY order_index, id;", new { suiteId })];
    }

    /// <summary>Inserts or replaces a suite and all its tests in one transaction.</summary>
    public async Task SaveAsync(SuiteRow suite, IReadOnlyList<TestRow> tests)
    {
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        await c.ExecuteAsync("""
            INSERT INTO suites (id, name, category, description, source_json, created_at, updated_at)
            VALUES (@Id, @Name, @Category, @Description, @SourceJson, @CreatedAt, @UpdatedAt)
            ON CONFLICT(id) DO UPDATE SET name = excluded.name, category = excluded.category,
              description = excluded.description, source_json = excluded.source_json, updated_at = excluded.updated_at;
            """, suite, tx);
        await c.ExecuteAsync("DELETE FROM tests WHERE suite_id = @Id;", suite, tx);
        await c.ExecuteAsync("""
            INSERT INTO tests (id, suite_id, order_index, name, system_prompt, user_prompt, expected_constraints, tools_schema_json,
                max_tool_turns)
            VALUES (@Id, @SuiteId, @OrderIndex, @Name, @SystemPrompt, @UserPrompt, @ExpectedConstraints, @ToolsSchemaJson, @MaxToolTurns);
            """, tests, tx);
        await tx.CommitAsync();
    }

    public async Task<bool> DeleteAsync(string id)
    {
        await using var c = await db.OpenAsync();
        return await c.ExecuteAsync("DELETE FROM suites WHERE id = @id;", new { id }) == 1;
    }
}
