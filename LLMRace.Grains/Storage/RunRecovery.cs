using LLMRace.Grains.Contracts;
using LLMRace.Grains.Engine;
using Microsoft.Extensions.Logging;

namespace LLMRace.Grains.Storage;

/// <summary>
/// At start-up, runs that a previous process left queued or running are marked interrupted and their
/// event logs closed with a run.failed event, so no run is left hanging and every stream ends.
/// </summary>
public sealed class RunRecovery(RunStore runs, EventStore events, TimeProvider time, ILogger<RunRecovery> logger)
{
    public async Task<int> MarkInterruptedAsync()
    {
        IReadOnlyList<RunRow> unfinished = await runs.ListUnfinishedAsync();
        foreach (var run in unfinished.Where(r => r.Judging && RunStatus.IsFinished(r.Status)))
        {
            await runs.SetJudgingAsync(run.Id, false);
            await events.AppendAsync([RunEventFactory.Create(run.Id, await events.LastSeqAsync(run.Id) + 1, time.UtcNow(),
                EventTypes.JudgeFailed, null,
                new { error = "the Api stopped while the judge was grading; grades given so far are kept" })]);
            logger.LogWarning("Run {RunId} was being judged when a previous process stopped; the judge is closed", run.Id);
        }
        unfinished = [.. unfinished.Where(r => !RunStatus.IsFinished(r.Status))];
        foreach (var run in unfinished)
        {
            var now = time.NowText();
            const string reason = RunExecutor.RunRecoveryReason;
            await runs.MarkFinishedAsync(run.Id, RunStatus.Interrupted, reason, now);
            var seq = await events.LastSeqAsync(run.Id) + 1;
            await events.AppendAsync([RunEventFactory.Create(run.Id, seq, time.UtcNow(), EventTypes.RunFailed, null,
                new { status = RunStatus.Interrupted, error = reason })]);
            logger.LogWarning("Run {RunId} was left {Status} by a previous process; marked interrupted", run.Id, run.Status);
        }
        foreach (var run in await runs.ListFinishedWithOpenLogAsync())
        {
            await events.AppendAsync([RunEventFactory.Create(run.Id, await events.LastSeqAsync(run.Id) + 1, time.UtcNow(),
                run.Status switch
                {
                    RunStatus.Completed => EventTypes.RunCompleted,
                    RunStatus.Cancelled => EventTypes.RunCancelled,
                    _ => EventTypes.RunFailed,
                }, null, new { status = run.Status, error = run.Error, items_total = run.ItemsTotal, items_done = run.ItemsDone,
                    closed_at_start = true })]);
            logger.LogWarning("Run {RunId} had ended {Status} without the event that says so (a previous process stopped in " +
                "between); its log is closed", run.Id, run.Status);
        }
        return unfinished.Count;
    }
}
