namespace LLMRace.Grains.Contracts;

/// <summary>One run: a suite raced by a set of cars. Keyed by run id.</summary>
public interface IRunGrain : IGrainWithStringKey
{
    /// <summary>Starts the stored run and returns at once; the race goes on in the background.</summary>
    Task<RunProgress> Start();

    Task<RunProgress> GetProgress();

    /// <summary>Cancels the run, interrupting the item streaming now. Idempotent.</summary>
    Task<RunProgress> Cancel();

    /// <summary>Starts grading the finished run's items with a judge car (its snapshot as JSON). Null when started, else why not.</summary>
    Task<string?> Judge(string judgeCarSnapshotJson, string? rubric);
}
