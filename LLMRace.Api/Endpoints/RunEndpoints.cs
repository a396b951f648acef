using Microsoft.AspNetCore.Mvc;
using System.Text.Json;
using System.Text.Json.Nodes;
using LLMRace.Api.Infrastructure;
using LLMRace.Api.Live;
using LLMRace.Grains.Contracts;
using LLMRace.Grains.Storage;

namespace LLMRace.Api.Endpoints;

public sealed record RunInput(string? SuiteId, IReadOnlyList<string>? CarIds, RunSettingsInput? Settings);

public sealed record RunSettingsInput(int? Concurrency, int? Repeats);

public sealed record RunView(
    string Id, string SuiteId, string SuiteName, string Status, RunSettings Settings, IReadOnlyList<string> CarIds,
    int ItemsTotal, int ItemsDone, string? Error, bool IsBaseline, bool Judging, string CreatedAt, string? StartedAt, string? FinishedAt)
{
    public static RunView From(RunRow r) => new(
        r.Id, r.SuiteId, r.SuiteName, r.Status, RaceJson.Deserialize<RunSettings>(r.SettingsJson) ?? new(),
        r.CarIds.Split(',', StringSplitOptions.RemoveEmptyEntries), r.ItemsTotal, r.ItemsDone, r.Error, r.IsBaseline, r.Judging,
        r.CreatedAt, r.StartedAt, r.FinishedAt);
}

public sealed record RunItemView(
    string Id, int Ordinal, string TestId, string TestName, string CarId, string CarName, int RepeatIndex, string Status,
    string? Output, string? Reasoning, JsonNode? ToolCalls, string? Error, JsonNode? Metrics, JsonNode? Checks,
    JsonNode? Judge, JsonNode? ServerTimings, int Retries, string? StartedAt, string? FinishedAt)
{
    public static RunItemView From(RunItemRow r) => new(
        r.Id, r.Ordinal, r.TestId, r.TestName, r.CarId, r.CarName, r.RepeatIndex, r.Status, r.Output, r.Reasoning,
        Parse(r.ToolCallsJson), r.Error, Parse(r.MetricsJson), Parse(r.ChecksJson), Parse(r.JudgeJson), Parse(r.ServerTimingsJson),
        r.Retries, r.StartedAt, r.FinishedAt);

    private static JsonNode? Parse(string? json) => json is null ? null : JsonNode.Parse(json);
}

public static class RunEndpoints
{
    public static void MapRunEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/runs").WithTags("Runs");

        group.MapGet("/", async Task<IResult> (HttpResponse response, RunStore runs, int? limit, int? offset,
            [FromQuery(Name = "suite_id")] string? suiteId, [FromQuery(Name = "car_id")] string? carId,
            string? status, DateTimeOffset? from, DateTimeOffset? to) =>
        {
            var errors = new Errors();
            var take = errors.Range("limit", limit, 50, 1, 500);
            var skip = errors.Range("offset", offset, 0, 0, int.MaxValue);
            string[] statuses = [RunStatus.Queued, RunStatus.Running, RunStatus.Completed, RunStatus.Failed, RunStatus.Cancelled, RunStatus.Interrupted];
            if (status is not null && !statuses.Contains(status)) errors.Add("status", $"'{status}' is not a run status: use one of {string.Join(", ", statuses)}");
            if (errors.Any) return Problems.Invalid(errors.ByField);
            var filter = new RunFilter(suiteId, carId, status,
                from is null ? null : Clock.Text(from.Value.UtcDateTime), to is null ? null : Clock.Text(to.Value.UtcDateTime));
            var (page, total) = await runs.ListAsync(filter, take, skip);
            response.Headers["X-Total-Count"] = total.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return TypedResults.Ok(page.Select(RunView.From));
        }).WithSummary("Run history, newest first: filter by suite_id, car_id, status, from and to (ISO dates); X-Total-Count gives the total.");

        group.MapGet("/{id}", async Task<IResult> (string id, RunStore runs) =>
            await runs.GetAsync(id) is { } run ? TypedResults.Ok(RunView.From(run)) : Problems.NotFound("run", id));

