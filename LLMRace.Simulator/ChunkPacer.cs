using System.Diagnostics;

namespace LLMRace.Simulator;

/// <summary>
/// Paces a response on an absolute schedule from the request's arrival (chunk i at ttft + i * itl),
/// so lateness never accumulates, and records when each chunk was actually written: the truth a
/// benchmark compares LLMRace's measurements with.
/// </summary>
public sealed class ChunkPacer(SimBehaviour behaviour, long arrived)
{
    private readonly List<double> _writtenMs = [];

    public IReadOnlyList<double> WrittenMs => _writtenMs;

    public async Task WaitForChunkAsync(int index, CancellationToken ct)
    {
        var dueMs = behaviour.TtftMs + (double)index * behaviour.ItlMs;
        while (true)
        {
            var remaining = dueMs - Stopwatch.GetElapsedTime(arrived).TotalMilliseconds;
            if (remaining <= 0) return;
            // Timers tick in whole milliseconds and can fire early, so the due time is checked again after each sleep: a
            // chunk is never written before its time, and at most a tick late. No spinning: the CPU a Simulator burns
            // to be punctual is taken from the Api it measures, and the truth log records when each chunk really went.
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Max(1, Math.Ceiling(remaining))), ct);
        }
    }

    public void Written() => _writtenMs.Add(Math.Round(Stopwatch.GetElapsedTime(arrived).TotalMilliseconds, 3));
}

/// <summary>The truth of the most recent requests: when each content chunk was written, by request id.</summary>
public sealed class TruthLog
{
    private const int Capacity = 10_000;
    private readonly Dictionary<string, RequestTruth> _byId = [];
    private readonly Queue<string> _order = new();
    private readonly Lock _lock = new();

    public void Add(RequestTruth truth)
    {
        lock (_lock)
        {
            _byId[truth.RequestId] = truth;
            _order.Enqueue(truth.RequestId);
            while (_order.Count > Capacity) _byId.Remove(_order.Dequeue());
        }
    }

    public RequestTruth? Get(string id)
    {
        lock (_lock) return _byId.GetValueOrDefault(id);
    }

    /// <summary>The requests (of the last <see cref="Capacity"/>) that asked for exactly this model, in the order they ended.</summary>
    public IReadOnlyList<RequestTruth> OfModel(string model)
    {
        lock (_lock) return [.. _order.Select(id => _byId[id]).Where(t => t.Model == model)];
    }
}

public sealed record RequestTruth(string RequestId, string Model, DateTime ArrivedUtc, IReadOnlyList<double> ChunkWrittenMs);
