using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Playwright;

namespace LLMRace.Bench;

/// <summary>
/// A suite of 10,000 tests and a run of 10,000 items, as a user with a large eval set has them: how long the suite takes
/// to import, list and open, and how long Inspect takes to show the run in headless Chromium (the page the user waits for).
/// </summary>
public static class BigSuiteScenario
{
    public sealed record Result(int Tests, long SuiteBytes, List<double> ImportMs, List<double> ListMs, List<double> OpenMs,
        int Items, double RaceS, List<double> ItemsPageMs, long ItemsPageBytes, List<double> InspectMs, int InspectNodes);

    public static async Task<Result> RunAsync(HttpClient http, Server api, string connection, int tests)
    {
        var json = SuiteJson(tests);
        var importMs = new List<double>();
        string suite = "";
        for (var i = 0; i < 3; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await http.PostAsync("/api/suites/import",
                new StringContent(json.Replace("\"Eval set\"", $"\"Eval set {i}\""), Encoding.UTF8, "application/json"));
            var text = await response.Content.ReadAsStringAsync();
            importMs.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"import: {text}");
            suite = JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
        }
        var listMs = await TimeGetsAsync(http, "/api/suites", 30);
        var openMs = await TimeGetsAsync(http, $"/api/suites/{suite}", 10);

        var car = await http.PostForIdAsync("/api/cars", new { name = "big run", connection_id = connection, model = "instant?tokens=8" });
        var raceStarted = Stopwatch.GetTimestamp();
        var run = await http.PostForIdAsync("/api/runs",
            new { suite_id = suite, car_ids = new[] { car }, settings = new { concurrency = 64 } });
        using (var stream = await http.GetStreamAsync($"/api/runs/{run}/stream"))
        using (var reader = new StreamReader(stream))
            while (await reader.ReadLineAsync() is { } line)
                if (line.StartsWith("event: run.") && line != "event: run.started") break;
        var raceS = Stopwatch.GetElapsedTime(raceStarted).TotalSeconds;
        var status = (await http.GetFromJsonAsync<JsonElement>($"/api/runs/{run}")).GetProperty("status").GetString();
        if (status != "completed") throw new InvalidOperationException($"the 10,000-item run ended {status}");

        var pagePath = $"/api/runs/{run}/items?limit=100&offset=0";
        var pageMs = await TimeGetsAsync(http, pagePath, 30);
        var pageBytes = (await http.GetByteArrayAsync(pagePath)).LongLength;

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await HeadlessChromium.LaunchAsync(playwright);
        var inspectMs = new List<double>();
        var nodes = 0;
        for (var i = 0; i < 7; i++)
        {
            var page = await browser.NewPageAsync(new BrowserNewPageOptions
            {
                ViewportSize = new ViewportSize { Width = 1280, Height = 900 },
            });
            // The app is loaded first (Run History), so the figure is Inspect's own and not the page's start-up.
            await page.GotoAsync(new Uri(api.Address, "/#/history").ToString());
            await page.Locator("h1, h2").First.WaitForAsync();
            await page.WaitForLoadStateAsync(LoadState.NetworkIdle);
            var started = Stopwatch.GetTimestamp();
            await page.EvaluateAsync($"location.hash = '#/history/{run}'");
            await page.Locator("[data-testid=items-range]", new() { HasText = $"of {tests}" }).WaitForAsync(new() { Timeout = 60_000 });
            await page.Locator("details.item").Nth(99).WaitForAsync();
            inspectMs.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            nodes = await page.EvaluateAsync<int>("document.getElementsByTagName('*').length");
            await page.CloseAsync();
        }
        return new Result(tests, Encoding.UTF8.GetByteCount(json), importMs, listMs, openMs, tests, raceS, pageMs, pageBytes, inspectMs,
            nodes);
    }

    /// <summary>An eval set as users write them: a prompt of a few sentences, two checks and a judge criterion per test.</summary>
    private static string SuiteJson(int tests) => JsonSerializer.Serialize(new
    {
        name = "Eval set",
        category = "bench",
        tests = Enumerable.Range(1, tests).Select(i => new
        {
            order_index = i,
            name = $"case {i:00000}",
            system_prompt = "You are a careful assistant. Answer in one short paragraph.",
            user_prompt = $"Question {i}: summarise in two sentences why the sky looks blue at noon and red at sunset, for a child.",
            expected_constraints = $"contains:sky; max_words:60; Must be friendly to a reader aged {i % 12 + 6}",
        }),
    });

    private static async Task<List<double>> TimeGetsAsync(HttpClient http, string path, int times)
    {
        var samples = new List<double>();
        for (var i = 0; i < times + 3; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await http.GetAsync(path);
            response.EnsureSuccessStatusCode();
            await response.Content.ReadAsByteArrayAsync();
            if (i >= 3) samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
        }
        return samples;
    }
}
