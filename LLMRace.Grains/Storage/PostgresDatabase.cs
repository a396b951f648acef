using System.Data.Common;
using LLMRace.Grains.Contracts;
using Npgsql;
using NpgsqlTypes;

namespace LLMRace.Grains.Storage;

/// <summary>The shared engine: a PostgreSQL database that every silo of a cluster reads and writes.</summary>
public sealed class PostgresDatabase(NpgsqlDataSource dataSource, TimeProvider time) : Database
{
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

    public override async Task InsertEventsAsync(DbConnection connection, DbTransaction tx, IReadOnlyList<RunEvent> events,
        CancellationToken ct)
    {
        // The whole batch in one statement and one round trip: a column array per field, unnested into rows.
        await using var insert = new NpgsqlCommand("""
            INSERT INTO run_events (run_id, seq, ts, type, item_id, payload)
            SELECT * FROM unnest(@run, @seq, @ts, @type, @item, @payload);
            """, (NpgsqlConnection)connection, (NpgsqlTransaction)tx);
        insert.Parameters.Add(new NpgsqlParameter<string[]>("run", NpgsqlDbType.Array | NpgsqlDbType.Text)
            { TypedValue = [.. events.Select(e => e.RunId)] });
        insert.Parameters.Add(new NpgsqlParameter<long[]>("seq", NpgsqlDbType.Array | NpgsqlDbType.Bigint)
            { TypedValue = [.. events.Select(e => e.Seq)] });
        insert.Parameters.Add(new NpgsqlParameter<string[]>("ts", NpgsqlDbType.Array | NpgsqlDbType.Text)
            { TypedValue = [.. events.Select(e => Clock.Text(e.Ts))] });
        insert.Parameters.Add(new NpgsqlParameter<string[]>("type", NpgsqlDbType.Array | NpgsqlDbType.Text)
            { TypedValue = [.. events.Select(e => e.Type)] });
        insert.Parameters.Add(new NpgsqlParameter<string?[]>("item", NpgsqlDbType.Array | NpgsqlDbType.Text)
            { TypedValue = [.. events.Select(e => e.ItemId)] });
        insert.Parameters.Add(new NpgsqlParameter<string[]>("payload", NpgsqlDbType.Array | NpgsqlDbType.Text)
            { TypedValue = [.. events.Select(e => e.Json)] });
        await insert.ExecuteNonQueryAsync(ct);
    }

    public override string JsonArrayOfDistinct(string column) => $"json_agg(DISTINCT {column})::text";

    public override string JsonNumber(string column, string field) => $"(({column})::jsonb ->> '{field}')::double precision";

    // Npgsql binds the list as one array parameter.
    public override string InList(string column, string parameter) => $"{column} = ANY({parameter})";

    public override bool IsForeignKeyViolation(Exception e) => e is PostgresException { SqlState: PostgresErrorCodes.ForeignKeyViolation };
}
