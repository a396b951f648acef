using Dapper;

namespace LLMRace.Grains.Storage;

/// <summary>Runs and their items.</summary>
public sealed class RunStore(SqliteDatabase db)
{
    public async Task CreateAsync(RunRow run, IReadOnlyList<RunItemRow> items)
    {
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        await c.ExecuteAsync("""
            INSERT INTO runs (id, suite_id, suite_name, status, settings_json, snapshot_json, car_ids, items_total,
              items_done, error, is_baseline, created_at, started_at, finished_at)
            VALUES (@Id, @SuiteId, @SuiteName, @Status, @SettingsJson, @SnapshotJson, @CarIds, @ItemsTotal,
              @ItemsDone, @Error, @IsBaseline, @CreatedAt, @StartedAt, @FinishedAt);
            """, run, tx);
        await c.ExecuteAsync("""
            INSERT INTO run_items (id, run_id, ordinal, test_id, test_name, car_id, car_name, repeat_index, status, retries)
            VALUES (@Id, @RunId, @Ordinal, @TestId, @TestName, @CarId, @CarName, @RepeatIndex, @Status, @Retries);
            """, items, tx);
        await tx.CommitAsync();
    }

    public async Task<RunRow?> GetAsync(string id)
    {
        await using var c = await db.OpenAsync();
        return await c.QuerySingleOrDefaultAsync<RunRow>("SELECT * FROM runs WHERE id = @id;", new { id });
    }

    public async Task<IReadOnlyList<RunRow>> ListAsync(int limit, int offset)
    {
        await using var c = await db.OpenAsync();
        return [.. await c.QueryAsync<RunRow>(
            "SELECT * FROM runs ORDER BY created_at DESC, id DESC LIMIT @limit OFFSET @offset;", new { limit, offset })];
    }

    public async Task<IReadOnlyList<RunItemRow>> GetItemsAsync(string runId)
    {
        await using var c = await db.OpenAsync();
        return [.. await c.QueryAsync<RunItemRow>("SELECT * FROM run_items WHERE run_id = @runId ORDER BY ordinal;", new { runId })];
    }

    public async Task MarkStartedAsync(string runId, string startedAt)
    {
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync("UPDATE runs SET status = 'running', started_at = @startedAt WHERE id = @runId;", new { runId, startedAt });
    }

    public async Task MarkFinishedAsync(string runId, string status, string? error, string finishedAt)
    {
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        // Items that never ran end with the run; none is left pending or running.
        await c.ExecuteAsync(
            "UPDATE run_items SET status = 'cancelled', finished_at = @finishedAt WHERE run_id = @runId AND status IN ('pending', 'running');",
            new { runId, finishedAt }, tx);
        await c.ExecuteAsync(
            "UPDATE runs SET status = @status, error = @error, finished_at = @finishedAt WHERE id = @runId;",
            new { runId, status, error, finishedAt }, tx);
        await tx.CommitAsync();
    }

    public async Task MarkItemStartedAsync(string itemId, string startedAt)
    {
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync("UPDATE run_items SET status = 'running', started_at = @startedAt WHERE id = @itemId;", new { itemId, startedAt });
    }

    /// <summary>Stores an item's outcome and counts it done on its run, in one transaction.</summary>
    public async Task CompleteItemAsync(RunItemRow item)
    {
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        await c.ExecuteAsync("""
            UPDATE run_items SET status = @Status, output = @Output, reasoning = @Reasoning, tool_calls_json = @ToolCallsJson,
              error = @Error, metrics_json = @MetricsJson, checks_json = @ChecksJson, server_timings_json = @ServerTimingsJson,
              retries = @Retries, finished_at = @FinishedAt
            WHERE id = @Id;
            """, item, tx);
        await c.ExecuteAsync("UPDATE runs SET items_done = items_done + 1 WHERE id = @RunId;", item, tx);
        await tx.CommitAsync();
    }

    /// <summary>Runs left queued or running by a previous process: it stopped while they were in progress.</summary>
    public async Task<IReadOnlyList<RunRow>> ListUnfinishedAsync()
    {
        await using var c = await db.OpenAsync();
        return [.. await c.QueryAsync<RunRow>("SELECT * FROM runs WHERE status IN ('queued', 'running');")];
    }
}
