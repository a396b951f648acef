using System.Collections.Concurrent;

namespace LLMRace.Grains.Engine;

/// <summary>
/// Each connection's max concurrency, held across all runs of this process (a local Ollama serves
/// one request at a time, whichever run asks).
/// </summary>
public sealed class ConnectionLimiter
{
    private readonly ConcurrentDictionary<(string Id, int Max), SemaphoreSlim> _slots = new();

    public async Task<IDisposable> AcquireAsync(string connectionId, int maxConcurrency, CancellationToken ct)
    {
        var slot = _slots.GetOrAdd((connectionId, Math.Max(1, maxConcurrency)), key => new SemaphoreSlim(key.Max, key.Max));
        await slot.WaitAsync(ct);
        return new Release(slot);
    }

    private sealed class Release(SemaphoreSlim slot) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) slot.Release();
        }
    }
}
