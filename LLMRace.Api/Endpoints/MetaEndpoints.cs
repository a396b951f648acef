using LLMRace.Grains.Checks;
using LLMRace.Grains.Providers;

namespace LLMRace.Api.Endpoints;

public sealed record ConnectionTypeView(string Type, string ExampleBaseUrl);

public sealed record CheckView(string Keyword, string Argument, string Meaning);

public sealed record HealthView(string Status, string Service);

public sealed record MetaView(IReadOnlyList<ConnectionTypeView> ConnectionTypes, IReadOnlyList<CheckView> Checks);

/// <summary>What this LLMRace knows: its connection types and check keywords, one source for the UI's lists.</summary>
public static class MetaEndpoints
{
    public static void MapMetaEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/health", () => TypedResults.Ok(new HealthView("ok", "llmrace-api"))).WithTags("Health");
        app.MapGet("/api/meta", (ConnectionTypeRegistry types) => TypedResults.Ok(new MetaView(
            [.. types.All.Select(t => new ConnectionTypeView(t.Key, t.ExampleBaseUrl))],
            [.. CheckCatalog.All.Select(c => new CheckView(c.Keyword,
                System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(c.Argument.ToString()), c.Meaning))])))
        .WithTags("Meta")
        .WithSummary("The connection types and check keywords this LLMRace knows.");
    }
}
