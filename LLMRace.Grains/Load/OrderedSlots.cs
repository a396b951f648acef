namespace LLMRace.Grains.Load;

/// <summary>
/// An open-loop step's concurrency limit, its slots taken in the schedule's order. Two keepers send at once, and when
/// every slot is busy a request waits for one; without an order the next request, waiting beside it, could take the slot
/// first (a semaphore wakes its waiters in no set order) and go out before it.
/// </summary>
public sealed class OrderedSlots(int count) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(count, count);
    private readonly object _turnGate = new();
    private long _turn;

    /// <summary>Takes a slot for request <paramref name="index"/> once every earlier request has taken its own (or given up
    /// waiting, cancelled). Every index from 0 is to be passed once.</summary>
    public void Take(long index, CancellationToken ct)
    {
        lock (_turnGate)
        {
            while (_turn != index) Monitor.Wait(_turnGate);
        }
        try
        {
            _slots.Wait(ct);
        }
        finally
        {
            lock (_turnGate)
            {
                _turn = index + 1;
                Monitor.PulseAll(_turnGate);
            }
        }
    }

    public void Release() => _slots.Release();

    public void Dispose() => _slots.Dispose();
}
