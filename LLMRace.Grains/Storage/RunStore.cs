using System.Data.Common;
using Dapper;
using LLMRace.Grains.Contracts;

namespace LLMRace.Grains.Storage;

/// <summary>Runs and their items.</summary>
public sealed class RunStore(Database db)
{
    /// <summary>An item back to pending with nothing of its last attempt, for a resume and a takeover alike.</summary>
    private const string ResetItems = "UPDATE run_items SET status = @pending, output = NULL, reasoning = NULL, tool_calls_json = NULL, " +
        "error = NULL, metrics_json = NULL, checks_json = NULL, server_timings_json = NULL, started_at = NULL, finished_at = NULL";

    public async Task CreateAsync(RunRow run, IReadOnlyList<RunItemRow> items)
    {
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        await c.ExecuteAsync("""
            INSERT INTO runs (id, kind, suite_id, suite_name, status, settings_json, car_ids, items_total,
              items_done, error, is_baseline, created_at, started_at, finished_at)
            VALUES (@Id, @Kind, @SuiteId, @SuiteName, @Status, @SettingsJson, @CarIds, @ItemsTotal,
              @ItemsDone, @Error, @IsBaseline, @CreatedAt, @StartedAt, @FinishedAt);
            INSERT INTO run_snapshots (run_id, snapshot_json) VALUES (@Id, @SnapshotJson);
            """, run, tx);
        await c.ExecuteAsync("""
            INSERT INTO run_items (id, run_id, ordinal, test_id, test_name, car_id, car_name, repeat_index, status, retries)
            VALUES (@Id, @RunId, @Ordinal, @TestId, @TestName, @CarId, @CarName, @RepeatIndex, @Status, @Retries);
            """, items, tx);
        await c.ExecuteAsync("INSERT INTO run_cars (run_id, car_id) VALUES (@RunId, @CarId);",
            run.CarIds.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(car => new { RunId = run.Id, CarId = car }), tx);
        await tx.CommitAsync();
    }

    /// <summary>A run without its snapshot (<see cref="RunRow.SnapshotJson"/> is empty): what most callers need.</summary>
    public async Task<RunRow?> GetAsync(string id)
    {
        await using var c = await db.OpenAsync();
        return await c.QuerySingleOrDefaultAsync<RunRow>("SELECT * FROM runs WHERE id = @id;", new { id });
    }

    /// <summary>A run with its snapshot, for what races, judges, exports or shows its suite and cars as raced.</summary>
    public async Task<RunRow?> GetWithSnapshotAsync(string id)
    {
        await using var c = await db.OpenAsync();
        return await c.QuerySingleOrDefaultAsync<RunRow>("""
            SELECT r.*, s.snapshot_json FROM runs r JOIN run_snapshots s ON s.run_id = r.id WHERE r.id = @id;
            """, new { id });
    }

    /// <summary>A page of the history, newest first, and how many runs match in all.</summary>
    public async Task<(IReadOnlyList<RunRow> Runs, int Total)> ListAsync(RunFilter filter, int limit, int offset)
    {
        var where = new List<string>();
        if (filter.SuiteId is not null) where.Add("r.suite_id = @SuiteId");
        if (filter.Status is not null) where.Add("r.status = @Status");
        if (filter.Kind is not null) where.Add("r.kind = @Kind");
        if (filter.From is not null) where.Add("r.created_at >= @From");
        if (filter.To is not null) where.Add("r.created_at < @To");
        // EXISTS, not IN: the planner then walks runs newest first and stops at the page (0.1 ms at 10,000 runs of
        // the car), where IN collected and sorted every run of the car (34 ms).
        if (filter.CarId is not null) where.Add("EXISTS (SELECT 1 FROM run_cars rc WHERE rc.run_id = r.id AND rc.car_id = @CarId)");
        var clause = where.Count > 0 ? "WHERE " + string.Join(" AND ", where) : "";
        var args = new { filter.SuiteId, filter.Status, filter.From, filter.To, filter.CarId, filter.Kind, limit, offset };
        await using var c = await db.OpenAsync();
        var total = await c.ExecuteScalarAsync<int>($"SELECT COUNT(*) FROM runs r {clause};", args);
        var runs = await c.QueryAsync<RunRow>($"SELECT r.* FROM runs r {clause} ORDER BY r.created_at DESC, r.id DESC LIMIT @limit " +
            $"OFFSET @offset;", args);
        return ([.. runs], total);
    }

