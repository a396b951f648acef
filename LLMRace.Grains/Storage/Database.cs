using System.Data.Common;
using Dapper;
using LLMRace.Grains.Contracts;

namespace LLMRace.Grains.Storage;

/// <summary>
/// The store's engine: SQLite (embedded, the default) or PostgreSQL (shared by several silos). The stores write one SQL
/// for both; what differs between the engines (opening, migrations, the batched event append, JSON functions, how a
/// foreign key refusal looks) lives in the engine's subclass, the one place to change for a new engine.
/// </summary>
public abstract class Database
{
    static Database() => DefaultTypeMap.MatchNamesWithUnderscores = true;

    /// <summary>"sqlite" or "postgresql", as logs and /health name it.</summary>
    public abstract string Engine { get; }

    /// <summary>Where the data lives, for logs: a file path, or host, port and database (never a password).</summary>
    public abstract string Location { get; }

    public abstract Task<DbConnection> OpenAsync(CancellationToken ct = default);

    /// <summary>A connection for the run path's writes. On an engine with one writer at a time, writers queue here.</summary>
    public virtual async Task<Writer> OpenWriterAsync(CancellationToken ct = default) => new(await OpenAsync(ct), null);

    /// <summary>
    /// Creates what is missing and applies the migrations; throws <see cref="DatabaseUnavailableException"/> when it cannot.
    /// </summary>
    public abstract Task InitializeAsync(CancellationToken ct = default);

    /// <summary>Appends a batch of events: all of them, or none (a seq already stored refuses the whole batch).</summary>
    public abstract Task AppendEventsAsync(IReadOnlyList<RunEvent> events, CancellationToken ct);

    /// <summary>A JSON array (as text) of the distinct values of <paramref name="column"/> in a group.</summary>
    public abstract string JsonArrayOfDistinct(string column);

    /// <summary>The number at the top-level <paramref name="field"/> of the JSON text in <paramref name="column"/>, or NULL.</summary>
    public abstract string JsonNumber(string column, string field);

    /// <summary>A condition: <paramref name="column"/> is one of the list bound to <paramref name="parameter"/> (an array).</summary>
    public abstract string InList(string column, string parameter);

    /// <summary>Whether a write was refused because a row it refers to (or that refers to it) is gone.</summary>
    public abstract bool IsForeignKeyViolation(Exception e);

    public sealed class Writer(DbConnection connection, SemaphoreSlim? gate) : IAsyncDisposable
    {
        public DbConnection Connection => connection;

        public async ValueTask DisposeAsync()
        {
            try { await connection.DisposeAsync(); }
            finally { gate?.Release(); }
        }
    }
}

public sealed class DatabaseUnavailableException(string location, string reason, Exception inner)
    : Exception($"cannot open the database at '{location}': {reason}", inner)
{
    public string DatabaseLocation { get; } = location;
}
