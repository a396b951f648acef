using Dapper;
using Npgsql;

namespace LLMRace.Grains.Storage;

/// <summary>
/// PostgreSQL's schema: the same tables, columns, keys and indexes as SQLite's, in PostgreSQL's types (booleans,
/// double precision, bytea). PostgreSQL support began at SQLite's version 6, so its first step is that whole schema;
/// a later version is added here with the same number as in <see cref="SqliteMigrations"/>.
/// </summary>
public static class PostgresMigrations
{
    // Text compares byte by byte, as in SQLite: ids and timestamps order the same on both engines whatever the
    // database's locale.
    private const string Text = "TEXT COLLATE \"C\"";

    private static readonly (int Version, string Sql)[] Steps =
    [
        (6, $"""
            CREATE TABLE connections (
              id {Text} PRIMARY KEY,
              name {Text} NOT NULL,
              type {Text} NOT NULL,
              base_url {Text} NOT NULL,
              api_key_cipher BYTEA NULL,
              api_key_hint {Text} NULL,
              api_key_env_var {Text} NULL,
              timeout_s DOUBLE PRECISION NOT NULL,
              max_retries INTEGER NOT NULL,
              max_concurrency INTEGER NOT NULL,
              managed BOOLEAN NOT NULL DEFAULT FALSE,
              created_at {Text} NOT NULL,
              updated_at {Text} NOT NULL,
              headers_timeout_s DOUBLE PRECISION NULL,
              total_timeout_s DOUBLE PRECISION NULL,
              base_url_credentials_cipher BYTEA NULL
            );
            CREATE TABLE cars (
              id {Text} PRIMARY KEY,
              name {Text} NOT NULL,
              connection_id {Text} NOT NULL REFERENCES connections(id),
              model {Text} NOT NULL,
              params_json {Text} NOT NULL DEFAULT '{"{}"}',
              created_at {Text} NOT NULL,
              updated_at {Text} NOT NULL
            );
            CREATE TABLE suites (
              id {Text} PRIMARY KEY,
              name {Text} NOT NULL,
              category {Text} NOT NULL,
              description {Text} NOT NULL,
              source_json {Text} NOT NULL,
              created_at {Text} NOT NULL,
              updated_at {Text} NOT NULL
            );
            CREATE TABLE tests (
              id {Text} PRIMARY KEY,
              suite_id {Text} NOT NULL REFERENCES suites(id) ON DELETE CASCADE,
              order_index INTEGER NOT NULL,
              name {Text} NOT NULL,
              system_prompt {Text} NULL,
              user_prompt {Text} NOT NULL,
              expected_constraints {Text} NULL,
              tools_schema_json {Text} NULL,
              max_tool_turns INTEGER NULL
            );
            CREATE INDEX tests_by_suite ON tests(suite_id, order_index);
            CREATE TABLE runs (
              id {Text} PRIMARY KEY,
              suite_id {Text} NOT NULL,
              suite_name {Text} NOT NULL,
              status {Text} NOT NULL,
              settings_json {Text} NOT NULL,
              snapshot_json {Text} NOT NULL,
              car_ids {Text} NOT NULL,
              items_total INTEGER NOT NULL,
              items_done INTEGER NOT NULL DEFAULT 0,
              error {Text} NULL,
              is_baseline BOOLEAN NOT NULL DEFAULT FALSE,
              created_at {Text} NOT NULL,
              started_at {Text} NULL,
              finished_at {Text} NULL,
              judging BOOLEAN NOT NULL DEFAULT FALSE
            );
            CREATE INDEX runs_by_created ON runs(created_at DESC);
            CREATE INDEX runs_by_suite ON runs(suite_id, created_at DESC);
            CREATE INDEX runs_by_status ON runs(status, created_at DESC);
            CREATE TABLE run_cars (
              run_id {Text} NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
              car_id {Text} NOT NULL,
              PRIMARY KEY (run_id, car_id)
            );
            CREATE INDEX run_cars_by_car ON run_cars(car_id, run_id);
            CREATE TABLE run_items (
              id {Text} PRIMARY KEY,
              run_id {Text} NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
              ordinal INTEGER NOT NULL,
              test_id {Text} NOT NULL,
              test_name {Text} NOT NULL,
              car_id {Text} NOT NULL,
              car_name {Text} NOT NULL,
              repeat_index INTEGER NOT NULL,
              status {Text} NOT NULL,
              output {Text} NULL,
              reasoning {Text} NULL,
              tool_calls_json {Text} NULL,
              error {Text} NULL,
              metrics_json {Text} NULL,
              checks_json {Text} NULL,
              judge_json {Text} NULL,
              server_timings_json {Text} NULL,
              retries INTEGER NOT NULL DEFAULT 0,
              started_at {Text} NULL,
              finished_at {Text} NULL,
              manual_grade_json {Text} NULL
            );
            CREATE INDEX run_items_by_run ON run_items(run_id, ordinal);
            CREATE TABLE run_events (
              run_id {Text} NOT NULL,
              seq BIGINT NOT NULL,
              ts {Text} NOT NULL,
              type {Text} NOT NULL,
              item_id {Text} NULL,
              payload {Text} NOT NULL,
              PRIMARY KEY (run_id, seq)
            );
            CREATE INDEX run_events_by_item ON run_events(run_id, item_id);
            CREATE TABLE app_meta (
              key {Text} PRIMARY KEY,
              value {Text} NOT NULL
            );
            """),
        (7, $"""
            ALTER TABLE runs ADD COLUMN heartbeat_at {Text} NULL;
            """),
        (8, $"""
            ALTER TABLE runs ADD COLUMN kind {Text} NOT NULL DEFAULT 'race';
            """),
        // Kept apart as on SQLite (where it matters: SQLite rewrites a whole row on every update), so the schemas stay one.
        (9, $"""
            CREATE TABLE run_snapshots (
              run_id {Text} PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
              snapshot_json {Text} NOT NULL
            );
            INSERT INTO run_snapshots (run_id, snapshot_json) SELECT id, snapshot_json FROM runs;
            ALTER TABLE runs DROP COLUMN snapshot_json;
            """),
        // What Run History shows of a finished run, kept when it finished (RunStore.MarkFinishedAsync).
        (10, $"""
            ALTER TABLE runs ADD COLUMN summary_json {Text} NULL;
            """),
    ];