    /// <summary>
    /// What Run History shows of each run: its cars, passes, finished items and median TTFT, for a page of runs. A finished
    /// run's was kept when it finished (computing it reads every item: ~40 ms for 10,000); the others' are computed now.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, RunSummary>> SummariesAsync(IReadOnlyList<string> runIds)
    {
        if (runIds.Count == 0) return new Dictionary<string, RunSummary>();
        await using var c = await db.OpenAsync();
        var kept = (await c.QueryAsync<(string Id, string Json)>(
            $"SELECT id, summary_json FROM runs WHERE {db.InList("id", "@runIds")} AND summary_json IS NOT NULL;",
            new { runIds = runIds.ToArray() })).ToDictionary(r => r.Id, r => RaceJson.Deserialize<RunSummary>(r.Json)!);
        var computed = await ComputeSummariesAsync(c, null, [.. runIds.Where(id => !kept.ContainsKey(id))]);
        foreach (var (id, summary) in computed) kept[id] = summary;
        return kept;
    }

    private async Task<Dictionary<string, RunSummary>> ComputeSummariesAsync(DbConnection c, DbTransaction? tx,
        IReadOnlyList<string> runIds)
    {
        if (runIds.Count == 0) return [];
        var counts = await c.QueryAsync<(string RunId, string Cars, int Passed, int Finished)>($"""
            SELECT run_id, {db.JsonArrayOfDistinct("car_name")}, SUM(CASE WHEN status = '{ItemStatus.Passed}' THEN 1 ELSE 0 END),
              SUM(CASE WHEN status IN ('{ItemStatus.Passed}', '{ItemStatus.Failed}', '{ItemStatus.Error}') THEN 1 ELSE 0 END)
            FROM run_items WHERE {db.InList("run_id", "@runIds")} GROUP BY run_id;
            """, new { runIds = runIds.ToArray() }, tx);
        // The median of the measured items' TTFT (the mean of the middle two when their count is even), as Distribution has it.
        var medians = (await c.QueryAsync<(string RunId, double P50)>($"""
            WITH t AS (
              SELECT run_id, {db.JsonNumber("metrics_json", "ttft_ms")} AS v FROM run_items
              WHERE {db.InList("run_id", "@runIds")} AND status IN ('{ItemStatus.Passed}', '{ItemStatus.Failed}')
                AND {db.JsonNumber("metrics_json", "ttft_ms")} IS NOT NULL),
            r AS (SELECT run_id, v, ROW_NUMBER() OVER (PARTITION BY run_id ORDER BY v) AS rn, COUNT(*) OVER (PARTITION BY run_id) AS n
              FROM t)
            SELECT run_id, AVG(v) FROM r WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY run_id;
            """, new { runIds = runIds.ToArray() }, tx)).ToDictionary(m => m.RunId, m => m.P50);
        return counts.ToDictionary(r => r.RunId, r => new RunSummary(
            System.Text.Json.JsonSerializer.Deserialize<string[]>(r.Cars) ?? [], r.Passed, r.Finished,
            medians.TryGetValue(r.RunId, out var p50) ? Math.Round(p50, 1) : null));
    }

    public async Task<RunItemRow?> GetItemAsync(string runId, string itemId)
    {
        await using var c = await db.OpenAsync();
        return await c.QuerySingleOrDefaultAsync<RunItemRow>("SELECT * FROM run_items WHERE run_id = @runId AND id = @itemId;", new { runId,
            itemId });
    }

