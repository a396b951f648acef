namespace LLMRace.Grains.Engine;

/// <summary>
/// Each connection's max concurrency, held across all runs of this process (a local Ollama serves one request at a
/// time, whichever run asks). One gate per connection id, whose limit is the one the latest request brought: a limit
/// lowered mid-run lets no new request in until enough have finished, and a raised one lets more in at once.
/// System.Threading.RateLimiting's limiters fix their permit count when made, so they could not follow an edit.
/// </summary>
public sealed class ConnectionLimiter
{
    private readonly Dictionary<string, Gate> _gates = [];

    public async Task<IDisposable> AcquireAsync(string connectionId, int maxConcurrency, CancellationToken ct)
    {
        Gate gate;
        TaskCompletionSource entered;
        lock (_gates)
        {
            if (!_gates.TryGetValue(connectionId, out gate!)) _gates[connectionId] = gate = new Gate();
            gate.Limit = Math.Max(1, maxConcurrency);
            LetIn(gate); // a raised limit first lets in those already waiting
            if (gate.Running < gate.Limit && gate.Waiting.Count == 0)
            {
                gate.Running++;
                return new Release(this, gate);
            }
            entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            gate.Waiting.AddLast(entered);
        }
        using (ct.Register(() =>
        {
            lock (_gates)
            {
                if (gate.Waiting.Remove(entered)) entered.TrySetCanceled(ct);
            }
        }))
        {
            await entered.Task;
        }
        return new Release(this, gate);
    }

    /// <summary>How many requests of the connection are in flight now.</summary>
    public int Running(string connectionId)
    {
        lock (_gates) return _gates.TryGetValue(connectionId, out var gate) ? gate.Running : 0;
    }

    private void Leave(Gate gate)
    {
        lock (_gates)
        {
            gate.Running--;
            LetIn(gate);
        }
    }

    /// <summary>Lets waiting requests in, oldest first, while the gate has room. Called under the lock.</summary>
    private static void LetIn(Gate gate)
    {
        while (gate.Running < gate.Limit && gate.Waiting.First is { } next)
        {
            gate.Waiting.RemoveFirst();
            gate.Running++;
            next.Value.TrySetResult();
        }
    }

    private sealed class Gate
    {
        public int Limit = 1;
        public int Running;
        public readonly LinkedList<TaskCompletionSource> Waiting = new();
    }

    private sealed class Release(ConnectionLimiter limiter, Gate gate) : IDisposable
    {
        private int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) limiter.Leave(gate);
        }
    }
}
