using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Playwright;

namespace LLMRace.Tests.Integration.Browser;

/// <summary>A person new to LLMRace, from a fresh start to a finished, inspected race, in a real browser.</summary>
[Collection(AppHostCollection.Name)]
public sealed class ArcadeTests(BrowserApp fixture)
{
    private static readonly float Timeout = 60_000;

    private async Task<IPage> OpenAsync()
    {
        var context = await fixture.Browser.NewContextAsync(new() { BaseURL = fixture.App.UiBase!.ToString(),
            ViewportSize = new() { Width = 1400, Height = 1000 }, AcceptDownloads = true });
        context.SetDefaultTimeout(Timeout);
        return await context.NewPageAsync();
    }

    private static Task Shot(IPage page, string name) =>
        page.ScreenshotAsync(new() { Path = Path.Combine(BrowserApp.Artifacts, $"{name}.png"), FullPage = true });

    [Fact]
    public async Task A_new_user_adds_a_connection_and_cars_imports_a_suite_races_inspects_exports_and_compares()
    {
        var page = await OpenAsync();
        var sim = fixture.App.SimBase.ToString().TrimEnd('/');

        // Garage: a Simulator connection from the preset, Test shows ONLINE.
        await page.GotoAsync("/#/garage");
        var addConnection = page.Locator("form[aria-label='Add a connection']");
        // A local server's preset points at this machine and says where the host is from a container.
        await addConnection.Locator("select[name=preset]").SelectOptionAsync(new SelectOptionValue { Label = "Ollama" });
        await Assertions.Expect(addConnection.Locator("input[name=base_url]")).ToHaveValueAsync("http://127.0.0.1:11434");
        await Assertions.Expect(page.GetByText("If LLMRace runs in a container, use http://host.docker.internal:11434."))
            .ToBeVisibleAsync();
        await addConnection.Locator("select[name=preset]").SelectOptionAsync(new SelectOptionValue { Label = "LLMRace Simulator" });
        await addConnection.Locator("input[name=name]").FillAsync("Track sim");
        await addConnection.Locator("input[name=base_url]").FillAsync(sim);
        await addConnection.Locator("button[type=submit]").ClickAsync();
        var card = page.Locator("[data-connection='Track sim']");
        await card.Locator("button:text-is('Test')").ClickAsync();
        await Assertions.Expect(card.Locator(".badge-card.online")).ToContainTextAsync("ONLINE");
        await card.Locator("text=Verify Runtime").ClickAsync();
        await Assertions.Expect(card.Locator(".verify")).ToContainTextAsync("ok: 5 model(s)");

        // Two cars on it.
        foreach (var (name, model) in new[] { ("Rabbit", "echo?ttft_ms=20&itl_ms=15"), ("Tortoise", "echo?ttft_ms=80&itl_ms=80") })
        {
            await page.Locator("form[aria-label='Add a car'] input[name=car_name]").FillAsync(name);
            await page.Locator("form[aria-label='Add a car'] select[name=connection_id]")
                .SelectOptionAsync(new SelectOptionValue { Label = "Track sim" });
            await page.Locator("form[aria-label='Add a car'] input[name=model]").FillAsync(model);
            await page.Locator("form[aria-label='Add a car'] button[type=submit]").ClickAsync();
            await Assertions.Expect(page.Locator("table.grid")).ToContainTextAsync(name);
        }
        await Shot(page, "01-garage");

        // Suites: a broken suite shows its errors at their lines; then a good one is imported from a file.
        await page.GotoAsync("/#/suites");
        await page.SetInputFilesAsync("#suite-file", new FilePayload { Name = "broken.json", MimeType = "application/json",
            Buffer = System.Text.Encoding.UTF8.GetBytes("{\n  \"name\": \"\",\n  \"tests\": [\n    { \"name\": \"t\", \"user_prompt\": 5 " +
                "}\n  ]\n}") });
        await page.ClickAsync("text=Import suite");
        var errors = page.Locator(".errors[role=alert]");
        await Assertions.Expect(errors).ToContainTextAsync("$.tests[0].user_prompt: must be a string");
        await Assertions.Expect(errors).ToContainTextAsync("line 4");
        await Shot(page, "02-suite-errors");

        var words = string.Join(' ', Enumerable.Range(1, 40).Select(i => $"lap{i}"));
        var suite = JsonSerializer.Serialize(new
        {
            name = "Browser Grand Prix", category = "ui", description = "raced in a browser",
            tests = new[]
            {
                new { order_index = 1, name = "Warm lap", user_prompt = words, expected_constraints = "contains:lap40" },
                new { order_index = 2, name = "Hot lap", user_prompt = words, expected_constraints = "max_words:10" },
            },
        });
        await page.SetInputFilesAsync("#suite-file", new FilePayload { Name = "gp.json", MimeType = "application/json",
            Buffer = System.Text.Encoding.UTF8.GetBytes(suite) });
        await page.ClickAsync("text=Import suite");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("#/suites/suite_"));
        await Assertions.Expect(page.Locator(".tests")).ToContainTextAsync("max_words:10");

