using System.Text.Json;
using System.Text.Json.Nodes;
using LLMRace.Api.Infrastructure;
using Microsoft.AspNetCore.Http.HttpResults;
using LLMRace.Grains.Storage;

namespace LLMRace.Api.Endpoints;

public sealed record CarInput(string? Name, string? ConnectionId, string? Model, JsonObject? Params);

public sealed record CarView(string Id, string Name, string ConnectionId, string Model, JsonObject Params, string CreatedAt,
    string UpdatedAt)
{
    public static CarView From(CarRow r) =>
        new(r.Id, r.Name, r.ConnectionId, r.Model, JsonNode.Parse(r.ParamsJson) as JsonObject ?? [], r.CreatedAt, r.UpdatedAt);
}

public static class CarEndpoints
{
    // Sampling parameters checked by type and range; any other key passes through to the provider as given.
    private static readonly Dictionary<string, (double Min, double Max, bool Whole)> KnownParams = new()
    {
        ["temperature"] = (0, 2, false),
        ["top_p"] = (0, 1, false),
        ["max_tokens"] = (1, 1_000_000, true),
        ["seed"] = (long.MinValue, long.MaxValue, true),
        ["frequency_penalty"] = (-2, 2, false),
        ["presence_penalty"] = (-2, 2, false),
    };

    private const int MaxStops = 16;

    private static bool IsStopList(JsonNode stop) => stop switch
    {
        JsonValue one => one.TryGetValue<string>(out var text) && text.Length is > 0 and <= 200,
        JsonArray list => list.Count <= MaxStops && list.All(s => s is JsonValue v && v.TryGetValue<string>(out var text)
            && text.Length is > 0 and <= 200),
        _ => false,
    };

    public static void MapCarEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/cars").WithTags("Cars");

        group.MapGet("/", async (GarageStore garage) => (await garage.ListCarsAsync()).Select(CarView.From));

        group.MapGet("/{id}", async Task<Results<Ok<CarView>, ProblemHttpResult>> (string id, GarageStore garage) =>
            await garage.GetCarAsync(id) is { } row ? TypedResults.Ok(CarView.From(row)) : Problems.NotFound("car", id));

        group.MapPost("/", async Task<Results<Created<CarView>, ValidationProblem>> (CarInput input, GarageStore garage,
            TimeProvider time) =>
        {
            var now = time.NowText();
            var row = new CarRow { Id = Ids.New("car"), CreatedAt = now, UpdatedAt = now };
            if (await ApplyAsync(input, row, garage) is { } invalid) return invalid;
            await garage.InsertCarAsync(row);
            return TypedResults.Created($"/api/cars/{row.Id}", CarView.From(row));
        });

        group.MapPut("/{id}", async Task<Results<Ok<CarView>, ValidationProblem, ProblemHttpResult>> (
            string id, CarInput input, GarageStore garage, TimeProvider time) =>
        {
            if (await garage.GetCarAsync(id) is not { } row) return Problems.NotFound("car", id);
            if (await ApplyAsync(input, row, garage) is { } invalid) return invalid;
            row.UpdatedAt = time.NowText();
            await garage.UpdateCarAsync(row);
            return TypedResults.Ok(CarView.From(row));
        });

        group.MapDelete("/{id}", async Task<Results<NoContent, ProblemHttpResult>> (string id, GarageStore garage) =>
            await garage.DeleteCarAsync(id) ? TypedResults.NoContent() : Problems.NotFound("car", id));
    }

    private static async Task<ValidationProblem?> ApplyAsync(CarInput input, CarRow row, GarageStore garage)
    {
        var errors = new Errors();
        var name = errors.Require("name", input.Name, 100);
        var model = errors.Require("model", input.Model, 500);
        var connectionId = errors.Require("connection_id", input.ConnectionId, 100);
        if (connectionId is not null && await garage.GetConnectionAsync(connectionId) is null)
            errors.Add("connection_id", $"connection '{connectionId}' does not exist");
        var parameters = input.Params ?? [];
        foreach (var (key, value) in parameters)
        {
            if (!KnownParams.TryGetValue(key, out var range)) continue;
            if (value is null) continue;
            if (value.GetValueKind() != JsonValueKind.Number || !value.AsValue().TryGetValue<double>(out var number))
                errors.Add($"params.{key}", $"must be a number, got {value.GetValueKind().ToString().ToLowerInvariant()}");
            else if (number < range.Min || number > range.Max || (range.Whole && number != Math.Floor(number)))
                errors.Add($"params.{key}",
                    range.Whole ? $"must be a whole number from {range.Min} to {range.Max}" : $"must be between {range.Min} and " +
                        $"{range.Max}");
        }
        if (parameters["stop"] is { } stop && !IsStopList(stop))
            errors.Add("params.stop", $"must be a string or a list of at most {MaxStops} strings of at most 200 characters each");
        var paramsJson = parameters.ToJsonString();
        if (paramsJson.Length > 16_384) errors.Add("params", "is larger than 16 KiB");
        if (errors.Any) return Problems.Invalid(errors.ByField);

        row.Name = name!;
        row.Model = model!;
        row.ConnectionId = connectionId!;
        row.ParamsJson = paramsJson;
        return null;
    }
}
