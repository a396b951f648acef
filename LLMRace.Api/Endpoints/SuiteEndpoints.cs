using System.Text;
using LLMRace.Api.Infrastructure;
using LLMRace.Grains.Storage;
using LLMRace.Grains.Suites;
using Microsoft.AspNetCore.Http.HttpResults;

namespace LLMRace.Api.Endpoints;

public sealed record SuiteSummary(string Id, string Name, string Category, string Description, int TestCount, string CreatedAt,
    string UpdatedAt);

public sealed record SuiteView(string Id, string Name, string Category, string Description, IReadOnlyList<TestView> Tests, string CreatedAt,
    string UpdatedAt);

public sealed record TestView(
    string Id, int OrderIndex, string Name, string? SystemPrompt, string UserPrompt, string? ExpectedConstraints, string? ToolsSchemaJson,
    int MaxToolTurns, IReadOnlyList<string> Checks, IReadOnlyList<string> Criteria, IReadOnlyList<string> Warnings);

public static class SuiteEndpoints
{
    public const int MaxSuiteBytes = 5 * 1024 * 1024;

    public static void MapSuiteEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/suites").WithTags("Suites");

        group.MapGet("/", async (SuiteStore suites) =>
            (await suites.ListAsync()).Select(s => new SuiteSummary(s.Suite.Id, s.Suite.Name, s.Suite.Category, s.Suite.Description,
                s.TestCount, s.Suite.CreatedAt, s.Suite.UpdatedAt)));

        group.MapGet("/{id}", async Task<Results<Ok<SuiteView>, ProblemHttpResult>> (string id, SuiteStore suites) =>
            await suites.GetAsync(id) is { } suite ? TypedResults.Ok(await ViewAsync(suite, suites)) : Problems.NotFound("suite", id));

        // The suite JSON exactly as it was imported: export then import gives the same bytes.
        group.MapGet("/{id}/export", async Task<Results<FileContentHttpResult, ProblemHttpResult>> (string id, SuiteStore suites) =>
            await suites.GetAsync(id) is { } suite
                ? TypedResults.File(Encoding.UTF8.GetBytes(suite.SourceJson), "application/json", $"{FileName(suite.Name)}.json")
                : Problems.NotFound("suite", id));

        group.MapPost("/", CreateAsync).Accepts<object>("application/json");
        group.MapPost("/import", CreateAsync).Accepts<object>("application/json");

        group.MapPut("/{id}", async Task<Results<Ok<SuiteView>, ValidationProblem, ProblemHttpResult>> (
            string id, HttpRequest request, SuiteStore suites, TimeProvider time) =>
        {
            if (await suites.GetAsync(id) is not { } existing) return Problems.NotFound("suite", id);
            var (view, invalid) = await ImportAsync(request, suites, time, existing);
            return view is null ? invalid! : TypedResults.Ok(view);
        }).Accepts<object>("application/json");

        group.MapDelete("/{id}", async Task<Results<NoContent, ProblemHttpResult>> (string id, SuiteStore suites) =>
            await suites.DeleteAsync(id) ? TypedResults.NoContent() : Problems.NotFound("suite", id));
    }

    private static async Task<Results<Created<SuiteView>, ValidationProblem>> CreateAsync(HttpRequest request, SuiteStore suites,
        TimeProvider time)
    {
        var (view, invalid) = await ImportAsync(request, suites, time, null);
        return view is null ? invalid! : TypedResults.Created($"/api/suites/{view.Id}", view);
    }

    /// <summary>Validates the whole document before anything is written; on any problem nothing changes.</summary>
    private static async Task<(SuiteView? View, ValidationProblem? Invalid)> ImportAsync(HttpRequest request, SuiteStore suites,
        TimeProvider time, SuiteRow? existing)
    {
        string json;
        try
        {
            json = await ReadBodyAsync(request);
        }
        catch (InvalidDataException e)
        {
            return (null, Problems.Invalid("$", e.Message));
        }
        var (row, problems) = await SaveAsync(json, suites, time, existing);
        if (row is null)
        {
            var errors = new Dictionary<string, List<string>>();
            foreach (var p in problems)
            {
                if (!errors.TryGetValue(p.Path, out var list)) errors[p.Path] = list = [];
                list.Add(p.Message);
            }
            return (null, Problems.Invalid(errors, $"the suite has {problems.Count} problem(s); nothing was saved"));
        }
        return (await ViewAsync(row, suites), null);
    }

    public static async Task<(SuiteRow? Row, IReadOnlyList<SuiteProblem> Problems)> SaveAsync(
        string json, SuiteStore suites, TimeProvider time, SuiteRow? existing)
    {
        var document = SuiteParser.Parse(json, out var problems);
        if (document is null) return (null, problems);
        var now = time.NowText();
        var row = new SuiteRow
        {
            Id = existing?.Id ?? Ids.New("suite"),
            Name = document.Name.Trim(),
            Category = document.Category,
            Description = document.Description,
            SourceJson = json,
            CreatedAt = existing?.CreatedAt ?? now,
            UpdatedAt = now,
        };
        var ids = StableTestIds.Assign(existing is null ? [] : await suites.GetTestsAsync(existing.Id), document.Tests);
        var tests = document.Tests.Select((t, i) => new TestRow
        {
            Id = ids[i],
            SuiteId = row.Id,
            OrderIndex = t.OrderIndex,
            Name = t.Name.Trim(),
            SystemPrompt = t.SystemPrompt,
            UserPrompt = t.UserPrompt,
            ExpectedConstraints = t.ExpectedConstraints,
            ToolsSchemaJson = t.ToolsSchemaJson,
            MaxToolTurns = t.MaxToolTurns,
        }).ToList();
        await suites.SaveAsync(row, tests);
        return (row, []);
    }

    private static async Task<string> ReadBodyAsync(HttpRequest request)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            if (buffer.Length + read > MaxSuiteBytes) throw new InvalidDataException($"the suite is larger than " +
                $"{MaxSuiteBytes / 1024 / 1024} MiB");
            buffer.Write(chunk, 0, read);
        }
        if (buffer.Length == 0) throw new InvalidDataException("the body is empty: send the suite JSON");
        try
        {
            return new UTF8Encoding(false, true).GetString(buffer.GetBuffer(), 0, (int)buffer.Length).TrimStart('\uFEFF');
        }
        catch (DecoderFallbackException)
        {
            throw new InvalidDataException("the body is not valid UTF-8");
        }
    }

    private static async Task<SuiteView> ViewAsync(SuiteRow suite, SuiteStore suites) =>
        new(suite.Id, suite.Name, suite.Category, suite.Description,
            [.. (await suites.GetTestsAsync(suite.Id)).Select(t =>
            {
                var parsed = Grains.Checks.ConstraintParser.Parse(t.ExpectedConstraints);
                return new TestView(t.Id, t.OrderIndex, t.Name, t.SystemPrompt, t.UserPrompt, t.ExpectedConstraints, t.ToolsSchemaJson,
                    t.MaxToolTurns ?? ToolDefinition.DefaultMaxTurns, [.. parsed.Checks.Select(c => c.ToString())], parsed.Criteria,
                    parsed.Warnings);
            })],
            suite.CreatedAt, suite.UpdatedAt);

    private static string FileName(string name)
    {
        var safe = new string([.. name.Select(c => char.IsLetterOrDigit(c) ? char.ToLowerInvariant(c) : '-')]).Trim('-');
        return safe.Length == 0 ? "suite" : safe;
    }
}
