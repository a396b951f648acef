using Dapper;
using System.Data.Common;

namespace LLMRace.Grains.Storage;

/// <summary>
/// SQLite's schema: versioned migrations, applied in order at start-up. A new version is added here and, with the same
/// number, in <see cref="PostgresMigrations"/>.
/// </summary>
public static class SqliteMigrations
{
    private static readonly (int Version, string Sql)[] Steps =
    [
        (1, """
            CREATE TABLE connections (
              id TEXT PRIMARY KEY,
              name TEXT NOT NULL,
              type TEXT NOT NULL,
              base_url TEXT NOT NULL,
              api_key_cipher BLOB NULL,
              api_key_hint TEXT NULL,
              api_key_env_var TEXT NULL,
              timeout_s REAL NOT NULL,
              max_retries INTEGER NOT NULL,
              max_concurrency INTEGER NOT NULL,
              managed INTEGER NOT NULL DEFAULT 0,
              created_at TEXT NOT NULL,
              updated_at TEXT NOT NULL
            );
            CREATE TABLE cars (
              id TEXT PRIMARY KEY,
              name TEXT NOT NULL,
              connection_id TEXT NOT NULL REFERENCES connections(id),
              model TEXT NOT NULL,
              params_json TEXT NOT NULL DEFAULT '{}',
              created_at TEXT NOT NULL,
              updated_at TEXT NOT NULL
            );
            CREATE TABLE suites (
              id TEXT PRIMARY KEY,
              name TEXT NOT NULL,
              category TEXT NOT NULL,
              description TEXT NOT NULL,
              source_json TEXT NOT NULL,
              created_at TEXT NOT NULL,
              updated_at TEXT NOT NULL
            );
            CREATE TABLE tests (
              id TEXT PRIMARY KEY,
              suite_id TEXT NOT NULL REFERENCES suites(id) ON DELETE CASCADE,
              order_index INTEGER NOT NULL,
              name TEXT NOT NULL,
              system_prompt TEXT NULL,
              user_prompt TEXT NOT NULL,
              expected_constraints TEXT NULL,
              tools_schema_json TEXT NULL
            );
            CREATE INDEX tests_by_suite ON tests(suite_id, order_index);
            CREATE TABLE runs (
              id TEXT PRIMARY KEY,
              suite_id TEXT NOT NULL,
              suite_name TEXT NOT NULL,
              status TEXT NOT NULL,
              settings_json TEXT NOT NULL,
              snapshot_json TEXT NOT NULL,
              car_ids TEXT NOT NULL,
              items_total INTEGER NOT NULL,
              items_done INTEGER NOT NULL DEFAULT 0,
              error TEXT NULL,
              is_baseline INTEGER NOT NULL DEFAULT 0,
              created_at TEXT NOT NULL,
              started_at TEXT NULL,
              finished_at TEXT NULL
            );
            CREATE INDEX runs_by_created ON runs(created_at DESC);
            CREATE TABLE run_items (
              id TEXT PRIMARY KEY,
              run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
              ordinal INTEGER NOT NULL,
              test_id TEXT NOT NULL,
              test_name TEXT NOT NULL,
              car_id TEXT NOT NULL,
              car_name TEXT NOT NULL,
              repeat_index INTEGER NOT NULL,
              status TEXT NOT NULL,
              output TEXT NULL,
              reasoning TEXT NULL,
              tool_calls_json TEXT NULL,
              error TEXT NULL,
              metrics_json TEXT NULL,
              checks_json TEXT NULL,
              judge_json TEXT NULL,
              server_timings_json TEXT NULL,
              retries INTEGER NOT NULL DEFAULT 0,
              started_at TEXT NULL,
              finished_at TEXT NULL
            );
            CREATE INDEX run_items_by_run ON run_items(run_id, ordinal);
            CREATE TABLE run_events (
              run_id TEXT NOT NULL,
              seq INTEGER NOT NULL,
              ts TEXT NOT NULL,
              type TEXT NOT NULL,
              item_id TEXT NULL,
              payload TEXT NOT NULL,
              PRIMARY KEY (run_id, seq)
            ) WITHOUT ROWID;
            CREATE TABLE app_meta (
              key TEXT PRIMARY KEY,
              value TEXT NOT NULL
            );
            """),
        (2, """
            ALTER TABLE connections ADD COLUMN headers_timeout_s REAL NULL;
            ALTER TABLE connections ADD COLUMN total_timeout_s REAL NULL;
            """),
        (3, """
            ALTER TABLE tests ADD COLUMN max_tool_turns INTEGER NULL;
            """),
        (4, """
            ALTER TABLE runs ADD COLUMN judging INTEGER NOT NULL DEFAULT 0;
            CREATE TABLE run_cars (
              run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
              car_id TEXT NOT NULL,
              PRIMARY KEY (run_id, car_id)
            ) WITHOUT ROWID;
            CREATE INDEX run_cars_by_car ON run_cars(car_id, run_id);
            INSERT OR IGNORE INTO run_cars (run_id, car_id)
              SELECT r.id, j.value FROM runs r, json_each('["' || replace(r.car_ids, ',', '","') || '"]') j WHERE r.car_ids <> '';
            CREATE INDEX runs_by_suite ON runs(suite_id, created_at DESC);
            CREATE INDEX runs_by_status ON runs(status, created_at DESC);
            CREATE INDEX run_events_by_item ON run_events(run_id, item_id);
            """),
        (5, """
            ALTER TABLE connections ADD COLUMN base_url_credentials_cipher BLOB NULL;
            """),
        (6, """
            ALTER TABLE run_items ADD COLUMN manual_grade_json TEXT NULL;
            """),
        (7, """
            ALTER TABLE runs ADD COLUMN heartbeat_at TEXT NULL;
            """),
        (8, """
            ALTER TABLE runs ADD COLUMN kind TEXT NOT NULL DEFAULT 'race';
            """),
        // A run's snapshot (its suite as raced: megabytes for 10,000 tests) in a table of its own: SQLite rewrites a whole
        // row on every update, and the run's row is updated at each finished item.
        (9, """
            CREATE TABLE run_snapshots (
              run_id TEXT PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
              snapshot_json TEXT NOT NULL
            );
            INSERT INTO run_snapshots (run_id, snapshot_json) SELECT id, snapshot_json FROM runs;
            ALTER TABLE runs DROP COLUMN snapshot_json;
            """),
        // What Run History shows of a finished run, kept when it finished (RunStore.MarkFinishedAsync).
        (10, """
            ALTER TABLE runs ADD COLUMN summary_json TEXT NULL;
            """),
    ];

    public static int Latest => Steps[^1].Version;

    public static Task ApplyAsync(DbConnection connection, TimeProvider time, CancellationToken ct = default) =>
        ApplyAsync(connection, time, Latest, ct);

    /// <param name="upTo">The version to stop at: a test makes a database of an older release with it.</param>
    internal static async Task ApplyAsync(DbConnection connection, TimeProvider time, int upTo, CancellationToken ct = default)
    {
        await connection.ExecuteAsync("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL);");
        var current = await connection.ExecuteScalarAsync<int?>("SELECT MAX(version) FROM schema_version;") ?? 0;
        foreach (var (version, sql) in Steps.Where(s => s.Version > current && s.Version <= upTo))
        {
            ct.ThrowIfCancellationRequested();
            await using var tx = await connection.BeginTransactionAsync(ct);
            await connection.ExecuteAsync(sql, transaction: tx);
            await connection.ExecuteAsync("INSERT INTO schema_version (version, applied_at) VALUES (@version, @at);",
                new { version, at = time.NowText() }, tx);
            await tx.CommitAsync(ct);
        }
    }
}
