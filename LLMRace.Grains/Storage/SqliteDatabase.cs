using Dapper;
using LLMRace.Grains.Security;
using Microsoft.Data.Sqlite;

namespace LLMRace.Grains.Storage;

/// <summary>The one SQLite file that holds everything. Opens pooled connections with LLMRace's pragmas.</summary>
public sealed class SqliteDatabase
{
    static SqliteDatabase() => DefaultTypeMap.MatchNamesWithUnderscores = true;

    private readonly TimeProvider _time;

    public SqliteDatabase(string path, TimeProvider time)
    {
        _time = time;
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

    // SQLite lets one writer in at a time and makes the others wait in its busy handler, which sleeps between tries
    // (1 ms growing to 100 ms). The run path's writers queue here instead, so the next one starts as the last commits.
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    /// <summary>A connection for writing, held alone among the other writers that ask for one until it is disposed.</summary>
    public async Task<Writer> OpenWriterAsync(CancellationToken ct = default)
    {
        await _writeGate.WaitAsync(ct);
        try
        {
            return new Writer(await OpenAsync(ct), _writeGate);
        }
        catch
        {
            _writeGate.Release();
            throw;
        }
    }

    public sealed class Writer(SqliteConnection connection, SemaphoreSlim gate) : IAsyncDisposable
    {
        public SqliteConnection Connection => connection;

        public async ValueTask DisposeAsync()
        {
            try { await connection.DisposeAsync(); }
            finally { gate.Release(); }
        }
    }

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
            if (!string.IsNullOrEmpty(folder) && !Directory.Exists(folder))
            {
                if (OperatingSystem.IsWindows()) Directory.CreateDirectory(folder);
                else Directory.CreateDirectory(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }
            OwnerOnlyFile.Ensure(Path, create: true);
            await using var connection = await OpenAsync(ct);
            await connection.ExecuteAsync("PRAGMA journal_mode=WAL;");
            await Migrations.ApplyAsync(connection, _time, ct);
            // SQLite makes the WAL and shared-memory files with the database's mode; ones left by an older version are tightened too.
            OwnerOnlyFile.Ensure(Path + "-wal", create: false);
            OwnerOnlyFile.Ensure(Path + "-shm", create: false);
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
