using System.Data.Common;
using LLMRace.Grains.Contracts;
using Npgsql;
using NpgsqlTypes;

namespace LLMRace.Grains.Storage;

/// <summary>The shared engine: a PostgreSQL database that every silo of a cluster reads and writes.</summary>
public sealed class PostgresDatabase(NpgsqlDataSource dataSource, TimeProvider time) : Database
{
    private readonly PostgresEventAppender _appender = new(dataSource);

    /// <summary>
    /// LLMRace's client and session settings. Multiplexing: the many small appends of a race's sinks share connections and
    /// go out pipelined instead of each renting a connection for its round trip (2-3× the one-event appends, measured in
    /// docs/SCALING.md). Auto-prepare: the statements LLMRace repeats (the event append above all) are parsed and planned once
    /// per connection instead of once per call (the one-event append's p50 0.27 → 0.15 ms). synchronous_commit off gives
    /// PostgreSQL the durability SQLite has here (WAL, synchronous NORMAL): a commit survives a crash of the Api or of a
    /// silo at once and is on disk within a fraction of a second (3 × wal_writer_delay); only a crash of the database
    /// server's machine in that moment can lose the last commits, never corrupt the log.
    /// </summary>
    public static void Configure(NpgsqlDataSourceBuilder builder)
    {
        builder.ConnectionStringBuilder.Multiplexing = true;
        builder.ConnectionStringBuilder.MaxAutoPrepare = 64;
        builder.UsePhysicalConnectionInitializer(
            connection => { using var set = new NpgsqlCommand(SessionSettings, connection); set.ExecuteNonQuery(); },
            async connection =>
            {
                await using var set = new NpgsqlCommand(SessionSettings, connection);
                await set.ExecuteNonQueryAsync();
            });
    }

    private const string SessionSettings = "SET synchronous_commit = off;";

    /// <summary>A data source for <paramref name="connectionString"/> with LLMRace's session settings.</summary>
    public static NpgsqlDataSource CreateDataSource(string connectionString)
    {
        var builder = new NpgsqlDataSourceBuilder(connectionString);
        Configure(builder);
        return builder.Build();
    }

    public override string Engine => "postgresql";

    public override string Location
    {
        get
        {
            var b = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
            return $"postgresql://{b.Host}:{b.Port}/{b.Database}";
        }
    }

    public override async Task<DbConnection> OpenAsync(CancellationToken ct = default) => await dataSource.OpenConnectionAsync(ct);

    public override async Task InitializeAsync(CancellationToken ct = default)
    {
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            await PostgresMigrations.ApplyAsync(connection, time, ct);
        }
        catch (Exception e) when (e is NpgsqlException or TimeoutException)
        {
            throw new DatabaseUnavailableException(Location, e is PostgresException p ? $"{p.SqlState}: {p.MessageText}" : e.Message, e);
        }
    }

    public override Task AppendEventsAsync(IReadOnlyList<RunEvent> events, CancellationToken ct) => _appender.AppendAsync(events, ct);

    public override string JsonArrayOfDistinct(string column) => $"json_agg(DISTINCT {column})::text";

    public override string JsonNumber(string column, string field) => $"(({column})::jsonb ->> '{field}')::double precision";

    // Npgsql binds the list as one array parameter.
    public override string InList(string column, string parameter) => $"{column} = ANY({parameter})";

    public override bool IsForeignKeyViolation(Exception e) => e is PostgresException { SqlState: PostgresErrorCodes.ForeignKeyViolation };
}
