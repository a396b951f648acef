using System.Threading.Channels;
using LLMRace.Grains.Contracts;
using Npgsql;
using NpgsqlTypes;

namespace LLMRace.Grains.Storage;

/// <summary>
/// Group commit for the event log on PostgreSQL: the appends of all runs that are waiting when a writer is free go out
/// together as one INSERT, so many runs' small appends cost one round trip and one commit instead of one each, and the
/// server is never handed more concurrent inserts than it has use for. A caller's events are still all-or-none: when a
/// combined insert is refused (a seq already stored), each caller's events are retried alone, so one run's refusal is
/// its own.
/// </summary>
internal sealed class PostgresEventAppender(NpgsqlDataSource dataSource)
{
    /// <summary>Inserts in flight at once; more only queue in the server (measured in docs/SCALING.md).</summary>
    public const int Writers = 4;

    /// <summary>The most rows a combined insert takes (a run's own append is never split).</summary>
    public const int MaxRows = 4096;

    /// <summary>From this many rows an insert goes as a binary COPY.</summary>
    public const int CopyFrom = 256;

    private readonly Channel<Append> _queue = Channel.CreateUnbounded<Append>(new UnboundedChannelOptions { SingleReader = false });
    private readonly Lock _lock = new();
    private bool _started;

    public Task AppendAsync(IReadOnlyList<RunEvent> events, CancellationToken ct)
    {
        ct.ThrowIfCancellationRequested();
        StartWriters();
        var append = new Append(events);
        _queue.Writer.TryWrite(append);
        // Once queued, an append is awaited to its end: a caller told "cancelled" must not find its events stored after all.
        return append.Done.Task;
    }

    private void StartWriters()
    {
        lock (_lock)
        {
            if (_started) return;
            _started = true;
            for (var i = 0; i < Writers; i++) _ = Task.Run(WriteAsync);
        }
    }

    private async Task WriteAsync()
    {
        var taken = new List<Append>();
        while (await _queue.Reader.WaitToReadAsync())
        {
            taken.Clear();
            var rows = 0;
            while (rows < MaxRows && _queue.Reader.TryRead(out var next))
            {
                taken.Add(next);
                rows += next.Events.Count;
            }
            if (taken.Count == 0) continue;
            try
            {
                await InsertAsync(taken.Count == 1 ? taken[0].Events : [.. taken.SelectMany(a => a.Events)]);
                foreach (var a in taken) a.Done.TrySetResult();
            }
            catch (Exception) when (taken.Count > 1)
            {
                foreach (var a in taken) await InsertAloneAsync(a);
            }
            catch (Exception e)
            {
                taken[0].Done.TrySetException(e);
            }
        }
    }

    private async Task InsertAloneAsync(Append append)
    {
        try
        {
            await InsertAsync(append.Events);
            append.Done.TrySetResult();
        }
        catch (Exception e)
        {
            append.Done.TrySetException(e);
        }
    }

    private Task InsertAsync(IReadOnlyList<RunEvent> events) => events.Count >= CopyFrom ? CopyAsync(events) : InsertRowsAsync(events);

    private async Task InsertRowsAsync(IReadOnlyList<RunEvent> events)
    {
        // One statement (atomic on its own, so no transaction to open and commit) and one round trip: a column array per
        // field, unnested into rows.
        await using var insert = dataSource.CreateCommand("""
            INSERT INTO run_events (run_id, seq, ts, type, item_id, payload)
            SELECT * FROM unnest(@run, @seq, @ts, @type, @item, @payload);
            """);
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
        await insert.ExecuteNonQueryAsync();
    }

    private async Task CopyAsync(IReadOnlyList<RunEvent> events)
    {
        // A binary COPY streams rows that the server inserts as they arrive; atomic like an INSERT (all rows or none). It
        // costs a second round trip to set up, so small appends go as an INSERT.
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var copy = await connection.BeginBinaryImportAsync(
            "COPY run_events (run_id, seq, ts, type, item_id, payload) FROM STDIN (FORMAT BINARY)");
        foreach (var e in events)
        {
            await copy.StartRowAsync();
            await copy.WriteAsync(e.RunId, NpgsqlDbType.Text);
            await copy.WriteAsync(e.Seq, NpgsqlDbType.Bigint);
            await copy.WriteAsync(Clock.Text(e.Ts), NpgsqlDbType.Text);
            await copy.WriteAsync(e.Type, NpgsqlDbType.Text);
            if (e.ItemId is null) await copy.WriteNullAsync();
            else await copy.WriteAsync(e.ItemId, NpgsqlDbType.Text);
            await copy.WriteAsync(e.Json, NpgsqlDbType.Text);
        }
        await copy.CompleteAsync();
    }

    private sealed class Append(IReadOnlyList<RunEvent> events)
    {
        public IReadOnlyList<RunEvent> Events => events;
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
