using Microsoft.AspNetCore.Mvc;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using LLMRace.Api.Infrastructure;
using LLMRace.Api.Live;
using LLMRace.Grains.Contracts;
using LLMRace.Grains.Measurement;
using LLMRace.Grains.Results;
using LLMRace.Grains.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LLMRace.Api.Endpoints;

public sealed record RunInput(string? SuiteId, IReadOnlyList<string>? CarIds, RunSettingsInput? Settings);

public sealed record RunSettingsInput(int? Concurrency, int? Repeats);

public sealed record RunsToDelete(IReadOnlyList<string>? RunIds)
{
    public const int Max = 500;
}

public sealed record RunsDeleted(IReadOnlyList<string> Deleted);

/// <param name="CarNames">The cars as they raced (their names then), with the run's pass rate over finished items, its
/// duration and the median TTFT of its measured items: what Run History shows of each run.</param>
public sealed record RunView(
    string Id, string SuiteId, string SuiteName, string Status, RunSettings Settings, IReadOnlyList<string> CarIds,
    int ItemsTotal, int ItemsDone, string? Error, bool IsBaseline, bool Judging, string CreatedAt, string? StartedAt, string? FinishedAt,
    IReadOnlyList<string> CarNames, double? PassRate, double? DurationS, double? TtftP50Ms, string Kind)
{
    public static RunView From(RunRow r, RunSummary? summary) => new(
        r.Id, r.SuiteId, r.SuiteName, r.Status,
        r.Kind == RunKinds.Race ? RaceJson.Deserialize<RunSettings>(r.SettingsJson) ?? new() : new(),
        r.CarIds.Split(',', StringSplitOptions.RemoveEmptyEntries), r.ItemsTotal, r.ItemsDone, r.Error, r.IsBaseline, r.Judging,
        r.CreatedAt, r.StartedAt, r.FinishedAt, summary?.Cars ?? [],
        summary is { Finished: > 0 } s ? Scorecards.Rate(s.Passed, s.Finished) : null, Duration(r), summary?.TtftP50Ms, r.Kind);

    private static double? Duration(RunRow r) => r.StartedAt is { } start && r.FinishedAt is { } end
        ? Math.Round((DateTime.Parse(end, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal)
            - DateTime.Parse(start, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal)).TotalSeconds, 2)
        : null;
}

/// <summary>
/// An item as raced. Its metrics, checks and grade are typed (and so are the UI's copies of them); its tool calls and
/// the server's own timings are what the provider sent, as it sent them.
/// </summary>
public sealed record RunItemView(
    string Id, int Ordinal, string TestId, string TestName, string CarId, string CarName, int RepeatIndex, string Status,
    string? Output, string? Reasoning, JsonNode? ToolCalls, string? Error, ItemMetrics? Metrics, ItemChecks? Checks,
    JudgeGrade? Judge, JsonNode? ServerTimings, int Retries, string? StartedAt, string? FinishedAt, ManualGrade? ManualGrade = null)
{
    public static RunItemView From(RunItemRow r) => new(
        r.Id, r.Ordinal, r.TestId, r.TestName, r.CarId, r.CarName, r.RepeatIndex, r.Status, r.Output, r.Reasoning,
        Parse(r.ToolCallsJson), r.Error, Read<ItemMetrics>(r.MetricsJson), Read<ItemChecks>(r.ChecksJson), Read<JudgeGrade>(r.JudgeJson),
        Parse(r.ServerTimingsJson), r.Retries, r.StartedAt, r.FinishedAt, Read<ManualGrade>(r.ManualGradeJson));

    private static T? Read<T>(string? json) where T : class => json is null ? null : RaceJson.Deserialize<T>(json);

    private static JsonNode? Parse(string? json) => json is null ? null : JsonNode.Parse(json);
}

/// <summary>A run just made (by a start or a re-run): where it is and how much it will race.</summary>
public sealed record RunCreated(string Id, string Status, int ItemsTotal)
{
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? RerunOf { get; init; }
}

public sealed record RunCancelling(string Id, string Status, int ItemsDone, int ItemsTotal);

public sealed record RunResuming(string Id, string Status, int? ItemsToRace);

public static class RunEndpoints
{
    public static void MapRunEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/runs").WithTags("Runs");

