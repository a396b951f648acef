using Microsoft.AspNetCore.Mvc;
using System.Text;
using System.Text.Json.Nodes;
using LLMRace.Api.Infrastructure;
using LLMRace.Grains.Checks;
using LLMRace.Grains.Contracts;
using LLMRace.Grains.Results;
using LLMRace.Grains.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LLMRace.Api.Endpoints;

public sealed record JudgeInput(string? JudgeCarId, string? Rubric);

/// <summary>One item as Inspect shows it: the item, the prompt it was given, and its events.</summary>
public sealed record ItemDetail(RunItemView Item, PromptView Prompt, IEnumerable<JsonNode?> Events);

public sealed record PromptView(string? SystemPrompt, string? UserPrompt, string? ExpectedConstraints, string? ToolsSchemaJson);

/// <summary>How each car did, and the winner of a completed race (none while it runs, or when no car finished an item).</summary>
/// <param name="Podium">The cars that finished an item, in the winner's order (empty until the race completed).</param>
public sealed record RunScorecard(string RunId, string SuiteName, string Status, IReadOnlyList<CarScore> Cars, RaceWinner? Winner,
    IReadOnlyList<RaceStanding> Podium);

public sealed record BaselineMarked(string Id, string SuiteId, bool IsBaseline);

public sealed record JudgeStarted(string Id, string JudgeCarId, string Status);

/// <summary>Runs side by side: each run's scorecards, and the samples behind each car's distributions, for charts.</summary>
public sealed record RunsCompared(IEnumerable<ComparedRun> Runs, IEnumerable<CompareSeries> Series);

public sealed record ComparedRun(string RunId, string SuiteName, string CreatedAt, string Status, IReadOnlyList<CarScore> Cars);

public sealed record CompareSeries(
    string RunId, string CarId, string CarName, string Label, IEnumerable<double> TtftMs, IEnumerable<double> E2eMs,
    IEnumerable<double> DecodeTokensPerS, IEnumerable<double> JudgeScores, double PassRate, double ErrorRate);

/// <summary>What a run tells afterwards: Inspect, exports, scorecards, baselines, comparisons and the judge.</summary>
public sealed record ManualGradeInput(double? Score, string? Verdict, string? Note);

public static class ResultEndpoints
{
    private static async Task<Results<Ok<RunItemView>, ValidationProblem, ProblemHttpResult>> GradeByHandAsync(string id, string itemId,
        ManualGradeInput input, IGrainFactory grains, RunStore store)
    {
        var errors = new Errors();
        if (input.Score is null) errors.Add("score", "required: a number from 0 to 10");
        var score = errors.Range("score", input.Score, 0, 0, 10);
        if (input.Verdict is not (Verdicts.Pass or Verdicts.Fail)) errors.Add("verdict", "must be \"pass\" or \"fail\"");
        var note = string.IsNullOrWhiteSpace(input.Note) ? null : input.Note.Trim();
        if (note is { Length: > ManualGrade.MaxNoteChars }) errors.Add("note", $"is longer than {ManualGrade.MaxNoteChars} characters");
        if (errors.Any) return Problems.Invalid(errors.ByField);

        var result = await grains.GetGrain<IRunGrain>(id).GradeByHand(itemId, new ManualGrade(Math.Round(score, 2), input.Verdict!, note));
        if (result.Outcome == RunCommandOutcome.NotFound)
            return TypedResults.Problem(statusCode: 404, title: "Not found", detail: result.Message);
        if (result.Outcome != RunCommandOutcome.Accepted) return Problems.Conflict(result.Message ?? "the item cannot be graded now");
        return TypedResults.Ok(RunItemView.From((await store.GetItemAsync(id, itemId))!));
    }