    /// <summary>Marks the run as its suite's baseline; the suite's previous baseline stops being one.</summary>
    public async Task MarkBaselineAsync(string runId, string suiteId)
    {
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        await c.ExecuteAsync("UPDATE runs SET is_baseline = FALSE WHERE suite_id = @suiteId AND is_baseline;", new { suiteId }, tx);
        await c.ExecuteAsync("UPDATE runs SET is_baseline = TRUE WHERE id = @runId;", new { runId }, tx);
        await tx.CommitAsync();
    }

    /// <summary>Deletes a run, its items and cars (cascaded) and its event log, at once.</summary>
    public async Task<bool> DeleteAsync(string runId)
    {
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        await c.ExecuteAsync("DELETE FROM run_events WHERE run_id = @runId;", new { runId }, tx);
        var deleted = await c.ExecuteAsync("DELETE FROM runs WHERE id = @runId;", new { runId }, tx) == 1;
        await tx.CommitAsync();
        return deleted;
    }

    public async Task<RunRow?> GetBaselineAsync(string suiteId)
    {
        await using var c = await db.OpenAsync();
        return await c.QuerySingleOrDefaultAsync<RunRow>("SELECT * FROM runs WHERE suite_id = @suiteId AND is_baseline LIMIT 1;",
            new { suiteId });
    }

    public async Task SetJudgingAsync(string runId, bool judging)
    {
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync("UPDATE runs SET judging = @judging WHERE id = @runId;", new { runId, judging });
    }

    public async Task SaveManualGradeAsync(string itemId, string gradeJson)
    {
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync("UPDATE run_items SET manual_grade_json = @gradeJson WHERE id = @itemId;", new { itemId, gradeJson });
    }

    public async Task SaveJudgeAsync(string itemId, string judgeJson)
    {
        await using var writer = await db.OpenWriterAsync();
        var c = writer.Connection;
        await c.ExecuteAsync("UPDATE run_items SET judge_json = @judgeJson WHERE id = @itemId;", new { itemId, judgeJson });
    }

    /// <summary>A page of a run's items in race order, filtered by status, car and test, with how many match in all.</summary>
    public async Task<(IReadOnlyList<RunItemRow> Items, int Total)> ListItemsAsync(string runId, ItemFilter filter, int limit, int offset)
    {
        var where = new List<string> { "run_id = @runId" };
        if (filter.Status is not null) where.Add("status = @Status");
        if (filter.CarId is not null) where.Add("car_id = @CarId");
        if (filter.TestId is not null) where.Add("test_id = @TestId");
        var clause = string.Join(" AND ", where);
        var args = new { runId, filter.Status, filter.CarId, filter.TestId, limit, offset };
        await using var c = await db.OpenAsync();
        var total = await c.ExecuteScalarAsync<int>($"SELECT COUNT(*) FROM run_items WHERE {clause};", args);
        var items = await c.QueryAsync<RunItemRow>(
            $"SELECT * FROM run_items WHERE {clause} ORDER BY ordinal LIMIT @limit OFFSET @offset;", args);
        return ([.. items], total);
    }

    public async Task<IReadOnlyList<RunItemRow>> GetItemsAsync(string runId)
    {
        await using var c = await db.OpenAsync();
        return [.. await c.QueryAsync<RunItemRow>("SELECT * FROM run_items WHERE run_id = @runId ORDER BY ordinal;", new { runId })];
    }

    /// <summary>
    /// A run's items without their texts (output, reasoning, tool calls): what scorecards, winners and comparisons read,
    /// at a fraction of the bytes on a big run.
    /// </summary>
    public async Task<IReadOnlyList<RunItemRow>> GetItemScoresAsync(string runId)
    {
        await using var c = await db.OpenAsync();
        return [.. await c.QueryAsync<RunItemRow>("""
            SELECT id, run_id, ordinal, test_id, test_name, car_id, car_name, repeat_index, status, error, metrics_json, checks_json,
              judge_json, server_timings_json, retries, started_at, finished_at, manual_grade_json
            FROM run_items WHERE run_id = @runId ORDER BY ordinal;
            """, new { runId })];
    }

