namespace LLMRace.Grains.Contracts;

/// <summary>One run: a suite raced by a set of cars. Keyed by run id.</summary>
public interface IRunGrain : IGrainWithStringKey
{
    /// <summary>Starts the stored run and returns at once; the race goes on in the background.</summary>
    Task<RunProgress> Start();

    Task<RunProgress> GetProgress();

    /// <summary>Cancels the run, interrupting the item streaming now. Idempotent.</summary>
    Task<RunProgress> Cancel();
}
