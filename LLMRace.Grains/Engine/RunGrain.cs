using LLMRace.Grains.Contracts;
using LLMRace.Grains.Results;
using LLMRace.Grains.Storage;
using Microsoft.Extensions.Logging;

namespace LLMRace.Grains.Engine;

/// <summary>
/// The run grain: the one owner of a run's lifecycle. Create, re-run, resume, cancel and judge are its calls, and a
/// grain serves one call at a time, so each decides on the run's state with no other writer in between: a resume
/// and a judge sent together can never both start a writer on the same log. The executor (or the judge) works on
/// the thread pool, off the grain's turn, so the grain keeps answering progress and cancel calls; a keep-alive timer
/// holds the activation until that work has finished and every event is persisted and published.
/// </summary>
public sealed class RunGrain(RaceEngine engine, ILogger<RunGrain> logger) : Grain, IRunGrain, IRemindable
{
    private const string TakeoverReminder = "takeover";

    private RunWork? _executor;
    private Task? _judging;
    private IGrainTimer? _keepAlive;

    private string RunId => this.GetPrimaryKeyString();
    private bool Racing => _executor is { Completion.IsCompleted: false };
    private bool Judging => _judging is { IsCompleted: false };

    public async Task<RunCommandResult> Create(RunPlanRequest request)
    {
        if (await engine.Runs.GetAsync(RunId) is not null) return RunCommandResult.Conflict($"run '{RunId}' exists already");
        var errors = new Dictionary<string, List<string>>();
        if (await engine.Planner.PlanAsync(RunId, request, errors) is not { } plan)
            return RunCommandResult.Invalid(errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
        await engine.Runs.CreateAsync(plan.Run, plan.Items);
        await KeepTakeoverReminderAsync(plan.Run);
        return RunCommandResult.Accepted(StartExecutor(plan.Run));
    }

    public async Task<RunCommandResult> CreateLoadTest(LoadTestRequest request)
    {
        if (await engine.Runs.GetAsync(RunId) is not null) return RunCommandResult.Conflict($"run '{RunId}' exists already");
        var errors = new Dictionary<string, List<string>>();
        if (await engine.Planner.PlanLoadTestAsync(RunId, request, errors) is not { } run)
            return RunCommandResult.Invalid(errors.ToDictionary(e => e.Key, e => e.Value.ToArray()));
        await engine.Runs.CreateAsync(run, []);
        return RunCommandResult.Accepted(StartExecutor(run));
    }

    public async Task<RunCommandResult> RerunOf(string originalRunId)
    {
        if (await engine.Runs.GetAsync(RunId) is not null) return RunCommandResult.Conflict($"run '{RunId}' exists already");
        if (await engine.Runs.GetWithSnapshotAsync(originalRunId) is not { } original)
            return RunCommandResult.NotFound($"run '{originalRunId}' does not exist");
        var (run, items) = engine.Planner.Replan(RunId, original);
        await engine.Runs.CreateAsync(run, items);
        await KeepTakeoverReminderAsync(run);
        return RunCommandResult.Accepted(StartExecutor(run));
    }

    public async Task<RunCommandResult> Resume()
    {
        if (await engine.Runs.GetAsync(RunId) is not { } run) return RunCommandResult.NotFound($"run '{RunId}' does not exist");
        if (run.Kind == RunKinds.Load)
            return RunCommandResult.Conflict($"run '{RunId}' is a load test: its figures hold for one unbroken test; re-run it instead");
        await SettleAsync(run);
        if (Racing) return RunCommandResult.Conflict($"run '{RunId}' is racing: only an interrupted, cancelled or failed run can be " +
            $"resumed");
        if (Judging || run.Judging) return RunCommandResult.Conflict($"a judge is grading run '{RunId}'");
        if (run.Status is not (RunStatus.Interrupted or RunStatus.Cancelled or RunStatus.Failed))
            return RunCommandResult.Conflict($"run '{RunId}' is {run.Status}: only an interrupted, cancelled or failed run can be resumed");
        var toRace = await engine.Runs.PrepareResumeAsync(RunId);
        run = await engine.Runs.GetWithSnapshotAsync(RunId)
            ?? throw new KeyNotFoundException($"run {RunId} vanished while it was resumed");
        await KeepTakeoverReminderAsync(run);
        return RunCommandResult.Accepted(StartExecutor(run), toRace);
    }

    public async Task<RunCommandResult> Cancel()
    {
        if (await engine.Runs.GetAsync(RunId) is not { } run) return RunCommandResult.NotFound($"run '{RunId}' does not exist");
        if (_executor is null)
        {
            // Not started in this activation: a queued run is started only to end it as cancelled.
            if (run.Status != RunStatus.Queued) return RunCommandResult.Accepted(await StoredProgressAsync(run));
            StartExecutor(await engine.Runs.GetWithSnapshotAsync(RunId) ?? run);
        }
        _executor!.Cancel();
        return RunCommandResult.Accepted(_executor.Progress);
    }

    public async Task<RunCommandResult> Judge(string judgeCarId, string? rubric)
    {
        if (await engine.Runs.GetWithSnapshotAsync(RunId) is not { } run) return RunCommandResult.NotFound($"run '{RunId}' does not exist");
        if (run.Kind == RunKinds.Load) return RunCommandResult.Conflict($"run '{RunId}' is a load test: it keeps no answers to judge");
        if (await engine.Planner.SnapshotOfCarAsync(judgeCarId) is not { } judge)
            return RunCommandResult.Invalid(new() { ["judge_car_id"] = [$"car '{judgeCarId}' does not exist"] });
        await SettleAsync(run);
        if (Racing) return RunCommandResult.Conflict("the run is still racing: judge it when it has finished");
        if (Judging || run.Judging) return RunCommandResult.Conflict("a judge is already grading this run");
        if (!RunStatus.IsFinished(run.Status)) return RunCommandResult.Conflict($"the run is {run.Status}: judge it when it has finished");
        // Set before the first judge event, so readers at the run's end know more is coming.
        await engine.Runs.SetJudgingAsync(run.Id, true);
        var runner = new JudgeRunner(engine, run, judge, rubric);
        _judging = Task.Run(runner.RunAsync);
        KeepAlive();
        logger.LogInformation("Run {RunId}: judge {Judge} started", run.Id, judge.Name);
        return RunCommandResult.Accepted(await StoredProgressAsync(run));
    }

    public async Task<RunCommandResult> GradeByHand(string itemId, ManualGrade grade)
    {
        if (await engine.Runs.GetAsync(RunId) is not { } run) return RunCommandResult.NotFound($"run '{RunId}' does not exist");
        if (await engine.Runs.GetItemAsync(RunId, itemId) is not { } item)
            return RunCommandResult.NotFound($"item '{itemId}' is not in run '{RunId}'");
        if (item.Status is not (ItemStatus.Passed or ItemStatus.Failed))
            return RunCommandResult.Conflict($"item '{itemId}' is {item.Status}: only an item with an output (passed or failed) is graded");
        await engine.Runs.SaveManualGradeAsync(itemId, RaceJson.Serialize(grade with { GradedAt = engine.Time.NowText() }));
        return RunCommandResult.Accepted(await StoredProgressAsync(run));
    }

    public async Task<RunCommandResult> Delete()
    {
        if (await engine.Runs.GetAsync(RunId) is not { } run) return RunCommandResult.NotFound($"run '{RunId}' does not exist");
        await SettleAsync(run);
        if (Racing || run.Status is RunStatus.Queued or RunStatus.Running)
            return RunCommandResult.Conflict($"run '{RunId}' is {run.Status}: cancel it before deleting it");
        if (Judging || run.Judging) return RunCommandResult.Conflict($"a judge is grading run '{RunId}': delete it when the judge is done");
        await engine.Runs.DeleteAsync(RunId);
        logger.LogInformation("Run {RunId} deleted", RunId);
        var gone = new RunProgress(RunId, run.Status, run.ItemsTotal, run.ItemsDone, 0);
        _executor = null;
        DeactivateOnIdle();
        return RunCommandResult.Accepted(gone);
    }

    /// <summary>
    /// The keep-alive timer holds the activation while the run races, so a deactivation then means the silo is
    /// stopping: the run ends interrupted (resumable), its log closed, while the silo still serves its streams.
    /// </summary>
    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken ct)
    {
        if (_executor is not { Completion.IsCompleted: false } running) return;
        if (engine.Topology.Clustered)
        {
            // Its reminder wakes the grain on another silo, which races the rest: the run goes on, not interrupted.
            logger.LogWarning("Run {RunId} is handed over: its grain is deactivating ({Reason})", RunId, reason.Description);
            running.HandOver();
        }
        else
        {
            logger.LogWarning("Run {RunId} is interrupted: its grain is deactivating ({Reason})", RunId, reason.Description);
            running.Interrupt();
        }
        try
        {
            await running.Completion.WaitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            logger.LogWarning("Run {RunId} was still closing when its grain had to go; the next start marks it interrupted", RunId);
        }
    }

