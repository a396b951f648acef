using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;

namespace LLMRace.Bench;

/// <summary>
/// How smoothly the race page draws a race of 8 cars at 100 tokens/s each: the intervals between the page's animation
/// frames while the race is live, in headless Chromium on the same machine as the Api and the Simulator (as a user
/// racing local models has it). 16.7 ms is every frame at 60 Hz; a frame over 50 ms is a visible stutter.
/// </summary>
public static class RenderScenario
{
    public sealed record Result(int Frames, double Seconds, List<double> Intervals, double LongTaskMsPerS, double ApiBusy,
        double SimBusy);

    // Kept in the page from its first script: every frame's time and the main thread's long tasks (over 50 ms).
    private const string Recorder = """
        window.__frames = []; window.__long = [];
        const tick = (t) => { window.__frames.push(t); requestAnimationFrame(tick); };
        requestAnimationFrame(tick);
        new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__long.push([e.startTime, e.duration]); })
          .observe({ entryTypes: ["longtask"] });
        """;

    public static async Task<Result> RunAsync(HttpClient http, Server api, Server sim, string connection, int cars, int seconds)
    {
        var carIds = new List<string>();
        for (var i = 1; i <= cars; i++)
            carIds.Add(await http.PostForIdAsync("/api/cars", new { name = $"Car {i}", connection_id = connection,
                model = "echo?ttft_ms=5&itl_ms=10" }));
        // echo streams the prompt back a word a chunk: 100 words a second for the race's length.
        var prompt = string.Join(' ', Enumerable.Range(1, seconds * 100).Select(i => $"w{i}"));
        var suite = await http.PostForIdAsync("/api/suites", new { name = $"render {Guid.NewGuid():N}", tests = new[] { new { order_index = 1,
            name = "long", user_prompt = prompt } } });

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await HeadlessChromium.LaunchAsync(playwright);
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 900 } });
        await page.AddInitScriptAsync(Recorder);
        // The app loaded and connected first, so the figures are of the race and not of the page's start.
        await page.GotoAsync(new Uri(api.Address, "/#/race").ToString());
        await page.Locator("form").First.WaitForAsync();

        var run = await http.PostForIdAsync("/api/runs", new { suite_id = suite, car_ids = carIds, settings = new { concurrency = cars } });
        await page.EvaluateAsync($"location.hash = '#/race/{run}'");
        await page.Locator(".lane").Nth(cars - 1).WaitForAsync();
        await page.Locator("[data-testid=race-status]", new() { HasText = "RUNNING" }).WaitForAsync();
        var from = await page.EvaluateAsync<double>("performance.now()");
        var (apiCpu, simCpu, started) = (api.CpuMs(), sim.CpuMs(), Stopwatch.GetTimestamp());
        await page.Locator("[data-testid=race-status]", new() { HasText = "FINISH" })
            .WaitForAsync(new() { Timeout = (float)TimeSpan.FromSeconds(seconds * 4 + 30).TotalMilliseconds });
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        var to = await page.EvaluateAsync<double>("performance.now()");

        var frames = (await page.EvaluateAsync<double[]>("window.__frames")).Where(t => t >= from && t <= to).ToArray();
        var intervals = frames.Zip(frames.Skip(1), (a, b) => b - a).ToList();
        var longTasks = (await page.EvaluateAsync<double[][]>("window.__long")).Where(t => t[0] >= from && t[0] <= to).Sum(t => t[1]);
        var span = (to - from) / 1000;
        return new Result(frames.Length, span, intervals, longTasks / span, (api.CpuMs() - apiCpu) / elapsed,
            (sim.CpuMs() - simCpu) / elapsed);
    }
}
