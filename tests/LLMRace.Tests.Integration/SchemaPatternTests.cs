namespace LLMRace.Tests.Integration;

/// <summary>
/// A JSON Schema's own regexes are built by the schema library with the process's default match timeout, which the
/// Api's Main sets before any regex exists. So this runs against an Api process of its own (the AppHost's), not one
/// hosted in the test process, where the test host has made regexes long before.
/// </summary>
[Collection(Browser.AppHostCollection.Name)]
public sealed class SchemaPatternTests(Browser.BrowserApp fixture)
{
    private readonly RaceClient _client = new(fixture.App.Api);

    [Fact]
    public async Task A_json_schema_pattern_that_backtracks_forever_is_stopped_and_its_check_is_an_error()
    {
        // 28 characters took 8 s with the pattern unbounded; the check's verdict was then "fail", as if it had run.
        var item = await _client.RaceOneItemAsync("echo?ttft_ms=0&itl_ms=0", BoundsTests.Catastrophic,
            "json_schema:{\"type\":\"string\",\"pattern\":\"^(a+)+$\"}\ncontains:aaa");

        var checks = BoundsTests.Checks(item);
        Assert.Equal("error", checks[0].GetProperty("verdict").GetString());
        Assert.Contains("was stopped", checks[0].GetProperty("reason").GetString());
        // The stopped pattern spent the item's checks budget (1 s), so the check after it was not run.
        Assert.Equal("error", checks[1].GetProperty("verdict").GetString());
        Assert.StartsWith("not run", checks[1].GetProperty("reason").GetString());
        Assert.Equal("failed", item.GetProperty("status").GetString());
    }
}
