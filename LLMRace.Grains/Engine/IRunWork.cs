using LLMRace.Grains.Contracts;

namespace LLMRace.Grains.Engine;

/// <summary>What a run grain drives: a race's executor or a load test's, working off the grain's turn.</summary>
public interface IRunWork
{
    Task Completion { get; }

    RunProgress Progress { get; }

    void Start();

    /// <summary>Ends the run cancelled, interrupting what is in flight. Idempotent.</summary>
    void Cancel();

    /// <summary>Ends the run because the process is stopping: as cancel, but the run ends interrupted.</summary>
    void Interrupt();

    /// <summary>Stops here because this silo leaves a cluster, for another silo to take the run over.</summary>
    void HandOver();
}
