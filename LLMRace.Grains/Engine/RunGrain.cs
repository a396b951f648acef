using LLMRace.Grains.Contracts;
using Microsoft.Extensions.Logging;

namespace LLMRace.Grains.Engine;

/// <summary>
/// The run grain: owns a run's executor. Start returns at once; the executor races on the thread pool
/// while the grain keeps serving progress and cancel calls. A keep-alive timer holds the activation
/// until the run has finished and every event is persisted and published.
/// </summary>
public sealed class RunGrain(RaceEngine engine, ILogger<RunGrain> logger) : Grain, IRunGrain
{
    private RunExecutor? _executor;
    private Task? _judging;
    private IGrainTimer? _keepAlive;

    private string RunId => this.GetPrimaryKeyString();

    public async Task<RunProgress> Start()
    {
        if (_executor is { Completion.IsCompleted: false }) return _executor.Progress;
        var run = await engine.Runs.GetAsync(RunId) ?? throw new KeyNotFoundException($"run {RunId} does not exist");
        if (run.Status != RunStatus.Queued) return new RunProgress(run.Id, run.Status, run.ItemsTotal, run.ItemsDone, await engine.Events.LastSeqAsync(run.Id));

        _executor = new RunExecutor(engine, run);
        _executor.Start();
        engine.Active.Add(run.Id, _executor);
        _keepAlive = this.RegisterGrainTimer(CheckFinishedAsync, new GrainTimerCreationOptions(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)) { KeepAlive = true });
        logger.LogInformation("Run {RunId} started: {Items} items", run.Id, run.ItemsTotal);
        return _executor.Progress;
    }

    public async Task<RunProgress> GetProgress()
    {
        if (_executor is not null) return _executor.Progress;
        var run = await engine.Runs.GetAsync(RunId) ?? throw new KeyNotFoundException($"run {RunId} does not exist");
        return new RunProgress(run.Id, run.Status, run.ItemsTotal, run.ItemsDone, await engine.Events.LastSeqAsync(run.Id));
    }

    public async Task<RunProgress> Cancel()
    {
        if (_executor is null)
        {
            // Not started in this activation: a queued run is started only to end it as cancelled.
            var run = await engine.Runs.GetAsync(RunId) ?? throw new KeyNotFoundException($"run {RunId} does not exist");
            if (run.Status != RunStatus.Queued) return await GetProgress();
            await Start();
        }
        _executor!.Cancel();
        return _executor.Progress;
    }

    public async Task<string?> Judge(string judgeCarSnapshotJson, string? rubric)
    {
        if (_executor is { Completion.IsCompleted: false }) return "the run is still racing: judge it when it has finished";
        if (_judging is { IsCompleted: false }) return "a judge is already grading this run";
        var run = await engine.Runs.GetAsync(RunId) ?? throw new KeyNotFoundException($"run {RunId} does not exist");
        if (!RunStatus.IsFinished(run.Status)) return $"the run is {run.Status}: judge it when it has finished";
        var judge = RaceJson.Deserialize<CarSnapshot>(judgeCarSnapshotJson)!;
        // Set before the first judge event, so readers at the run's end know more is coming.
        await engine.Runs.SetJudgingAsync(run.Id, true);
        var runner = new JudgeRunner(engine, run, judge, rubric);
        _judging = Task.Run(runner.RunAsync);
        _keepAlive ??= this.RegisterGrainTimer(CheckFinishedAsync, new GrainTimerCreationOptions(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)) { KeepAlive = true });
        logger.LogInformation("Run {RunId}: judge {Judge} started", run.Id, judge.Name);
        return null;
    }

    private Task CheckFinishedAsync(CancellationToken ct)
    {
        if (_judging is { IsCompleted: false }) return Task.CompletedTask;
        if (_executor is null || _executor.Completion.IsCompleted)
        {
            if (_executor?.Completion.Exception is { } e) logger.LogError(e, "Run {RunId} ended with an unexpected error", RunId);
            _keepAlive?.Dispose();
            _keepAlive = null;
        }
        return Task.CompletedTask;
    }
}