    public async Task MarkStartedAsync(string runId, string startedAt)
    {
        await using var writer = await db.OpenWriterAsync();
        var c = writer.Connection;
        await c.ExecuteAsync("UPDATE runs SET status = @running, started_at = @startedAt WHERE id = @runId;", new { runId, startedAt,
            running = RunStatus.Running });
    }

    /// <summary>A load test's progress: the requests it has finished so far (it has no items).</summary>
    public async Task SetItemsDoneAsync(string runId, int done)
    {
        await using var writer = await db.OpenWriterAsync();
        await writer.Connection.ExecuteAsync("UPDATE runs SET items_done = @done WHERE id = @runId;", new { runId, done });
    }

    public async Task MarkFinishedAsync(string runId, string status, string? error, string finishedAt)
    {
        await using var writer = await db.OpenWriterAsync();
        var c = writer.Connection;
        await using var tx = await c.BeginTransactionAsync();
        // Items that never ran end with the run; none is left pending or running.
        await c.ExecuteAsync(
            "UPDATE run_items SET status = @cancelled, finished_at = @finishedAt WHERE run_id = @runId AND status IN (@pending, @running);",
            new { runId, finishedAt, cancelled = ItemStatus.Cancelled, pending = ItemStatus.Pending, running = ItemStatus.Running }, tx);
        // The summary is kept with the end, in the same transaction: any later change to an item (an item that finishes
        // late, a resume) clears it.
        var summary = (await ComputeSummariesAsync(c, tx, [runId])).GetValueOrDefault(runId);
        await c.ExecuteAsync(
            "UPDATE runs SET status = @status, error = @error, finished_at = @finishedAt, summary_json = @summaryJson " +
            "WHERE id = @runId;",
            new { runId, status, error, finishedAt, summaryJson = summary is null ? null : RaceJson.Serialize(summary) }, tx);
        await tx.CommitAsync();
    }

    /// <summary>
    /// Makes a stopped run raceable again: its unfinished items (cancelled, or cut off while running) go back to
    /// pending and the run to queued. Finished items and the event log stay as they are.
    /// </summary>
    public async Task<int> PrepareResumeAsync(string runId)
    {
        await using var c = await db.OpenAsync();
        await using var tx = await c.BeginTransactionAsync();
        var reset = await c.ExecuteAsync($"""
            {ResetItems}, retries = 0 WHERE run_id = @runId AND status IN (@pending, @running, @cancelled);
            """, new { runId, pending = ItemStatus.Pending, running = ItemStatus.Running, cancelled = ItemStatus.Cancelled }, tx);
        await c.ExecuteAsync("""
            UPDATE runs SET status = @queued, error = NULL, finished_at = NULL, summary_json = NULL,
              items_done = (SELECT COUNT(*) FROM run_items WHERE run_id = @runId AND status IN (@passed, @failed, @error))
            WHERE id = @runId;
            """,
            new { runId, queued = RunStatus.Queued, passed = ItemStatus.Passed, failed = ItemStatus.Failed, error = ItemStatus.Error }, tx);
        await tx.CommitAsync();
        return reset;
    }

    /// <summary>
    /// Makes a running run raceable by another silo after its own was lost or handed it over: the items that were in
    /// flight there (running, or cancelled by the handover) go back to pending; the run stays running. Returns their ids.
    /// </summary>
    public async Task<IReadOnlyList<string>> PrepareTakeoverAsync(string runId)
    {
        await using var writer = await db.OpenWriterAsync();
        var c = writer.Connection;
        await using var tx = await c.BeginTransactionAsync();
        var inFlight = (await c.QueryAsync<string>("SELECT id FROM run_items WHERE run_id = @runId AND status IN (@running, @cancelled);",
            new { runId, running = ItemStatus.Running, cancelled = ItemStatus.Cancelled }, tx)).ToList();
        await c.ExecuteAsync($"""
            {ResetItems} WHERE run_id = @runId AND status IN (@running, @cancelled);
            """, new { runId, pending = ItemStatus.Pending, running = ItemStatus.Running, cancelled = ItemStatus.Cancelled }, tx);
        await tx.CommitAsync();
        return inFlight;
    }