        // Race: pick the suite and the two new cars.
        await page.GotoAsync("/#/race");
        await page.SelectOptionAsync("select[name=suite]", new SelectOptionValue { Label = "Browser Grand Prix (2)" });
        foreach (var box in await page.Locator("input[name=car]").AllAsync())
        {
            var label = await box.Locator("xpath=..").InnerTextAsync();
            if (label.Contains("Rabbit") || label.Contains("Tortoise")) await box.CheckAsync(); else await box.UncheckAsync();
        }
        await page.ClickAsync("text=Start the race");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("#/race/run_"));
        var runId = Regex.Match(page.Url, "run_[0-9a-f]+").Value;

        // Both lanes move live.
        var rabbit = page.Locator(".lane[data-car=Rabbit] .track");
        var tortoise = page.Locator(".lane[data-car=Tortoise] .track");
        await Assertions.Expect(page.Locator("[data-testid=race-status]")).ToHaveTextAsync("RUNNING");
        await Assertions.Expect(page.Locator(".lane[data-car=Rabbit] .stream")).Not.ToBeEmptyAsync();
        await Assertions.Expect(rabbit).ToHaveAttributeAsync("aria-valuenow", new Regex("^[1-9]"));
        await Shot(page, "03-race-live");

        // A reload mid-race resumes from the last seq seen: the lanes come back with what they had, only later
        // events arrive, and the race goes on to the finish.
        var before = int.Parse((await rabbit.GetAttributeAsync("aria-valuenow"))!);
        var seenBefore = Seqs(await page.Locator(".events li").AllInnerTextsAsync());
        // Read after the list: still running then means the list lacked the finish, so events must follow the reload.
        var runningAtReload = await page.Locator("[data-testid=race-status]").InnerTextAsync() == "RUNNING";
        await page.ReloadAsync();
        await Assertions.Expect(page.Locator(".lane[data-car=Rabbit]")).ToBeVisibleAsync();
        Assert.True(int.Parse((await page.Locator(".lane[data-car=Rabbit] .track").GetAttributeAsync("aria-valuenow"))!) >= before);
        await Assertions.Expect(page.Locator("[data-testid=race-status]")).ToHaveTextAsync("FINISH");
        await Assertions.Expect(rabbit).ToHaveAttributeAsync("aria-valuenow", "100");
        await Assertions.Expect(tortoise).ToHaveAttributeAsync("aria-valuenow", "100");
        await Assertions.Expect(page.Locator("[data-testid=winner]")).ToContainTextAsync("WINNER: Rabbit");
        // Both passed contains:lap40 and failed max_words:10: the lower median E2E decides, and the page says so.
        await Assertions.Expect(page.Locator("[data-testid=winner-reason]")).ToContainTextAsync("Rabbit's median E2E of");
        var seenAfter = Seqs(await page.Locator(".events li").AllInnerTextsAsync());
        if (runningAtReload) Assert.NotEmpty(seenAfter);
        Assert.True(seenAfter.DefaultIfEmpty(long.MaxValue).Min() > seenBefore.DefaultIfEmpty(0).Max(),
            "after the reload only events after the last seq seen arrive");
        Assert.Equal(seenAfter.Count, seenAfter.Distinct().Count());
        await Shot(page, "04-race-finish");

        // Inspect, scorecard.
        await page.ClickAsync("text=Inspect");
        await Assertions.Expect(page.Locator("[data-testid=scorecard]")).ToContainTextAsync("Rabbit");
        await Assertions.Expect(page.Locator("[data-testid=scorecard-winner]")).ToContainTextAsync("beats Tortoise's");
        await page.Locator("details.item summary").First.ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=inspect]").First).ToContainTextAsync("lap40");
        await Assertions.Expect(page.Locator("[data-testid=inspect]").First).ToContainTextAsync("PASS contains:lap40");
        await Shot(page, "05-inspect");

        // Export JSON downloads the run.
        var download = await page.RunAndWaitForDownloadAsync(() => page.ClickAsync("text=Export JSON"));
        var file = Path.Combine(BrowserApp.Artifacts, "export.json");
        await download.SaveAsAsync(file);
        var export = JsonDocument.Parse(await File.ReadAllTextAsync(file)).RootElement;
        Assert.Equal(runId, export.GetProperty("run").GetProperty("id").GetString());
        Assert.Equal(4, export.GetProperty("items").GetArrayLength());

        // Comparison charts.
        await page.GotoAsync($"/#/compare/{runId}");
        await Assertions.Expect(page.Locator("[data-testid=comparison-page] .uplot")).ToHaveCountAsync(2);
        await Assertions.Expect(page.Locator(".bars").First).ToContainTextAsync("Rabbit");
        await Shot(page, "06-comparison");
    }

    [Fact]
    public async Task The_live_race_survives_a_network_drop_and_rejoins_from_the_last_event_it_saw()
    {
        var client = new RaceClient(fixture.App.Api);
        var words = string.Join(' ', Enumerable.Range(1, 50).Select(i => $"leg{i}"));
        var suite = await client.SuiteAsync("Dropped line", [.. Enumerable.Range(1, 4).Select(i => ($"Leg {i}", words, (string?)null))]);
        var car = await client.CarAsync("Steady", "echo?ttft_ms=10&itl_ms=20");
        var runId = await client.StartRunAsync(suite, car);
        var page = await OpenAsync();
        await page.GotoAsync($"/#/race/{runId}");
        await Assertions.Expect(page.Locator(".lane[data-car=Steady] .stream")).Not.ToBeEmptyAsync();

        // Every status the link shows is kept: "Connection lost" may last less than one of Playwright's polls.
        await page.EvaluateAsync("""
            () => {
              const status = document.querySelector('[data-testid=link-status]');
              window.linkStatuses = [status.textContent];
              new MutationObserver(() => window.linkStatuses.push(status.textContent))
                .observe(status, { childList: true, characterData: true, subtree: true });
            }
            """);

        // A real drop: the kernel kills every TCP connection to the Api, the browser's hub connection among them.
        var (code, output) = await Repo.RunAsync("ss", $"-K dport = {fixture.App.ApiBase.Port}", Repo.Root);
        Assert.True(code == 0, output);
        await Assertions.Expect(page.Locator("[data-testid=link-status]")).ToContainTextAsync("Reconnected: rejoined from event #");
        var statuses = await page.EvaluateAsync<string[]>("() => window.linkStatuses");
        Assert.Contains(statuses, text => text.Contains("Connection lost"));
        await Assertions.Expect(page.Locator("[data-testid=race-status]")).ToHaveTextAsync("FINISH");
        await Shot(page, "07-race-after-a-drop");

        // Nothing lost, nothing twice: the lane holds every item, and the log shows each event but the deltas once.
        await Assertions.Expect(page.Locator(".lane[data-car=Steady] .track")).ToHaveAttributeAsync("aria-valuenow", "100");
        await Assertions.Expect(page.Locator(".lane[data-car=Steady] .gauges")).ToContainTextAsync("✔4");
        var shown = Seqs(await page.Locator(".events li").AllInnerTextsAsync());
        var stored = (await client.ReadStreamAsync(runId)).Where(e => e.Type != "item.delta").Select(e => e.Seq).ToList();
        Assert.Equal(stored, shown.Order().ToList());
    }

    [Fact]
    public async Task A_race_no_car_finished_crowns_nobody_and_says_in_plain_words_what_to_fix()
    {
        var client = new RaceClient(fixture.App.Api);
        var connection = (await client.PostAsync("/api/connections", new { name = "Nowhere", type = "OPENAI_COMPAT",
            base_url = "http://127.0.0.1:9", max_retries = 0 })).GetProperty("id").GetString()!;
        var car = (await client.PostAsync("/api/cars", new { name = "Stalled", connection_id = connection, model = "m" }))
            .GetProperty("id").GetString()!;
        var suite = await client.SuiteAsync("Nobody home", ("Knock", "hello", null));
        var runId = await client.RaceToEndAsync(suite, car);

        var page = await OpenAsync();
        await page.GotoAsync($"/#/race/{runId}");
        await Assertions.Expect(page.Locator("[data-testid=race-status]")).ToHaveTextAsync("FINISH");
        await Assertions.Expect(page.Locator("[data-testid=winner]")).ToHaveTextAsync("No winner: no car finished an item.");
        var error = page.Locator(".lane[data-car=Stalled] [data-testid=lane-error]");
        await Assertions.Expect(error).ToContainTextAsync("Nothing is listening at http://127.0.0.1:9: start the model server");
        await Assertions.Expect(error).ToHaveAttributeAsync("title", new Regex("refused|reach", RegexOptions.IgnoreCase));
        await Shot(page, "08-race-nobody-finished");
    }

    [Fact]
    public async Task A_ui_served_apart_talks_to_the_api_named_in_vite_proxy_base_url()
    {
        // Its own proxy points nowhere: every call that works went to VITE_PROXY_BASE_URL.
        await using var apart = await ViteServer.StartAsync(new Dictionary<string, string>
        {
            ["VITE_PROXY_BASE_URL"] = fixture.App.ApiBase.ToString(),
            ["LLMRACE_API_URL"] = "http://127.0.0.1:9",
        });
        var context = await fixture.Browser.NewContextAsync(new() { BaseURL = apart.Address.ToString() });
        context.SetDefaultTimeout(Timeout);
        var page = await context.NewPageAsync();
        var calls = new List<string>();
        page.Request += (_, request) => { lock (calls) calls.Add(request.Url); };

        await page.GotoAsync("/#/garage");
        await Assertions.Expect(page.Locator("[data-connection='LLMRace Simulator']")).ToBeVisibleAsync();
        await page.GotoAsync("/#/suites");
        await Assertions.Expect(page.Locator("main")).ToContainTextAsync("Arcade Warm-up");

        lock (calls)
        {
            var direct = new Uri(fixture.App.ApiBase, "/api/connections").ToString();
            Assert.Contains(calls, url => url.StartsWith(direct, StringComparison.Ordinal));
            Assert.DoesNotContain(calls, url => url.StartsWith(new Uri(apart.Address, "/api/").ToString(), StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task Runs_are_deleted_from_run_history_several_at_once_or_one_from_its_page()
    {
        var client = new RaceClient(fixture.App.Api);
        var suite = await client.SuiteAsync("Spring cleaning", ("t", "one two", null));
        var car = await client.CarAsync("Cleaner", "instant?tokens=2");
        var runs = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var run = await client.RaceToEndAsync(suite, car);
            runs.Add(run);
        }
        var page = await OpenAsync();
        page.Dialog += async (_, dialog) => await dialog.AcceptAsync();

        await page.GotoAsync("/#/history");
        await page.Locator($"input[name=compare][value={runs[0]}]").CheckAsync();
        await page.Locator($"input[name=compare][value={runs[1]}]").CheckAsync();
        await page.ClickAsync("text=Delete selected");
        await Assertions.Expect(page.Locator($"tr[data-run={runs[0]}]")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator($"tr[data-run={runs[1]}]")).ToHaveCountAsync(0);
        await Assertions.Expect(page.Locator($"tr[data-run={runs[2]}]")).ToHaveCountAsync(1);

        await page.GotoAsync($"/#/history/{runs[2]}");
        await page.ClickAsync("text=Delete run");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("#/history$"));
        await Assertions.Expect(page.Locator($"tr[data-run={runs[2]}]")).ToHaveCountAsync(0);
        foreach (var run in runs)
        {
            using var gone = await fixture.App.Api.GetAsync($"/api/runs/{run}");
            Assert.Equal(System.Net.HttpStatusCode.NotFound, gone.StatusCode);
        }
    }

    [Fact]
    public async Task A_connection_and_a_car_are_edited_in_the_garage_every_field_and_the_key_kept_or_replaced()
    {
        var client = new RaceClient(fixture.App.Api);
        var sim = fixture.App.SimBase.ToString().TrimEnd('/');
        var connection = (await client.PostAsync("/api/connections", new { name = "Pit lane", type = "OPENAI_COMPAT", base_url = sim,
            api_key = "sk-first-key-0001" })).GetProperty("id").GetString()!;
        await client.PostAsync("/api/cars", new { name = "Tuned", connection_id = connection, model = "echo" });
        var page = await OpenAsync();
        await page.GotoAsync("/#/garage");

        // The connection: every setting shown with its default, a new name and limits; the key left empty is kept.
        var card = page.Locator("[data-connection='Pit lane']");
        await Assertions.Expect(card.Locator(".settings")).ToContainTextAsync("retries 2 · concurrency 1");
        await card.Locator("button:text-is('Edit')").ClickAsync();
        var form = card.Locator("form[aria-label='Edit Pit lane']");
        await Assertions.Expect(form.Locator("input[name=api_key]")).ToHaveAttributeAsync("placeholder", new Regex("leave empty to keep"));
        await form.Locator("input[name=name]").FillAsync("Pit wall");
        await form.Locator("input[name=timeout_s]").FillAsync("30");
        await form.Locator("input[name=total_timeout_s]").FillAsync("90");
        await form.Locator("input[name=max_retries]").FillAsync("0");
        await form.Locator("input[name=max_concurrency]").FillAsync("4");
        await form.Locator("text=Save connection").ClickAsync();
        await Assertions.Expect(page.Locator("[data-connection='Pit wall'] .settings"))
            .ToContainTextAsync("first token 30 s · headers 30 s · total 90 s · retries 0 · concurrency 4");
        var saved = await client.GetAsync($"/api/connections/{connection}");
        Assert.True(saved.GetProperty("api_key_set").GetBoolean());
        Assert.Equal("…0001", saved.GetProperty("api_key_hint").GetString()![^5..]);

        // Re-saving the key, as the original's fix for a 401 says.
        card = page.Locator("[data-connection='Pit wall']");
        await card.Locator("button:text-is('Edit')").ClickAsync();
        await card.Locator("form input[name=api_key]").FillAsync("sk-second-key-0002");
        await card.Locator("text=Save connection").ClickAsync();
        await Assertions.Expect(page.Locator("[data-connection='Pit wall']")).ToContainTextAsync("0002");

        // The car: every parameter, stop sequences and extra JSON.
        await page.Locator("button[aria-label='Edit Tuned']").ClickAsync();
        var carForm = page.Locator("form[aria-label='Edit Tuned']");
        await carForm.Locator("input[name=model]").FillAsync("echo?itl_ms=2");
        await carForm.Locator("input[name=temperature]").FillAsync("0.4");
        await carForm.Locator("input[name=top_p]").FillAsync("0.9");
        await carForm.Locator("input[name=max_tokens]").FillAsync("128");
        await carForm.Locator("input[name=seed]").FillAsync("42");
        await carForm.Locator("textarea[name=stop]").FillAsync("END\n###");
        await carForm.Locator("textarea[name=extra_params]").FillAsync("{\"repeat_penalty\": 1.1}");
        await carForm.Locator("text=Save car").ClickAsync();
        await Assertions.Expect(page.Locator("tr[data-car=Tuned]")).ToContainTextAsync("echo?itl_ms=2");
        var car = (await client.GetAsync("/api/cars")).EnumerateArray().Single(c => c.GetProperty("name").GetString() == "Tuned");
        Assert.Equal("{\"repeat_penalty\":1.1,\"temperature\":0.4,\"top_p\":0.9,\"max_tokens\":128,\"seed\":42,\"stop\":[\"END\",\"###\"]}",
            car.GetProperty("params").GetRawText());
        await Shot(page, "09-garage-edited");
    }

    [Fact]
    public async Task A_suite_from_the_original_imports_with_its_semicolons_and_python_regexes_and_shows_its_warnings()
    {
        var page = await OpenAsync();
        await page.GotoAsync("/#/suites");
        await page.SetInputFilesAsync("#suite-file", new FilePayload { Name = "original.json", MimeType = "application/json",
            Buffer = System.Text.Encoding.UTF8.GetBytes(SuiteTests.OriginalSuite) });
        await page.ClickAsync("text=Import suite");
        await Assertions.Expect(page).ToHaveURLAsync(new Regex("#/suites/suite_"));

        var tests = page.Locator(".tests");
        await Assertions.Expect(tests).ToContainTextAsync("regex:(?<year>\\d{4})-\\k<year>");
        await Assertions.Expect(tests).ToContainTextAsync("max_words:3");
        await Assertions.Expect(tests).ToContainTextAsync("judge criteria: Must be friendly");
        var warnings = page.Locator("[data-testid=suite-warnings]");
        await Assertions.Expect(warnings).ToContainTextAsync("2 warning(s)");
        await Assertions.Expect(warnings).ToContainTextAsync("Shouting: line 1: 'Contains:' is not a check (keywords are lower case");
        await Assertions.Expect(page.Locator(".syntax")).ToContainTextAsync("contains: x looks for x");
        await Shot(page, "10-suite-from-the-original");
    }

    [Fact]
    public async Task A_person_grades_an_item_by_hand_in_inspect_and_the_scorecard_tells_it_from_the_llm_judge()
    {
        var client = new RaceClient(fixture.App.Api);
        var suite = await client.SuiteAsync("Hand judged", ("Greet", "hello there friend", null));
        var car = await client.CarAsync("Greeter", "echo?itl_ms=1");
        var run = await client.RaceToEndAsync(suite, car);
        var page = await OpenAsync();
        await page.GotoAsync($"/#/history/{run}");

        await page.Locator("details.item summary").First.ClickAsync();
        var form = page.Locator("form[aria-label='Grade by hand']");
        await Assertions.Expect(page.Locator("[data-testid=manual-grade]")).ToHaveTextAsync("Not graded by hand yet.");
        await form.Locator("input[name=manual_score]").FillAsync("8");
        await form.Locator("select[name=manual_verdict]").SelectOptionAsync("pass");
        await form.Locator("input[name=manual_note]").FillAsync("warm and short");
        await form.Locator("button[type=submit]").ClickAsync();
        await Assertions.Expect(page.Locator("[data-testid=manual-grade]")).ToHaveTextAsync("Graded by hand: 8/10 pass — warm and short");

        await page.ReloadAsync();
        await Assertions.Expect(page.Locator("[data-testid=manual-mean]")).ToHaveTextAsync("8.0/10 · 100% pass (1)");
        await Assertions.Expect(page.Locator("[data-testid=scorecard] thead")).ToContainTextAsync("LLM judge");
        await Shot(page, "11-graded-by-hand");
    }

    [Fact]
    public async Task Run_history_shows_each_runs_figures_and_comparison_follows_a_car_across_runs()
    {
        var client = new RaceClient(fixture.App.Api);
        var suite = await client.SuiteAsync("Season", ("Lap", "one two three", "contains:two"), ("Sprint", "go", "contains:stop"));
        var car = await client.CarAsync("Veteran", "echo?ttft_ms=15&itl_ms=1");
        var runs = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            var run = await client.RaceToEndAsync(suite, car);
            runs.Add(run);
        }
        var page = await OpenAsync();
        await page.GotoAsync("/#/history");
        var row = page.Locator($"tr[data-run={runs[1]}]");
        await Assertions.Expect(row.Locator("[data-col=cars]")).ToHaveTextAsync("Veteran");
        await Assertions.Expect(row.Locator("[data-col=pass-rate]")).ToHaveTextAsync("50.0%");
        await Assertions.Expect(row.Locator("[data-col=ttft]")).ToHaveTextAsync(new Regex(@"^\d+ ms$"));
        await Assertions.Expect(row.Locator("[data-col=duration]")).ToHaveTextAsync(new Regex(@"^\d+\.\d s$"));

        foreach (var run in runs) await page.Locator($"input[name=compare][value={run}]").CheckAsync();
        await page.ClickAsync("text=Compare selected");
        var overTime = page.Locator("[data-testid=car-over-time] figure[data-car=Veteran]");
        await Assertions.Expect(overTime.Locator("tbody tr")).ToHaveCountAsync(2);
        await Assertions.Expect(overTime.Locator("tbody tr").First).ToContainTextAsync("run 1");
        await Assertions.Expect(page.Locator(".bars .bar-label").First).ToContainTextAsync("Veteran · ");
        await Shot(page, "12-car-over-time");
    }

    [Fact]
    public async Task Inspect_pages_a_runs_items_and_filters_them_on_the_server()
    {
        var client = new RaceClient(fixture.App.Api);
        var suite = await client.SuiteAsync("Long season", [.. Enumerable.Range(1, 61).Select(i => ($"Race {i}", $"word{i}",
            (string?)(i % 2 == 0 ? "contains:nothing-like-this" : null)))]);
        var a = await client.CarAsync("Pager A", "instant?tokens=2");
        var b = await client.CarAsync("Pager B", "instant?tokens=2");
        var run = await client.RaceToEndAsync(suite, a, b);
        var page = await OpenAsync();
        await page.GotoAsync($"/#/history/{run}");

        var range = page.Locator("[data-testid=items-range]");
        await Assertions.Expect(range).ToHaveTextAsync("items 1–100 of 122");
        await Assertions.Expect(page.Locator("details.item")).ToHaveCountAsync(100);
        await page.ClickAsync("text=Next →");
        await Assertions.Expect(range).ToHaveTextAsync("items 101–122 of 122");
        await Assertions.Expect(page.Locator("details.item")).ToHaveCountAsync(22);
        await page.Locator("select[name=item_status]").SelectOptionAsync("failed");
        await Assertions.Expect(range).ToHaveTextAsync("items 1–60 of 60");
        await page.Locator("select[name=item_car]").SelectOptionAsync(new SelectOptionValue { Label = "Pager B" });
        await Assertions.Expect(range).ToHaveTextAsync("items 1–30 of 30");
        await Assertions.Expect(page.Locator("details.item summary").First).ToContainTextAsync("Pager B");
    }

    [Fact]
    public async Task A_race_on_the_track_shows_laps_gauges_tool_calls_and_a_podium_at_the_finish()
    {
        var client = new RaceClient(fixture.App.Api);
        var words = string.Join(' ', Enumerable.Range(1, 40).Select(i => $"km{i}"));
        const string tools = "[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\"," +
            "\"properties\":{\"city\":{\"type\":\"string\"}}}},\"mock\":{\"temp_c\":21}}]";
        var suite = (await client.PostAsync("/api/suites", new
        {
            name = "Neon Grand Prix",
            tests = Enumerable.Range(1, 3).Select(i => new { order_index = i, name = $"Lap {i}", user_prompt = words,
                tools_schema_json = tools }).ToArray(),
        })).GetProperty("id").GetString()!;
        var comet = await client.CarAsync("Comet", "caller?itl_ms=25");
        // Nova waits at the Simulator's gate until the page has shown the start, however late a busy machine opens it.
        var gate = $"nova-{Guid.NewGuid():N}";
        var nova = await client.CarAsync("Nova", $"echo?ttft_ms=50&itl_ms=40&gate={gate}");
        var run = await client.StartRunAsync(suite, comet, nova);
        var page = await OpenAsync();
        await page.GotoAsync($"/#/race/{run}");

        // The start: a lane per car, Nova on its first lap.
        await Assertions.Expect(page.Locator(".lane[data-car=Nova] [data-testid=lap]")).ToHaveTextAsync("LAP 1/3");
        await Assertions.Expect(page.Locator(".lane[data-car=Comet] .car-sprite")).ToBeVisibleAsync();
        await Shot(page, "13-track-start");
        using var sim = new HttpClient { BaseAddress = fixture.App.SimBase };
        (await sim.PostAsync($"/sim/gates/{gate}", null)).EnsureSuccessStatusCode();

        // Mid-race: a lap done, the tool the model called shown in its lane with its arguments.
        await Assertions.Expect(page.Locator(".lane[data-car=Comet] [data-testid=lane-tool]")).ToContainTextAsync("get_weather(");
        await Assertions.Expect(page.Locator(".lane[data-car=Nova] [data-testid=lap]")).ToHaveTextAsync(new Regex("^LAP [23]/3$"));
        await Shot(page, "14-track-mid-race");

        // The finish: every car over the line, the podium, and the race in words for a screen reader.
        await Assertions.Expect(page.Locator("[data-testid=race-status]")).ToHaveTextAsync("FINISH");
        await Assertions.Expect(page.Locator(".lane[data-car=Nova] .track")).ToHaveAttributeAsync("aria-valuenow", "100");
        var podium = page.Locator("[data-testid=podium] li");
        await Assertions.Expect(podium).ToHaveCountAsync(2);
        await Assertions.Expect(podium.First).ToContainTextAsync(
            (await client.GetAsync($"/api/runs/{run}/scorecard")).GetProperty("winner").GetProperty("car_name").GetString()!);
        await Assertions.Expect(page.Locator("[data-testid=race-summary]")).ToContainTextAsync("Finished. Comet: lap 3 of 3");
        await Shot(page, "15-track-finish");
    }

    private static List<long> Seqs(IEnumerable<string> lines) =>
        [.. lines.Select(l => Regex.Match(l, @"^#(\d+) ")).Where(m => m.Success).Select(m => long.Parse(m.Groups[1].Value))];

    [Fact]
    public async Task Every_page_is_reachable_from_the_navigation_by_keyboard()
    {
        var page = await OpenAsync();
        await page.GotoAsync("/#/race");
        foreach (var name in new[] { "Garage", "Suites", "Race", "Run History", "Comparison" })
        {
            await page.Locator($"nav a:text-is('{name}')").FocusAsync();
            await page.Keyboard.PressAsync("Enter");
            await Assertions.Expect(page.Locator($"nav a:text-is('{name}')")).ToHaveAttributeAsync("aria-current", "");
            await Assertions.Expect(page.Locator("main h2").First).ToBeVisibleAsync();
        }
    }
}
