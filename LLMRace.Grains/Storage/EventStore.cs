using Dapper;
using LLMRace.Grains.Contracts;

namespace LLMRace.Grains.Storage;

/// <summary>The persisted event log: the source every stream replays from.</summary>
public sealed class EventStore(Database db)
{
    /// <summary>Appends a batch of events: all of them or none.</summary>
    public async Task AppendAsync(IReadOnlyList<RunEvent> events, CancellationToken ct = default)
    {
        if (events.Count == 0) return;
        await db.AppendEventsAsync(events, ct);
    }

    /// <summary>Events of a run with seq greater than <paramref name="afterSeq"/>, in order, at most <paramref name="limit"/>.</summary>
    public async Task<IReadOnlyList<RunEvent>> ReadAsync(string runId, long afterSeq, int limit = 5000, CancellationToken ct = default)
    {
        await using var c = await db.OpenAsync(ct);
        var rows = await c.QueryAsync<(string RunId, long Seq, string Ts, string Type, string? ItemId, string Payload)>(
            new CommandDefinition(
                "SELECT run_id, seq, ts, type, item_id, payload FROM run_events WHERE run_id = @runId AND seq > @afterSeq ORDER BY seq " +
                    "LIMIT @limit;",
                new { runId, afterSeq, limit }, cancellationToken: ct));
        return [.. rows.Select(r => new RunEvent(r.RunId, r.Seq,
            Clock.Parse(r.Ts),
            r.Type, r.ItemId, r.Payload))];
    }

    /// <summary>A run's whole log, read in pages.</summary>
    public async Task<IReadOnlyList<RunEvent>> ReadAllAsync(string runId, CancellationToken ct = default)
    {
        const int page = 5000;
        var all = new List<RunEvent>();
        while (true)
        {
            var next = await ReadAsync(runId, all.Count > 0 ? all[^1].Seq : 0, page, ct);
            all.AddRange(next);
            if (next.Count < page) return all;
        }
    }

    /// <summary>A run's events of the given types, in seq order.</summary>
    public async Task<IReadOnlyList<RunEvent>> ReadOfTypesAsync(string runId, IReadOnlyList<string> types)
    {
        await using var c = await db.OpenAsync();
        var rows = await c.QueryAsync<(string RunId, long Seq, string Ts, string Type, string? ItemId, string Payload)>(
            "SELECT run_id, seq, ts, type, item_id, payload FROM run_events WHERE run_id = @runId AND type IN @types ORDER BY seq;",
            new { runId, types });
        return [.. rows.Select(r => new RunEvent(r.RunId, r.Seq, Clock.Parse(r.Ts), r.Type, r.ItemId, r.Payload))];
    }

    public async Task<IReadOnlyList<RunEvent>> ReadItemAsync(string runId, string itemId)
    {
        await using var c = await db.OpenAsync();
        var rows = await c.QueryAsync<(string RunId, long Seq, string Ts, string Type, string? ItemId, string Payload)>(
            "SELECT run_id, seq, ts, type, item_id, payload FROM run_events WHERE run_id = @runId AND item_id = @itemId ORDER BY seq;",
                new { runId, itemId });
        return [.. rows.Select(r => new RunEvent(r.RunId, r.Seq,
            Clock.Parse(r.Ts),
            r.Type, r.ItemId, r.Payload))];
    }

    public async Task<long> LastSeqAsync(string runId)
    {
        await using var c = await db.OpenAsync();
        return await c.ExecuteScalarAsync<long?>("SELECT MAX(seq) FROM run_events WHERE run_id = @runId;", new { runId }) ?? 0;
    }
}