    public async Task<RunProgress> GetProgress()
    {
        if (_executor is not null) return _executor.Progress;
        var run = await engine.Runs.GetAsync(RunId) ?? throw new KeyNotFoundException($"run {RunId} does not exist");
        return await StoredProgressAsync(run);
    }

    /// <summary>
    /// A finished run's terminal event goes out before its executor has closed (its last flush): a call that comes in
    /// between, as a delete or a judge right after the finish does, waits for that instead of being refused as racing.
    /// </summary>
    private async Task SettleAsync(RunRow run)
    {
        if (!Racing || !RunStatus.IsFinished(run.Status)) return;
        try
        {
            await _executor!.Completion.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Still closing after that, or ended with an error CheckFinishedAsync logs: the caller hears it is racing.
        }
    }

    private async Task<RunProgress> StoredProgressAsync(RunRow run) =>
        new(run.Id, run.Status, run.ItemsTotal, run.ItemsDone, await engine.Events.LastSeqAsync(run.Id));

    private RunProgress StartExecutor(RunRow run, IReadOnlySet<string>? takenOver = null)
    {
        _executor = run.Kind == RunKinds.Load ? new Load.LoadTestExecutor(engine, run) : new RunExecutor(engine, run, takenOver);
        _executor.Start();
        KeepAlive();
        logger.LogInformation("Run {RunId} started: {Items} items ({Kind})", run.Id, run.ItemsTotal, run.Kind);
        return _executor.Progress;
    }

