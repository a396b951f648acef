using Microsoft.Playwright;

namespace LLMRace.Tests.Integration.Browser;

/// <summary>A load test from the Load page: set a profile and an objective, watch the steps arrive, overlay an earlier test.</summary>
[Collection(AppHostCollection.Name)]
public sealed class LoadPageTests(BrowserApp fixture)
{
    [Fact]
    public async Task A_sweep_started_on_the_load_page_draws_its_curve_fills_its_step_table_and_overlays_an_earlier_test()
    {
        var client = new RaceClient(fixture.App.Api);
        var suite = await client.SuiteAsync($"Load page {Guid.NewGuid():N}", ("Echo", "left right up down", "contains:down"));
        var carName = $"Load page car {Guid.NewGuid():N}"[..24];
        var car = await client.CarAsync(carName, "echo?ttft_ms=3&itl_ms=1");
        var earlier = (await client.PostAsync("/api/load-tests", new { suite_id = suite, car_id = car, profile = "concurrent", concurrency = 2,
            max_requests = 5 })).GetProperty("id").GetString()!;
        await client.ReadStreamAsync(earlier);

        var context = await fixture.Browser.NewContextAsync(new() { BaseURL = fixture.App.UiBase!.ToString(),
            ViewportSize = new() { Width = 1400, Height = 1000 } });
        context.SetDefaultTimeout(60_000);
        var page = await context.NewPageAsync();
        await page.GotoAsync("/#/load");
        var form = page.Locator("form[aria-label='Start a load test']");
        await form.Locator("select[name=car_id]").SelectOptionAsync(car);
        await form.Locator("select[name=suite_id]").SelectOptionAsync(suite);
        await form.Locator("select[name=profile]").SelectOptionAsync("sweep");
        await form.Locator("input[name=steps]").FillAsync("3");
        await form.Locator("input[name=max_requests]").FillAsync("4");
        await form.Locator("input[name=slo_ttft_ms]").FillAsync("60000");
        await form.GetByRole(AriaRole.Button, new() { Name = "Start the load test" }).ClickAsync();

        await Assertions.Expect(page.Locator("[data-testid=load-status]")).ToHaveTextAsync("completed");
        var rows = page.Locator("[data-testid=load-steps] tbody tr");
        await Assertions.Expect(rows).ToHaveCountAsync(3);
        await Assertions.Expect(rows.Nth(0).Locator("th")).ToContainTextAsync("synchronous");
        await Assertions.Expect(rows.Nth(1).Locator("th")).ToContainTextAsync("throughput");
        await Assertions.Expect(rows.Nth(2).Locator("th")).ToContainTextAsync("constant");
        await Assertions.Expect(rows.Nth(2).Locator("td").Last).ToHaveTextAsync("met");
        await Assertions.Expect(page.Locator("[data-testid=load-verdict]")).ToContainTextAsync("The objectives held at every step.");
        await Assertions.Expect(page.Locator("[data-testid=load-curve] canvas")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("[data-testid=load-curve] .legend span")).ToHaveCountAsync(1);
        await page.ScreenshotAsync(new() { Path = Path.Combine(BrowserApp.Artifacts, "16-load-sweep.png"), FullPage = true });

        // The car's earlier load test overlays its curve on this one's.
        await page.Locator($"[data-testid=load-earlier] input[value={earlier}]").CheckAsync();
        await Assertions.Expect(page.Locator("[data-testid=load-curve] .legend span")).ToHaveCountAsync(2);

        // Run History lists both as load tests, and opens one on its Load page.
        await page.GotoAsync("/#/history");
        var row = page.Locator($"tr[data-run={earlier}]");
        await Assertions.Expect(row.Locator("[data-testid=load-tag]")).ToHaveTextAsync("load test");
        await row.GetByRole(AriaRole.Link, new() { Name = "Open" }).ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=load-page] h2")).ToContainTextAsync(carName);
    }
}