        group.MapGet("/{id}/items", async Task<IResult> (string id, RunStore runs) =>
            await runs.GetAsync(id) is null ? Problems.NotFound("run", id) : TypedResults.Ok((await runs.GetItemsAsync(id)).Select(RunItemView.From)));

        group.MapPost("/", CreateAsync);

        group.MapPost("/{id}/cancel", async Task<IResult> (string id, RunStore runs, IGrainFactory grains) =>
        {
            if (await runs.GetAsync(id) is null) return Problems.NotFound("run", id);
            var progress = await grains.GetGrain<IRunGrain>(id).Cancel();
            return TypedResults.Accepted($"/api/runs/{id}", new { id, status = progress.Status, items_done = progress.ItemsDone, items_total = progress.ItemsTotal });
        });

        group.MapPost("/{id}/resume", ResumeAsync)
            .WithSummary("Races again the unfinished items of an interrupted, cancelled or failed run; its stream goes on from the last seq.");
        group.MapPost("/{id}/rerun", RerunAsync)
            .WithSummary("A new run of the same suite and cars, as the original raced them.");

        group.MapGet("/{id}/stream", StreamAsync)
            .WithSummary("The run's events as Server-Sent Events: replay after Last-Event-ID (or ?after=N), then live, ending with the run's terminal event.");
    }

    private static async Task<IResult> CreateAsync(RunInput input, SuiteStore suites, GarageStore garage, RunStore runs, IGrainFactory grains)
    {
        var errors = new Errors();
        var settings = new RunSettings(
            errors.Range("settings.concurrency", input.Settings?.Concurrency, 1, 1, RunSettings.MaxConcurrency),
            errors.Range("settings.repeats", input.Settings?.Repeats, 1, 1, RunSettings.MaxRepeats));

        SuiteRow? suite = null;
        IReadOnlyList<TestRow> tests = [];
        if (string.IsNullOrWhiteSpace(input.SuiteId)) errors.Add("suite_id", "required");
        else if ((suite = await suites.GetAsync(input.SuiteId)) is null) errors.Add("suite_id", $"suite '{input.SuiteId}' does not exist");
        else if ((tests = await suites.GetTestsAsync(suite.Id)).Count == 0) errors.Add("suite_id", $"suite '{suite.Name}' has no tests: add a test before racing it");

        var cars = new List<CarSnapshot>();
        if (input.CarIds is null || input.CarIds.Count == 0) errors.Add("car_ids", "pick at least one car");
        else
        {
            foreach (var dup in input.CarIds.GroupBy(c => c).Where(g => g.Count() > 1)) errors.Add("car_ids", $"car '{dup.Key}' is listed {dup.Count()} times");
            foreach (var carId in input.CarIds.Distinct())
            {
                if (await garage.GetCarAsync(carId ?? "") is not { } car) { errors.Add("car_ids", $"car '{carId}' does not exist"); continue; }
                if (await garage.GetConnectionAsync(car.ConnectionId) is not { } connection) { errors.Add("car_ids", $"car '{car.Name}' has no connection"); continue; }
                cars.Add(new CarSnapshot(car.Id, car.Name, car.Model, JsonNode.Parse(car.ParamsJson) as JsonObject ?? [],
                    new ConnectionSnapshot(connection.Id, connection.Name, connection.Type, connection.BaseUrl, connection.TimeoutS, connection.MaxRetries, connection.MaxConcurrency,
                        connection.HeadersTimeoutS, connection.TotalTimeoutS)));
            }
        }
        var itemCount = (long)tests.Count * cars.Count * settings.Repeats;
        if (itemCount > 100_000) errors.Add("settings.repeats", $"this run would have {itemCount} items; the limit is 100000");
        if (errors.Any) return Problems.Invalid(errors.ByField);

        var snapshot = new RunSnapshot(
            new SuiteSnapshot(suite!.Id, suite.Name, suite.Category, suite.Description,
                [.. tests.Select(t => new TestSnapshot(t.Id, t.OrderIndex, t.Name, t.SystemPrompt, t.UserPrompt, t.ExpectedConstraints, t.ToolsSchemaJson, t.MaxToolTurns))]),
            cars, settings);
        var run = new RunRow
        {
            Id = Ids.New("run"),
            SuiteId = suite.Id,
            SuiteName = suite.Name,
            Status = RunStatus.Queued,
            SettingsJson = RaceJson.Serialize(settings),
            SnapshotJson = RaceJson.Serialize(snapshot),
            CarIds = string.Join(',', cars.Select(c => c.Id)),
            ItemsTotal = (int)itemCount,
            CreatedAt = Clock.NowText(),
        };
        await runs.CreateAsync(run, PlanItems(run.Id, snapshot));
        var progress = await grains.GetGrain<IRunGrain>(run.Id).Start();
        return TypedResults.Created($"/api/runs/{run.Id}", new { id = run.Id, status = progress.Status, items_total = run.ItemsTotal });
    }

    /// <summary>The items of a run in the original's order: by test, then car, then repeat.</summary>
    private static List<RunItemRow> PlanItems(string runId, RunSnapshot snapshot)
    {
        var items = new List<RunItemRow>();
        foreach (var test in snapshot.Suite.Tests)
            foreach (var car in snapshot.Cars)
                for (var r = 0; r < snapshot.Settings.Repeats; r++)
                    items.Add(new RunItemRow
                    {
                        Id = Ids.New("item"), RunId = runId, Ordinal = items.Count, TestId = test.Id, TestName = test.Name,
                        CarId = car.Id, CarName = car.Name, RepeatIndex = r, Status = ItemStatus.Pending,
                    });
        return items;
    }

    /// <summary>Races again what a stopped run left unfinished, in the same run: its log goes on from the last seq.</summary>
    private static async Task<IResult> ResumeAsync(string id, RunStore runs, IGrainFactory grains)
    {
        if (await runs.GetAsync(id) is not { } run) return Problems.NotFound("run", id);
        if (run.Status is not (RunStatus.Interrupted or RunStatus.Cancelled or RunStatus.Failed))
            return Problems.Conflict($"run '{id}' is {run.Status}: only an interrupted, cancelled or failed run can be resumed");
        if (run.Judging) return Problems.Conflict($"a judge is grading run '{id}'");
        var toRace = await runs.PrepareResumeAsync(id);
        var progress = await grains.GetGrain<IRunGrain>(id).Start();
        return TypedResults.Accepted($"/api/runs/{id}/stream", new { id, status = progress.Status, items_to_race = toRace });
    }

    /// <summary>A new run of the same suite and cars, exactly as the original raced them.</summary>
    private static async Task<IResult> RerunAsync(string id, RunStore runs, IGrainFactory grains)
    {
        if (await runs.GetAsync(id) is not { } original) return Problems.NotFound("run", id);
        var snapshot = RaceJson.Deserialize<RunSnapshot>(original.SnapshotJson)!;
        var run = new RunRow
        {
            Id = Ids.New("run"), SuiteId = original.SuiteId, SuiteName = original.SuiteName, Status = RunStatus.Queued,
            SettingsJson = original.SettingsJson, SnapshotJson = original.SnapshotJson, CarIds = original.CarIds,
            ItemsTotal = original.ItemsTotal, CreatedAt = Clock.NowText(),
        };
        await runs.CreateAsync(run, PlanItems(run.Id, snapshot));
        var progress = await grains.GetGrain<IRunGrain>(run.Id).Start();
        return TypedResults.Created($"/api/runs/{run.Id}", new { id = run.Id, status = progress.Status, items_total = run.ItemsTotal, rerun_of = original.Id });
    }

    private static async Task<IResult> StreamAsync(string id, HttpRequest request, RunStore runs, RunEventReader reader, long? after, CancellationToken ct)
    {
        if (await runs.GetAsync(id) is null) return Problems.NotFound("run", id);
        var afterSeq = after ?? 0;
        var lastEventId = request.Headers["Last-Event-ID"].ToString();
        if (lastEventId.Length > 0)
        {
            if (!long.TryParse(lastEventId, out afterSeq) || afterSeq < 0) return Problems.Invalid("Last-Event-ID", $"'{lastEventId}' is not an event seq");
        }
        else if (afterSeq < 0) return Problems.Invalid("after", "must be 0 or more");

        return new RunEventStreamResult(reader.ReadAsync(id, afterSeq, ct));
    }
}
