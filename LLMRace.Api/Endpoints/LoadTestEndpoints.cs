using System.Text;
using LLMRace.Api.Infrastructure;
using LLMRace.Grains.Contracts;
using LLMRace.Grains.Load;
using LLMRace.Grains.Storage;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LLMRace.Api.Endpoints;

/// <summary>A load test as asked for: one car, a suite's prompts, a profile, and optional objectives.</summary>
public sealed record LoadTestInput(
    string? SuiteId, string? CarId, string? Profile, double? Rate, int? Concurrency, double? Burstiness, int? Steps, double? DurationS,
    int? MaxRequests, double? WarmupS, double? CooldownS, int? Seed, int? MaxConcurrency, LoadSlo? Slo);

public sealed record LoadTestCreated(string Id, string Status);

/// <summary>A load test: its run, the profile it ran, the car it drove, each finished step's figures, and the verdict.</summary>
public sealed record LoadTestView(RunView Run, LoadProfile Profile, LoadCar Car, IReadOnlyList<LoadStepFigures> Steps,
    LoadVerdict? Verdict);

/// <summary>
/// Load tests. Each is a run (kind <c>load</c>): its live stream, cancel, delete and Run History are the runs' own
/// (<c>/api/runs/{id}/...</c>); what is a load test's alone is here.
/// </summary>
public static class LoadTestEndpoints
{
    public static void MapLoadTestEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/load-tests").WithTags("Load tests");

        group.MapPost("/", async Task<Results<Created<LoadTestCreated>, ValidationProblem, ProblemHttpResult>> (LoadTestInput input,
            IGrainFactory grains) =>
        {
            var id = Ids.New("run");
            var request = new LoadTestRequest(input.SuiteId, input.CarId, input.Profile, input.Rate, input.Concurrency, input.Burstiness,
                input.Steps, input.DurationS, input.MaxRequests, input.WarmupS, input.CooldownS, input.Seed, input.MaxConcurrency,
                input.Slo);
            return RunEndpoints.Answer(await grains.GetGrain<IRunGrain>(id).CreateLoadTest(request), "run", id, progress =>
                TypedResults.Created($"/api/load-tests/{id}", new LoadTestCreated(id, progress.Status)));
        }).WithSummary("Starts a load test of one car with a suite's prompts: profile synchronous, concurrent, constant, poisson, " +
            "sweep or slo; follow it at /api/runs/{id}/stream.");

        group.MapGet("/{id}", async Task<Results<Ok<LoadTestView>, ProblemHttpResult>> (string id, RunStore runs, EventStore events) =>
        {
            if (await runs.GetWithSnapshotAsync(id) is not { Kind: RunKinds.Load } run) return Problems.NotFound("load test", id);
            var report = await LoadTestReport.ReadAsync(run, events);
            return TypedResults.Ok(new LoadTestView(RunView.From(run, null), report.Profile, report.Car, report.Steps, report.Verdict));
        }).WithSummary("A load test's profile, car, each finished step's figures and, for the slo profile, the verdict.");

        group.MapGet("/{id}/export", async Task<Results<FileContentHttpResult, ValidationProblem, ProblemHttpResult>> (string id,
            string? format, RunStore runs, EventStore events, TimeProvider time) =>
        {
            if (await runs.GetWithSnapshotAsync(id) is not { Kind: RunKinds.Load } run) return Problems.NotFound("load test", id);
            var name = $"llmrace-load-{run.Id}";
            switch ((format ?? "json").ToLowerInvariant())
            {
                case "json":
                    var json = await LoadTestExports.JsonAsync(run, await LoadTestReport.ReadAsync(run, events), events,
                        time.GetUtcNow().UtcDateTime);
                    return TypedResults.File(Encoding.UTF8.GetBytes(json.ToJsonString(RaceJson.Options)), "application/json",
                        $"{name}.json");
                case "csv":
                    return TypedResults.File(Encoding.UTF8.GetBytes(await LoadTestExports.RequestsCsvAsync(run, events)),
                        "text/csv; charset=utf-8", $"{name}-requests.csv");
                case "steps_csv":
                    var steps = LoadTestExports.StepsCsv(run, await LoadTestReport.ReadAsync(run, events));
                    return TypedResults.File(Encoding.UTF8.GetBytes(steps),
                        "text/csv; charset=utf-8", $"{name}-steps.csv");
                default:
                    return Problems.Invalid("format", $"'{format}' is not a load test export: use json, csv (a row per request) or " +
                        "steps_csv (a row per step)");
            }
        }).WithSummary("A load test's export: json (llmrace.load.v1, every request), csv (a row per request) or steps_csv (a row per " +
            "step).");
    }
}
