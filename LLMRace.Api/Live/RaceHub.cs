using System.Runtime.CompilerServices;
using LLMRace.Grains.Storage;
using Microsoft.AspNetCore.SignalR;

namespace LLMRace.Api.Live;

/// <summary>
/// The race hub (/hubs/race). A client joins a run with the last seq it has seen and receives every
/// later event once, in order: the same replay-then-live reader as the SSE stream.
/// </summary>
public sealed class RaceHub(RunEventReader reader, RunStore runs) : Hub
{
    public async IAsyncEnumerable<RawEventJson> Join(string runId, long afterSeq, [EnumeratorCancellation] CancellationToken ct)
    {
        if (await runs.GetAsync(runId) is null) throw new HubException($"run '{runId}' does not exist");
        if (afterSeq < 0) throw new HubException("afterSeq must be 0 or more");
        await foreach (var e in reader.ReadAsync(runId, afterSeq, ct))
            yield return new RawEventJson(e.Json);
    }
}
