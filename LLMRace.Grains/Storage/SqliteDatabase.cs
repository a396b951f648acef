using System.Data.Common;
using Dapper;
using LLMRace.Grains.Contracts;
using LLMRace.Grains.Security;
using Microsoft.Data.Sqlite;

namespace LLMRace.Grains.Storage;

/// <summary>The embedded engine: one SQLite file holds everything. Opens pooled connections with LLMRace's pragmas.</summary>
public sealed class SqliteDatabase : Database
{
    private const int ForeignKeyViolation = 787;

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

    public override string Engine => "sqlite";

    public override string Location => Path;

    public string Path { get; }

    public string ConnectionString { get; }

    // SQLite lets one writer in at a time and makes the others wait in its busy handler, which sleeps between tries
    // (1 ms growing to 100 ms). The run path's writers queue here instead, so the next one starts as the last commits.
    private readonly SemaphoreSlim _writeGate = new(1, 1);

    public override async Task<Writer> OpenWriterAsync(CancellationToken ct = default)
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

    public override async Task<DbConnection> OpenAsync(CancellationToken ct = default)
    {
        var connection = new SqliteConnection(ConnectionString);
        await connection.OpenAsync(ct);
        await using var pragmas = connection.CreateCommand();
        pragmas.CommandText = "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=30000;";
        await pragmas.ExecuteNonQueryAsync(ct);
        return connection;
    }

    /// <summary>Creates the folder and the file (owner-only), switches to WAL and runs the migrations.</summary>
    public override async Task InitializeAsync(CancellationToken ct = default)
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
            await SqliteMigrations.ApplyAsync(connection, _time, ct);
            // SQLite makes the WAL and shared-memory files with the database's mode; ones left by an older version are tightened too.
            OwnerOnlyFile.Ensure(Path + "-wal", create: false);
            OwnerOnlyFile.Ensure(Path + "-shm", create: false);
        }
        catch (Exception e) when (e is SqliteException or IOException or UnauthorizedAccessException)
        {
            throw new DatabaseUnavailableException(Path, e switch
            {
                SqliteException s => $"{s.Message} (is the folder writable?)",
                UnauthorizedAccessException => "permission denied",
                _ => e.Message,
            }, e);
        }
    }

    public override async Task AppendEventsAsync(IReadOnlyList<RunEvent> events, CancellationToken ct)
    {
        await using var writer = await OpenWriterAsync(ct);
        var connection = (SqliteConnection)writer.Connection;
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(ct);
        // One prepared statement, run once an event: SQLite has no round trip to save.
        await using var insert = connection.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = "INSERT INTO run_events (run_id, seq, ts, type, item_id, payload) VALUES ($run, $seq, $ts, $type, $item, " +
            "$payload);";
        var run = insert.Parameters.Add("$run", SqliteType.Text);
        var seq = insert.Parameters.Add("$seq", SqliteType.Integer);
        var ts = insert.Parameters.Add("$ts", SqliteType.Text);
        var type = insert.Parameters.Add("$type", SqliteType.Text);
        var item = insert.Parameters.Add("$item", SqliteType.Text);
        var payload = insert.Parameters.Add("$payload", SqliteType.Text);
        foreach (var e in events)
        {
            run.Value = e.RunId;
            seq.Value = e.Seq;
            ts.Value = Clock.Text(e.Ts);
            type.Value = e.Type;
            item.Value = (object?)e.ItemId ?? DBNull.Value;
            payload.Value = e.Json;
            await insert.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
    }

    public override string JsonArrayOfDistinct(string column) => $"json_group_array(DISTINCT {column})";

    public override string JsonNumber(string column, string field) => $"json_extract({column}, '$.{field}')";

    // Dapper writes the list out as (@p1, @p2, …).
    public override string InList(string column, string parameter) => $"{column} IN {parameter}";

    public override bool IsForeignKeyViolation(Exception e) => e is SqliteException { SqliteExtendedErrorCode: ForeignKeyViolation };
}
