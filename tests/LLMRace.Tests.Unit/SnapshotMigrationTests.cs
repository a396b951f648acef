using Dapper;
using LLMRace.Grains.Storage;
using Microsoft.Data.Sqlite;

namespace LLMRace.Tests.Unit;

/// <summary>A database of the release before run snapshots had a table of their own, opened by this one.</summary>
public sealed class SnapshotMigrationTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("llmrace-migrate-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
    }

    [Fact]
    public async Task A_run_raced_before_the_upgrade_keeps_its_snapshot_in_the_new_table()
    {
        var path = Path.Combine(_folder, "llmrace.db");
        await using (var old = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            await old.OpenAsync();
            await SqliteMigrations.ApplyAsync(old, TimeProvider.System, upTo: 8);
            await old.ExecuteAsync("""
                INSERT INTO runs (id, suite_id, suite_name, status, settings_json, snapshot_json, car_ids, items_total, created_at)
                VALUES ('run_old', 'suite_a', 'A', 'completed', '{}', '{"suite":{"name":"as raced"}}', 'car_a', 0,
                  '2026-12-01T10:00:00.000Z');
                """);
        }

        var db = new SqliteDatabase(path, TimeProvider.System);
        await db.InitializeAsync();
        var runs = new RunStore(db);

        Assert.Equal("{\"suite\":{\"name\":\"as raced\"}}", (await runs.GetWithSnapshotAsync("run_old"))!.SnapshotJson);
        Assert.Equal("", (await runs.GetAsync("run_old"))!.SnapshotJson);
        await using var c = await db.OpenAsync();
        Assert.DoesNotContain("snapshot_json", (await c.QueryAsync<string>("SELECT name FROM pragma_table_info('runs');")).ToList());
    }
}
