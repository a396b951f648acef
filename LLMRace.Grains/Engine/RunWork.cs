using LLMRace.Grains.Contracts;

namespace LLMRace.Grains.Engine;

/// <summary>
/// What a run grain drives: a race's executor or a load test's, working on the thread pool, off the grain's turn. The
/// lifecycle is shared; what the work does, and how it hands over when its silo leaves, is each one's own.
/// </summary>
public abstract class RunWork
{
    private readonly CancellationTokenSource _cancel = new();
    private Task? _work;
    private bool _interrupted;

    public Task Completion => _work ?? Task.CompletedTask;

    public abstract RunProgress Progress { get; }

    public void Start() => _work ??= Task.Run(RunAsync);

    /// <summary>Ends the run cancelled, interrupting what is in flight. Idempotent.</summary>
    public void Cancel()
    {
        if (!_cancel.IsCancellationRequested) _cancel.Cancel();
    }

    /// <summary>Ends the run because the process is stopping: as cancel, but the run ends interrupted.</summary>
    public void Interrupt()
    {
        Volatile.Write(ref _interrupted, true);
        Cancel();
    }

    /// <summary>Stops here because this silo leaves a cluster, for another silo to take the run over.</summary>
    public abstract void HandOver();

    protected CancellationToken Cancellation => _cancel.Token;

    protected bool CancelRequested => _cancel.IsCancellationRequested;

    protected bool Interrupted => Volatile.Read(ref _interrupted);

    protected abstract Task RunAsync();
}
