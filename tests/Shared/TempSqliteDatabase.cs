using LLMRace.Grains.Storage;

namespace LLMRace.Tests;

/// <summary>A migrated SQLite database in a folder of its own, deleted with it.</summary>
public sealed class TempSqliteDatabase : IAsyncDisposable
{
    private readonly string _folder;

    private TempSqliteDatabase(string folder, SqliteDatabase db)
    {
        _folder = folder;
        Db = db;
    }

    public SqliteDatabase Db { get; }

    public static async Task<TempSqliteDatabase> CreateAsync()
    {
        var folder = Directory.CreateTempSubdirectory("llmrace-db-").FullName;
        var db = new SqliteDatabase(Path.Combine(folder, "llmrace.db"), TimeProvider.System);
        await db.InitializeAsync();
        return new TempSqliteDatabase(folder, db);
    }

    public ValueTask DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_folder, recursive: true);
        return ValueTask.CompletedTask;
    }
}
