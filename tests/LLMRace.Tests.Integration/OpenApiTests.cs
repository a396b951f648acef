using System.Text.Json;
using System.Text.Json.Nodes;

namespace LLMRace.Tests.Integration;

/// <summary>
/// The UI's API types are generated from LLMRace.Ui/openapi.json (npm run build runs openapi-typescript on it), so that
/// file must be the document the Api serves: a change to an endpoint's types fails here until the file is refreshed.
/// </summary>
public sealed class OpenApiTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private static readonly string Snapshot = Path.Combine(Repo.Root, "LLMRace.Ui", "openapi.json");

    [Fact]
    public async Task The_ui_builds_its_types_from_the_document_the_api_serves()
    {
        var served = JsonNode.Parse(await fixture.App.Api.GetStringAsync("/openapi/v1.json"))!.AsObject();
        served.Remove("servers"); // this test's own address
        var text = served.ToJsonString(new JsonSerializerOptions { WriteIndented = true,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
        if (Environment.GetEnvironmentVariable("LLMRACE_UPDATE_OPENAPI") == "1") await File.WriteAllTextAsync(Snapshot, text);

        Assert.True(File.Exists(Snapshot) && await File.ReadAllTextAsync(Snapshot) == text,
            "LLMRace.Ui/openapi.json is not the document the Api serves: refresh it with " +
            "LLMRACE_UPDATE_OPENAPI=1 dotnet test tests/LLMRace.Tests.Integration --filter OpenApiTests, then npm run build in LLMRace.Ui");
    }
}
