namespace LLMRace.Grains.Contracts;

/// <summary>
/// One run, keyed by its id: the one owner of its lifecycle. Planning, start, resume, cancel and judging all go
/// through it, and a grain takes one call at a time, so no two of them can ever write the run's log at once.
/// </summary>
public interface IRunGrain : IGrainWithStringKey
{
    /// <summary>Plans a new run (checks the suite and cars, snapshots them, stores the items) and starts it.</summary>
    Task<RunCommandResult> Create(RunPlanRequest request);

    /// <summary>Plans a load test (checks the profile, suite and car, snapshots them) and starts it.</summary>
    Task<RunCommandResult> CreateLoadTest(LoadTestRequest request);

    /// <summary>A new run (this grain's) of another run's suite and cars, exactly as that one raced them.</summary>
    Task<RunCommandResult> RerunOf(string originalRunId);

    /// <summary>Races again the unfinished items of an interrupted, cancelled or failed run; its log goes on.</summary>
    Task<RunCommandResult> Resume();

    /// <summary>Cancels the run, interrupting the items streaming now. Idempotent.</summary>
    Task<RunCommandResult> Cancel();

    /// <summary>Starts grading the finished run's items with a judge car.</summary>
    Task<RunCommandResult> Judge(string judgeCarId, string? rubric);

    /// <summary>Deletes the run with its items and events; a run that races or is being judged must finish (or be cancelled)
    /// first.</summary>
    Task<RunCommandResult> Delete();

    /// <summary>A person's grade of one finished item (passed or failed), replacing any earlier one of theirs.</summary>
    Task<RunCommandResult> GradeByHand(string itemId, Results.ManualGrade grade);

    Task<RunProgress> GetProgress();
}