        group.MapGet("/", async Task<Results<Ok<IEnumerable<RunView>>, ValidationProblem>> (HttpResponse response, RunStore runs,
            int? limit, int? offset,
            [FromQuery(Name = "suite_id")] string? suiteId, [FromQuery(Name = "car_id")] string? carId,
            string? status, string? kind, DateTimeOffset? from, DateTimeOffset? to) =>
        {
            var errors = new Errors();
            var take = errors.Range("limit", limit, 50, 1, 500);
            var skip = errors.Range("offset", offset, 0, 0, int.MaxValue);
            string[] statuses = [RunStatus.Queued, RunStatus.Running, RunStatus.Completed, RunStatus.Failed, RunStatus.Cancelled,
                RunStatus.Interrupted];
            if (status is not null && !statuses.Contains(status)) errors.Add("status",
                $"'{status}' is not a run status: use one of {string.Join(", ", statuses)}");
            if (kind is not null and not (RunKinds.Race or RunKinds.Load)) errors.Add("kind",
                $"'{kind}' is not a kind of run: use {RunKinds.Race} or {RunKinds.Load}");
            if (errors.Any) return Problems.Invalid(errors.ByField);
            var filter = new RunFilter(suiteId, carId, status,
                from is null ? null : Clock.Text(from.Value.UtcDateTime), to is null ? null : Clock.Text(to.Value.UtcDateTime), kind);
            var (page, total) = await runs.ListAsync(filter, take, skip);
            response.Headers["X-Total-Count"] = total.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var summaries = await runs.SummariesAsync([.. page.Select(r => r.Id)]);
            return TypedResults.Ok(page.Select(r => RunView.From(r, summaries.GetValueOrDefault(r.Id))));
        }).WithSummary("Run history, newest first: filter by suite_id, car_id, status, kind (race or load), from and to (ISO dates); " +
            "X-Total-Count gives the total.");

        group.MapGet("/{id}", async Task<Results<Ok<RunView>, ProblemHttpResult>> (string id, RunStore runs) =>
            await runs.GetAsync(id) is { } run
                ? TypedResults.Ok(RunView.From(run, (await runs.SummariesAsync([id])).GetValueOrDefault(id)))
                : Problems.NotFound("run", id));

        group.MapGet("/{id}/items", ItemsAsync)
            .WithSummary("A run's items in race order: all of them, or a page (limit, offset) filtered by status, car_id and test_id, " +
                "with X-Total-Count.");

        group.MapPost("/", CreateAsync);

        group.MapPost("/{id}/cancel", async Task<Results<Accepted<RunCancelling>, ValidationProblem, ProblemHttpResult>> (string id,
            IGrainFactory grains) =>
            Answer(await grains.GetGrain<IRunGrain>(id).Cancel(), "run", id, progress =>
                TypedResults.Accepted($"/api/runs/{id}", new RunCancelling(id, progress.Status, progress.ItemsDone, progress.ItemsTotal))));

        group.MapDelete("/{id}", async Task<Results<NoContent, ValidationProblem, ProblemHttpResult>> (string id, IGrainFactory grains) =>
                Answer(await grains.GetGrain<IRunGrain>(id).Delete(), "run", id, _ => TypedResults.NoContent()))
            .WithSummary("Deletes a run with its items and events; a racing run must be cancelled first (409).");
        group.MapPost("/delete", DeleteManyAsync)
            .WithSummary("Deletes several runs with their items and events: all of them, or (400, 404, 409) none.");

        group.MapPost("/{id}/resume", ResumeAsync)
            .WithSummary("Races again the unfinished items of an interrupted, cancelled or failed run; its stream goes on from the last " +
                "seq.");
        group.MapPost("/{id}/rerun", RerunAsync)
            .WithSummary("A new run of the same suite and cars, as the original raced them.");

