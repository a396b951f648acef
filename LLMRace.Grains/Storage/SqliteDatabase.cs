using Dapper;
using Microsoft.Data.Sqlite;

namespace LLMRace.Grains.Storage;

/// <summary>The one SQLite file that holds everything. Opens pooled connections with LLMRace's pragmas.</summary>
public sealed class SqliteDatabase
{
    static SqliteDatabase() => DefaultTypeMap.MatchNamesWithUnderscores = true;

    public SqliteDatabase(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        ConnectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    public string Path { get; }

    public string ConnectionString { get; }

    public async Task<SqliteConnection> OpenAsync(CancellationToken ct = default)
    {
        var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync(ct);
        await using var pragmas = connection.CreateCommand();
        pragmas.CommandText = "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;";
        await pragmas.ExecuteNonQueryAsync(ct);
        return connection;
    }

    /// <summary>
    /// Creates the folder and the file, switches to WAL and runs the migrations.
    /// Throws <see cref="DatabaseUnavailableException"/> with the path and the reason when it cannot.
    /// </summary>
    public async Task InitializeAsync(CancellationToken ct = default)
    {
        try
        {
            var folder = System.IO.Path.GetDirectoryName(Path);
            if (!string.IsNullOrEmpty(folder)) Directory.CreateDirectory(folder);
            await using var connection = await OpenAsync(ct);
            await connection.ExecuteAsync("PRAGMA journal_mode=WAL;");
            await Migrations.ApplyAsync(connection, ct);
        }
        catch (Exception e) when (e is SqliteException or IOException or UnauthorizedAccessException)
        {
            throw new DatabaseUnavailableException(Path, e);
        }
    }
}

public sealed class DatabaseUnavailableException(string path, Exception inner)
    : Exception($"cannot open the database at '{path}': {Reason(inner)}", inner)
{
    public string DatabasePath { get; } = path;

    private static string Reason(Exception e) => e switch
    {
        SqliteException s => $"{s.Message} (is the folder writable?)",
        UnauthorizedAccessException => "permission denied",
        _ => e.Message,
    };
}
