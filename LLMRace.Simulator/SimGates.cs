using System.Collections.Concurrent;

namespace LLMRace.Simulator;

/// <summary>
/// Named gates a test opens when it is ready: a model with `gate=NAME` answers nothing until `POST /sim/gates/NAME`,
/// so a test can look at a race's start without racing the race. An opened gate stays open.
/// </summary>
public sealed class SimGates
{
    public const int MaxGates = 1_000;
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _gates = new();

    public Task WaitAsync(string name, CancellationToken ct) => Gate(name)?.Task.WaitAsync(ct)
        ?? throw new InvalidOperationException($"the Simulator holds {MaxGates} gates already");

    /// <summary>Opens the gate; false when the Simulator already holds its most gates.</summary>
    public bool Open(string name)
    {
        if (Gate(name) is not { } gate) return false;
        gate.TrySetResult();
        return true;
    }

    private TaskCompletionSource? Gate(string name) =>
        _gates.TryGetValue(name, out var gate) ? gate
        : _gates.Count >= MaxGates ? null
        : _gates.GetOrAdd(name, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}