        group.MapGet("/{id}/stream", StreamAsync)
            .WithSummary("The run's events as Server-Sent Events: replay after Last-Event-ID (or ?after=N), then live, ending with the " +
                "run's terminal event.");
    }

    private static async Task<Results<Created<RunCreated>, ValidationProblem, ProblemHttpResult>> CreateAsync(RunInput input,
        IGrainFactory grains)
    {
        var id = Ids.New("run");
        var request = new RunPlanRequest(input.SuiteId, input.CarIds?.ToArray(), input.Settings?.Concurrency, input.Settings?.Repeats);
        return Answer(await grains.GetGrain<IRunGrain>(id).Create(request), "run", id, progress =>
            TypedResults.Created($"/api/runs/{id}", new RunCreated(id, progress.Status, progress.ItemsTotal)));
    }

    private static async Task<Results<Ok<IEnumerable<RunItemView>>, ValidationProblem, ProblemHttpResult>> ItemsAsync(string id,
        HttpResponse response, RunStore runs, int? limit, int? offset, string? status, [FromQuery(Name = "car_id")] string? carId,
        [FromQuery(Name = "test_id")] string? testId)
    {
        if (await runs.GetAsync(id) is null) return Problems.NotFound("run", id);
        if (limit is null && offset is null && status is null && carId is null && testId is null)
            return TypedResults.Ok((await runs.GetItemsAsync(id)).Select(RunItemView.From));
        var errors = new Errors();
        var take = errors.Range("limit", limit, 100, 1, 1000);
        var skip = errors.Range("offset", offset, 0, 0, int.MaxValue);
        string[] statuses = [ItemStatus.Pending, ItemStatus.Running, ItemStatus.Passed, ItemStatus.Failed, ItemStatus.Error,
            ItemStatus.Cancelled];
        if (status is not null && !statuses.Contains(status))
            errors.Add("status", $"'{status}' is not an item status: use one of {string.Join(", ", statuses)}");
        if (errors.Any) return Problems.Invalid(errors.ByField);
        var (page, total) = await runs.ListItemsAsync(id, new ItemFilter(status, carId, testId), take, skip);
        response.Headers["X-Total-Count"] = total.ToString(CultureInfo.InvariantCulture);
        return TypedResults.Ok(page.Select(RunItemView.From));
    }

    /// <summary>Checks every run first, so a bad list deletes nothing; then each run's grain deletes it.</summary>
    private static async Task<Results<Ok<RunsDeleted>, ValidationProblem, ProblemHttpResult>> DeleteManyAsync(RunsToDelete input,
        RunStore runs, IGrainFactory grains)
    {
        var ids = input.RunIds ?? [];
        if (ids.Count == 0) return Problems.Invalid("run_ids", "name at least one run");
        if (ids.Count > RunsToDelete.Max) return Problems.Invalid("run_ids", $"at most {RunsToDelete.Max} runs at once");
        if (ids.Distinct().Count() != ids.Count) return Problems.Invalid("run_ids", "a run is named twice");
        foreach (var id in ids)
        {
            if (await runs.GetAsync(id) is not { } run) return Problems.NotFound("run", id);
            if (run.Status is RunStatus.Queued or RunStatus.Running || run.Judging)
                return Problems.Conflict($"run '{id}' is {(run.Judging ? "being judged" : run.Status)}: nothing was deleted");
        }
        var deleted = new List<string>();
        foreach (var id in ids)
        {
            var result = await grains.GetGrain<IRunGrain>(id).Delete();
            if (result.Outcome != RunCommandOutcome.Accepted)
                return Problems.Conflict($"{result.Message}; deleted before it: " +
                    (deleted.Count == 0 ? "none" : string.Join(", ", deleted)));
            deleted.Add(id);
        }
        return TypedResults.Ok(new RunsDeleted(deleted));
    }

    /// <summary>Races again what a stopped run left unfinished, in the same run: its log goes on from the last seq.</summary>
    private static async Task<Results<Accepted<RunResuming>, ValidationProblem, ProblemHttpResult>> ResumeAsync(string id,
        IGrainFactory grains)
    {
        var result = await grains.GetGrain<IRunGrain>(id).Resume();
        return Answer(result, "run", id, progress =>
            TypedResults.Accepted($"/api/runs/{id}/stream", new RunResuming(id, progress.Status, result.ItemsToRace)));
    }

    /// <summary>A new run of the same suite and cars, exactly as the original raced them.</summary>
    private static async Task<Results<Created<RunCreated>, ValidationProblem, ProblemHttpResult>> RerunAsync(string id,
        IGrainFactory grains)
    {
        var newId = Ids.New("run");
        return Answer(await grains.GetGrain<IRunGrain>(newId).RerunOf(id), "run", id, progress =>
            TypedResults.Created($"/api/runs/{newId}", new RunCreated(newId, progress.Status, progress.ItemsTotal) { RerunOf = id }));
    }

    /// <summary>A run grain's answer to a command, as HTTP: <paramref name="accepted"/> for a yes, else 400, 404 or 409 saying
    /// why.</summary>
    public static Results<TAccepted, ValidationProblem, ProblemHttpResult> Answer<TAccepted>(
        RunCommandResult result, string what, string id, Func<RunProgress,
            TAccepted> accepted) where TAccepted : IResult => result.Outcome switch
    {
        RunCommandOutcome.Accepted => accepted(result.Progress!),
        RunCommandOutcome.Invalid => Problems.Invalid(result.Errors!.ToDictionary(e => e.Key, e => e.Value.ToList())),
        RunCommandOutcome.NotFound => Problems.NotFound(what, id),
        _ => Problems.Conflict(result.Message ?? "the run cannot do that now"),
    };

    private static async Task<Results<RunEventStreamResult, ValidationProblem, ProblemHttpResult>> StreamAsync(string id,
        HttpRequest request, RunStore runs, RunEventReader reader, long? after, CancellationToken ct)
    {
        if (await runs.GetAsync(id) is null) return Problems.NotFound("run", id);
        var afterSeq = after ?? 0;
        var lastEventId = request.Headers["Last-Event-ID"].ToString();
        if (lastEventId.Length > 0)
        {
            if (!long.TryParse(lastEventId, out afterSeq) || afterSeq < 0) return Problems.Invalid("Last-Event-ID",
                $"'{lastEventId}' is not an event seq");
        }
        else if (afterSeq < 0) return Problems.Invalid("after", "must be 0 or more");

        return new RunEventStreamResult(reader.ReadAsync(id, afterSeq, ct));
    }
}