    /// <summary>The racing silo says it still races the run.</summary>
    public async Task HeartbeatAsync(string runId, string? at)
    {
        await using var c = await db.OpenAsync();
        await c.ExecuteAsync("UPDATE runs SET heartbeat_at = @at WHERE id = @runId;", new { runId, at });
    }

    public async Task MarkItemStartedAsync(string itemId, string startedAt)
    {
        await using var writer = await db.OpenWriterAsync();
        var c = writer.Connection;
        await c.ExecuteAsync("UPDATE run_items SET status = @running, started_at = @startedAt WHERE id = @itemId;", new { itemId, startedAt,
            running = ItemStatus.Running });
    }

    /// <summary>Stores an item's outcome and counts it done on its run, in one transaction.</summary>
    public async Task CompleteItemAsync(RunItemRow item)
    {
        await using var writer = await db.OpenWriterAsync();
        var c = writer.Connection;
        await using var tx = await c.BeginTransactionAsync();
        await c.ExecuteAsync("""
            UPDATE run_items SET status = @Status, output = @Output, reasoning = @Reasoning, tool_calls_json = @ToolCallsJson,
              error = @Error, metrics_json = @MetricsJson, checks_json = @ChecksJson, server_timings_json = @ServerTimingsJson,
              retries = @Retries, finished_at = @FinishedAt
            WHERE id = @Id;
            """, item, tx);
        if (item.Status != ItemStatus.Cancelled)
            await c.ExecuteAsync("UPDATE runs SET items_done = items_done + 1, summary_json = NULL WHERE id = @RunId;", item, tx);
        await tx.CommitAsync();
    }

    /// <summary>
    /// Finished runs whose log does not end with an event that closes it: a process was killed after it wrote the run's
    /// end but before the terminal event of it was persisted.
    /// </summary>
    public async Task<IReadOnlyList<RunRow>> ListFinishedWithOpenLogAsync()
    {
        await using var c = await db.OpenAsync();
        return [.. await c.QueryAsync<RunRow>("""
            SELECT r.* FROM runs r
            WHERE r.status IN (@completed, @failed, @cancelled, @interrupted)
              AND (SELECT e.type FROM run_events e WHERE e.run_id = r.id ORDER BY e.seq DESC LIMIT 1)
                NOT IN (@runCompleted, @runFailed, @runCancelled, @judgeCompleted, @judgeFailed);
            """, new { completed = RunStatus.Completed, failed = RunStatus.Failed, cancelled = RunStatus.Cancelled,
            interrupted = RunStatus.Interrupted, runCompleted = EventTypes.RunCompleted, runFailed = EventTypes.RunFailed,
            runCancelled = EventTypes.RunCancelled, judgeCompleted = EventTypes.JudgeCompleted, judgeFailed = EventTypes.JudgeFailed })];
    }

    /// <summary>Runs left queued or running by a previous process: it stopped while they were in progress.</summary>
    public async Task<IReadOnlyList<RunRow>> ListUnfinishedAsync()
    {
        await using var c = await db.OpenAsync();
        return [.. await c.QueryAsync<RunRow>("SELECT * FROM runs WHERE status IN (@queued, @running) OR judging;",
            new { queued = RunStatus.Queued, running = RunStatus.Running })];
    }
}

/// <summary>Filters of the run history; null means any.</summary>
public sealed record ItemFilter(string? Status = null, string? CarId = null, string? TestId = null);

public sealed record RunFilter(string? SuiteId = null, string? CarId = null, string? Status = null, string? From = null, string? To = null,
    string? Kind = null);