    public static void MapResultEndpoints(this IEndpointRouteBuilder app)
    {
        var runs = app.MapGroup("/api/runs").WithTags("Results");

        runs.MapGet("/{id}/items/{itemId}", async Task<Results<Ok<ItemDetail>, ProblemHttpResult>> (string id, string itemId,
            RunStore store, EventStore events) =>
        {
            if (await store.GetWithSnapshotAsync(id) is not { } run) return Problems.NotFound("run", id);
            if (await store.GetItemAsync(id, itemId) is not { } item) return Problems.NotFound("item", itemId);
            var test = RaceJson.Deserialize<RunSnapshot>(run.SnapshotJson)!.Suite.Tests.FirstOrDefault(t => t.Id == item.TestId);
            return TypedResults.Ok(new ItemDetail(
                RunItemView.From(item),
                new PromptView(test?.SystemPrompt, test?.UserPrompt, test?.ExpectedConstraints, test?.ToolsSchemaJson),
                (await events.ReadItemAsync(id, itemId)).Select(e => JsonNode.Parse(e.Json))));
        });

        runs.MapPut("/{id}/items/{itemId}/grade", GradeByHandAsync)
            .WithSummary("A person's grade of a finished item (score 0-10, pass or fail, a note), kept apart from the LLM judge's.");

        runs.MapGet("/{id}/export", async Task<Results<FileContentHttpResult, ValidationProblem, ProblemHttpResult>> (string id,
            string? format, RunStore store, EventStore events, TimeProvider time) =>
        {
            if (await store.GetWithSnapshotAsync(id) is not { } run) return Problems.NotFound("run", id);
            var items = (await store.GetItemsAsync(id)).Select(ItemResult.From).ToList();
            var name = $"llmrace-{run.Id}";
            return (format ?? "json").ToLowerInvariant() switch
            {
                "json" => TypedResults.File(Encoding.UTF8.GetBytes(RunExports.Json(run, items, await events.ReadAllAsync(id),
                    time.UtcNow()).ToJsonString(RaceJson.Options)), "application/json", $"{name}.json"),
                "csv" => TypedResults.File(Encoding.UTF8.GetBytes(RunExports.Csv(run, items)), "text/csv; charset=utf-8", $"{name}.csv"),
                "junit" => TypedResults.File(Encoding.UTF8.GetBytes(RunExports.JUnit(run, items)), "application/xml", $"{name}.junit.xml"),
                _ => Problems.Invalid("format", $"'{format}' is not an export format: use json, csv or junit"),
            };
        });

        runs.MapGet("/{id}/scorecard", async Task<Results<Ok<RunScorecard>, ProblemHttpResult>> (string id, RunStore store) =>
        {
            if (await store.GetAsync(id) is not { } run) return Problems.NotFound("run", id);
            var items = (await store.GetItemScoresAsync(id)).Select(ItemResult.From).ToList();
            var completed = run.Status == RunStatus.Completed;
            return TypedResults.Ok(new RunScorecard(run.Id, run.SuiteName, run.Status, Scorecards.For(items),
                completed ? RaceWinners.Of(items) : null, completed ? RaceWinners.Standings(items) : []));
        });

        runs.MapPost("/{id}/baseline", async Task<Results<Ok<BaselineMarked>, ProblemHttpResult>> (string id, RunStore store) =>
        {
            if (await store.GetAsync(id) is not { } run) return Problems.NotFound("run", id);
            if (!RunStatus.IsFinished(run.Status)) return Problems.Conflict($"run '{id}' is {run.Status}: a baseline must have finished");
            await store.MarkBaselineAsync(run.Id, run.SuiteId);
            return TypedResults.Ok(new BaselineMarked(run.Id, run.SuiteId, true));
        });

        runs.MapGet("/{id}/compare", async Task<Results<Ok<Comparison>, ValidationProblem, ProblemHttpResult>> (string id, string? baseline,
            [FromQuery(Name = "ttft_tolerance_pct")] double? ttftTolerancePct,
                [FromQuery(Name = "e2e_tolerance_pct")] double? e2eTolerancePct,
            [FromQuery(Name = "tpot_tolerance_pct")] double? tpotTolerancePct,
                [FromQuery(Name = "pass_rate_tolerance_points")] double? passRateTolerancePoints,
            RunStore store) =>
        {
            if (await store.GetAsync(id) is not { } run) return Problems.NotFound("run", id);
            if (run.Kind == RunKinds.Load || (baseline is not null && (await store.GetAsync(baseline))?.Kind == RunKinds.Load))
                return Problems.Conflict("a load test is compared by its curve, not item by item: pick the load tests in Run History " +
                    "and press Compare, or read their steps at /api/load-tests/{id}");
            var errors = new Errors();
            var tolerances = new Tolerances(
                errors.Range("ttft_tolerance_pct", ttftTolerancePct, 20, 0, 10_000),
                errors.Range("e2e_tolerance_pct", e2eTolerancePct, 20, 0, 10_000),
                errors.Range("tpot_tolerance_pct", tpotTolerancePct, 20, 0, 10_000),
                errors.Range("pass_rate_tolerance_points", passRateTolerancePoints, 0, 0, 100));
            RunRow? against = null;
            if (baseline is not null && (against = await store.GetAsync(baseline)) is null) errors.Add("baseline",
                $"run '{baseline}' does not exist");
            if (baseline is null && (against = await store.GetBaselineAsync(run.SuiteId)) is null)
                errors.Add("baseline",
                    $"suite '{run.SuiteName}' has no baseline run: mark one with POST /api/runs/{{id}}/baseline, or pass ?baseline=<run " +
                        $"id>");
            if (against is not null && against.SuiteId != run.SuiteId) errors.Add("baseline",
                $"run '{against.Id}' raced another suite ('{against.SuiteName}')");
            if (errors.Any) return Problems.Invalid(errors.ByField);
            var current = (await store.GetItemScoresAsync(run.Id)).Select(ItemResult.From).ToList();
            var previous = (await store.GetItemScoresAsync(against!.Id)).Select(ItemResult.From).ToList();
            return TypedResults.Ok(RunComparisons.Compare(run.Id, current, against.Id, previous, tolerances));
        });

        runs.MapPost("/{id}/judge", async Task<Results<Accepted<JudgeStarted>, ValidationProblem, ProblemHttpResult>> (string id,
            JudgeInput input, IGrainFactory grains) =>
        {
            var errors = new Errors();
            var carId = errors.Require("judge_car_id", input.JudgeCarId, 100);
            if (input.Rubric is { Length: > 10_000 }) errors.Add("rubric", "is longer than 10000 characters");
            if (errors.Any) return Problems.Invalid(errors.ByField);
            return RunEndpoints.Answer(await grains.GetGrain<IRunGrain>(id).Judge(carId!, input.Rubric), "run", id, _ =>
                TypedResults.Accepted($"/api/runs/{id}/stream", new JudgeStarted(id, carId!, "judging")));
        });

        app.MapGet("/api/compare", async Task<Results<Ok<RunsCompared>, ValidationProblem>> ([FromQuery(Name = "run_ids")] string? runIds,
            RunStore store) =>
        {
            var ids = (runIds ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Distinct().ToList();
            if (ids.Count is 0 or > 20) return Problems.Invalid("run_ids", "list 1 to 20 run ids, comma-separated");
            var runsFound = new List<(RunRow Run, List<ItemResult> Items)>();
            foreach (var runId in ids)
            {
                if (await store.GetAsync(runId) is not { } run) return Problems.Invalid("run_ids", $"run '{runId}' does not exist");
                runsFound.Add((run, (await store.GetItemScoresAsync(runId)).Select(ItemResult.From).ToList()));
            }
            return TypedResults.Ok(new RunsCompared(
                runsFound.Select(r => new ComparedRun(r.Run.Id, r.Run.SuiteName, r.Run.CreatedAt, r.Run.Status, Scorecards.For(r.Items))),
                runsFound.SelectMany(r => r.Items.GroupBy(i => i.Row.CarId).Select(car => new CompareSeries(
                    r.Run.Id, car.Key, car.First().Row.CarName, $"{car.First().Row.CarName} · {r.Run.CreatedAt[..16].Replace('T', ' ')}",
                    car.Select(i => i.Metrics?.TtftMs).OfType<double>(),
                    car.Select(i => i.Metrics?.E2eMs).OfType<double>(),
                    car.Select(i => i.Metrics?.DecodeTokensPerS).OfType<double>(),
                    car.Select(i => i.Judge?.Score).OfType<double>(),
                    Scorecards.Rate(car.Count(i => i.Passed), car.Count()),
                    Scorecards.Rate(car.Count(i => i.Errored), car.Count()))))));
        }).WithTags("Results");
    }
}