    public static int Latest => Steps[^1].Version;

    /// <summary>
    /// Applies the missing steps, each in a transaction. Silos starting together take turns: a transaction-scoped
    /// advisory lock lets one migrate while the others wait, then find the work done.
    /// </summary>
    public static async Task ApplyAsync(NpgsqlConnection connection, TimeProvider time, CancellationToken ct = default)
    {
        await using (var tx = await connection.BeginTransactionAsync(ct))
        {
            await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(@key);", new { key = LockKey }, tx);
            await connection.ExecuteAsync("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, applied_at TEXT NOT NULL);",
                transaction: tx);
            await tx.CommitAsync(ct);
        }
        foreach (var (version, sql) in Steps)
        {
            ct.ThrowIfCancellationRequested();
            await using var tx = await connection.BeginTransactionAsync(ct);
            await connection.ExecuteAsync("SELECT pg_advisory_xact_lock(@key);", new { key = LockKey }, tx);
            var current = await connection.ExecuteScalarAsync<int?>("SELECT MAX(version) FROM schema_version;", transaction: tx) ?? 0;
            if (version <= current) continue;
            await connection.ExecuteAsync(sql, transaction: tx);
            await connection.ExecuteAsync("INSERT INTO schema_version (version, applied_at) VALUES (@version, @at);",
                new { version, at = time.NowText() }, tx);
            await tx.CommitAsync(ct);
        }
    }

    // "LLMRace\0" as a number: the lock is LLMRace's own among the database's advisory locks.
    private const long LockKey = 0x4C4C4D5261636500;
}