    /// <summary>
    /// In a cluster, a racing run keeps a reminder: if its silo is lost, the reminder wakes its grain on another. A load test
    /// keeps none: taken over, its figures would mix two machines (it ends interrupted).
    /// </summary>
    private async Task KeepTakeoverReminderAsync(RunRow run)
    {
        if (engine.Topology.Clustered && run.Kind == RunKinds.Race)
            await this.RegisterOrUpdateReminder(TakeoverReminder, RaceTopology.TakeoverCheck, RaceTopology.TakeoverCheck);
    }

    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != TakeoverReminder || Racing) return;
        var run = await engine.Runs.GetAsync(RunId);
        if (run is not { Status: RunStatus.Running or RunStatus.Queued })
        {
            await DropTakeoverReminderAsync();
            return;
        }
        // Racing in the store, not here: the silo racing it was lost, or left and handed it over; unless its heartbeat says
        // it still races somewhere (a second activation of this grain while the first lives), which this one leaves alone.
        if (run.HeartbeatAt is { } beat && engine.Time.UtcNow() - Clock.Parse(beat) < RaceTopology.HeartbeatSilence) return;
        var inFlight = await engine.Runs.PrepareTakeoverAsync(RunId);
        run = await engine.Runs.GetWithSnapshotAsync(RunId)
            ?? throw new KeyNotFoundException($"run {RunId} vanished while it was taken over");
        logger.LogWarning("Run {RunId} taken over: its silo was lost or left; {InFlight} item(s) in flight raced again", RunId,
            inFlight.Count);
        StartExecutor(run, inFlight.ToHashSet());
    }

    private void KeepAlive() =>
        _keepAlive ??= this.RegisterGrainTimer(CheckFinishedAsync, new GrainTimerCreationOptions(TimeSpan.FromSeconds(1),
            TimeSpan.FromSeconds(1)) { KeepAlive = true });

    private async Task CheckFinishedAsync(CancellationToken ct)
    {
        if (Racing || Judging) return;
        if (_executor?.Completion.Exception is { } e) logger.LogError(e, "Run {RunId} ended with an unexpected error", RunId);
        _keepAlive?.Dispose();
        _keepAlive = null;
        if (engine.Topology.Clustered) await DropTakeoverReminderAsync();
    }

    private async Task DropTakeoverReminderAsync()
    {
        if (await this.GetReminder(TakeoverReminder) is { } reminder) await this.UnregisterReminder(reminder);
    }
}
