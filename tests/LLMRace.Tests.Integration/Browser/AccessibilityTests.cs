using Deque.AxeCore.Commons;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace LLMRace.Tests.Integration.Browser;

/// <summary>Every page passes axe-core with no serious or critical violation, with real data on it.</summary>
[Collection(AppHostCollection.Name)]
public sealed class AccessibilityTests(BrowserApp fixture)
{
    [Fact]
    public async Task Every_page_has_no_serious_or_critical_axe_violation()
    {
        var client = new RaceClient(fixture.App.Api);
        var suite = await client.SuiteAsync("Accessible laps", ("Lap", "one two three", "contains:two"), ("Sprint", "go", null));
        var car = await client.CarAsync("Accessible car", "echo?ttft_ms=1&itl_ms=1");
        var runId = await client.RaceToEndAsync(suite, car);
        var loadId = (await client.PostAsync("/api/load-tests", new { suite_id = suite, car_id = car, profile = "sweep", steps = 3,
            max_requests = 3, slo = new { ttft_ms = 60_000 } })).GetProperty("id").GetString()!;
        await client.ReadStreamAsync(loadId);

        var context = await fixture.Browser.NewContextAsync(new() { BaseURL = fixture.App.UiBase!.ToString() });
        context.SetDefaultTimeout(60_000);
        var page = await context.NewPageAsync();
        var pages = new (string Route, string Ready)[]
        {
            ("/#/garage", "[data-connection]"),
            ("/#/suites", "main h2"),
            ($"/#/suites/{suite}", ".tests"),
            ("/#/race", "select[name=suite]"),
            ($"/#/race/{runId}", "[data-testid=race-status]"),
            ("/#/history", "main h2"),
            ($"/#/history/{runId}", "[data-testid=scorecard]"),
            ("/#/compare", "main h2"),
            ($"/#/compare/{runId}", "[data-testid=comparison-page]"),
            ("/#/load", "select[name=profile]"),
            ($"/#/load/{loadId}", "[data-testid=load-steps] tbody tr"),
            ($"/#/compare/{loadId}", "[data-testid=load-compare-ttft] canvas"),
        };
        var found = new List<string>();
        foreach (var (route, ready) in pages)
        {
            await page.GotoAsync(route);
            await page.Locator(ready).First.WaitForAsync();
            var result = await page.RunAxe();
            found.AddRange(result.Violations.Where(v => v.Impact is "serious" or "critical").Select(v =>
                $"{route}: {v.Impact} {v.Id} ({v.Help}) at {string.Join(", ", v.Nodes.Select(n => n.Target?.ToString()))}"));
        }

        Assert.True(found.Count == 0, string.Join('\n', found));
    }
}
