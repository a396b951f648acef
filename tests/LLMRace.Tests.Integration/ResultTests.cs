using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using System.Xml.Schema;

namespace LLMRace.Tests.Integration;

/// <summary>What a user reads after a race: history, Inspect, exports, scorecards, baselines, comparison, the judge.</summary>
public sealed class ResultTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private readonly RaceClient _client = new(fixture.App.Api);

    private async Task<string> RaceToEndAsync(string suite, object? settings, params string[] cars)
    {
        var run = (await _client.PostAsync("/api/runs", new { suite_id = suite, car_ids = cars, settings })).GetProperty("id").GetString()!;
        Assert.Equal("run.completed", (await _client.ReadStreamAsync(run))[^1].Type);
        return run;
    }

    [Fact]
    public async Task The_winner_passed_the_most_checks_then_had_the_lowest_median_e2e_and_a_race_nobody_finished_has_none()
    {
        var suite = await _client.SuiteAsync("Podium", ("Say", "alpha beta gamma", "contains:gamma"),
            ("Short", "one two three four", "max_words:3"));
        var fast = await _client.CarAsync("Podium fast", "echo?ttft_ms=2&itl_ms=1");
        // Slow by hundreds of milliseconds: a busy machine delaying the fast car cannot bring the two within 5%.
        var slow = await _client.CarAsync("Podium slow", "echo?ttft_ms=300&itl_ms=100");
        var quiet = await _client.CarAsync("Podium quiet", "instant?tokens=8"); // neither says gamma nor stays short
        var deadConnection = (await _client.PostAsync("/api/connections", new { name = "Podium nowhere", type = "OPENAI_COMPAT",
            base_url = "http://127.0.0.1:9", max_retries = 0 })).GetProperty("id").GetString()!;
        var dead = (await _client.PostAsync("/api/cars", new { name = "Podium dead", connection_id = deadConnection, model = "m" }))
            .GetProperty("id").GetString()!;
        async Task<JsonElement> WinnerAsync(params string[] cars) =>
            (await _client.GetAsync($"/api/runs/{await RaceToEndAsync(suite, null, cars)}/scorecard")).GetProperty("winner");

        // The same checks passed (1 of 2 each): the lower median E2E wins, whichever car comes first.
        var tie = await WinnerAsync(slow, fast);
        Assert.Equal("Podium fast", tie.GetProperty("car_name").GetString());
        Assert.False(tie.GetProperty("photo_finish").GetBoolean()); // 1 ms against 100 ms a token: far from 5%
        Assert.Equal(1, tie.GetProperty("checks_passed").GetInt32());
        Assert.Contains("median E2E", tie.GetProperty("reason").GetString());

        // More checks passed beats a faster car.
        var checks = await WinnerAsync(quiet, slow);
        Assert.Equal("Podium slow", checks.GetProperty("car_name").GetString());
        Assert.Equal("Podium slow passed the most checks: 1 of 2, against Podium quiet's 0.", checks.GetProperty("reason").GetString());

        // Only finishers can win; a race no car finished crowns nobody.
        var alone = await WinnerAsync(dead, fast);
        Assert.Equal("Podium fast", alone.GetProperty("car_name").GetString());
        Assert.Contains("only car that finished an item", alone.GetProperty("reason").GetString());
        Assert.Equal(JsonValueKind.Null, (await WinnerAsync(dead)).ValueKind);

        // The podium is the same order: finishers only, most checks passed first.
        var run = await RaceToEndAsync(suite, null, dead, quiet, slow, fast);
        var podium = (await _client.GetAsync($"/api/runs/{run}/scorecard")).GetProperty("podium").EnumerateArray()
            .Select(c => c.GetProperty("car_name").GetString()).ToList();
        Assert.Equal(["Podium fast", "Podium slow", "Podium quiet"], podium);
    }

    private async Task<long> StoredEventsAsync(string runId)
    {
        await using var db = new Microsoft.Data.Sqlite.SqliteConnection(
            $"Data Source={Path.Combine(fixture.App.DataDir, "llmrace.db")};Mode=ReadOnly;Pooling=False");
        await db.OpenAsync();
        await using var count = db.CreateCommand();
        count.CommandText = "SELECT (SELECT COUNT(*) FROM run_events WHERE run_id = $id) " +
            "+ (SELECT COUNT(*) FROM run_items WHERE run_id = $id);";
        count.Parameters.AddWithValue("$id", runId);
        return (long)(await count.ExecuteScalarAsync())!;
    }

    [Fact]
    public async Task A_finished_run_is_deleted_with_its_items_and_events_and_a_racing_one_only_once_cancelled()
    {
        var suite = await _client.SuiteAsync("Deletable", ("t", "one two", null));
        var car = await _client.CarAsync("Deletable car", "instant?tokens=2");
        var slow = await _client.CarAsync("Deletable slow", "echo?ttft_ms=5&itl_ms=200");
        var finished = await RaceToEndAsync(suite, null, car);
        Assert.True(await StoredEventsAsync(finished) > 0);

        using (var deleted = await _client.Http.DeleteAsync($"/api/runs/{finished}"))
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(0, await StoredEventsAsync(finished));
        foreach (var path in new[] { "", "/items", "/stream", "/scorecard" })
        {
            using var gone = await _client.Http.GetAsync($"/api/runs/{finished}{path}");
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        }
        Assert.DoesNotContain(finished, (await _client.GetAsync("/api/runs?limit=100")).EnumerateArray().Select(r => r.GetProperty("id")
            .GetString()));
        using (var again = await _client.Http.DeleteAsync($"/api/runs/{finished}"))
            Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);

        // Racing: refused, and nothing changes; once cancelled, deleted.
        var racing = await _client.StartRunAsync(suite, slow);
        await _client.ReadStreamAsync(racing, stopWhen: e => e.Type == "item.delta");
        using (var refused = await _client.Http.DeleteAsync($"/api/runs/{racing}"))
        {
            Assert.Equal(HttpStatusCode.Conflict, refused.StatusCode);
            Assert.Contains("cancel it", await refused.Content.ReadAsStringAsync());
        }
        await _client.PostAsync($"/api/runs/{racing}/cancel", new { });
        Assert.Equal("run.cancelled", (await _client.ReadStreamAsync(racing))[^1].Type);
        using (var deleted = await _client.Http.DeleteAsync($"/api/runs/{racing}"))
            Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        Assert.Equal(0, await StoredEventsAsync(racing));
    }

    [Fact]
    public async Task Several_runs_are_deleted_all_or_none()
    {
        var suite = await _client.SuiteAsync("Deletable many", ("t", "one two", null));
        var car = await _client.CarAsync("Deletable many car", "instant?tokens=2");
        // Held at a Simulator gate nobody opens: racing until it is cancelled, however slow the machine.
        var slow = await _client.CarAsync("Deletable many slow", $"echo?ttft_ms=5&itl_ms=200&gate=never-{Guid.NewGuid():N}");
        var a = await RaceToEndAsync(suite, null, car);
        var b = await RaceToEndAsync(suite, null, car);
        var c = await RaceToEndAsync(suite, null, car);
        var racing = await _client.StartRunAsync(suite, slow);

        async Task<HttpStatusCode> DeleteAsync(object body)
        {
            using var response = await _client.Http.PostAsJsonAsync("/api/runs/delete", body);
            return response.StatusCode;
        }
        Assert.Equal(HttpStatusCode.BadRequest, await DeleteAsync(new { run_ids = Array.Empty<string>() }));
        Assert.Equal(HttpStatusCode.BadRequest, await DeleteAsync(new { run_ids = new[] { a, a } }));
        Assert.Equal(HttpStatusCode.NotFound, await DeleteAsync(new { run_ids = new[] { a, "run_missing" } }));
        Assert.Equal(HttpStatusCode.Conflict, await DeleteAsync(new { run_ids = new[] { b, racing } }));
        Assert.True(await StoredEventsAsync(a) > 0 && await StoredEventsAsync(b) > 0, "a refused list deletes nothing");

        var done = await _client.PostAsync("/api/runs/delete", new { run_ids = new[] { a, b } });
        Assert.Equal([a, b], done.GetProperty("deleted").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(0, await StoredEventsAsync(a) + await StoredEventsAsync(b));
        Assert.True(await StoredEventsAsync(c) > 0);
        await _client.PostAsync($"/api/runs/{racing}/cancel", new { });
    }

    [Fact]
    public async Task A_person_grades_an_item_by_hand_and_the_grade_is_kept_apart_from_the_llm_judges_in_scorecard_and_exports()
    {
        var suite = await _client.SuiteAsync("Graded by hand", ("Ask", "hello there", null), ("Again", "hi", null));
        var car = await _client.CarAsync("Hand graded", "echo?itl_ms=1");
        var run = await RaceToEndAsync(suite, null, car);
        var items = (await _client.GetAsync($"/api/runs/{run}/items")).EnumerateArray().ToList();
        var item = items[0].GetProperty("id").GetString();

        async Task<HttpResponseMessage> GradeAsync(string itemId, object body) =>
            await _client.Http.PutAsJsonAsync($"/api/runs/{run}/items/{itemId}/grade", body);
        using (var bad = await GradeAsync(item!, new { score = 11, verdict = "maybe" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            var problem = await bad.Content.ReadAsStringAsync();
            Assert.Contains("score", problem);
            Assert.Contains("verdict", problem);
        }
        using (var missing = await GradeAsync("item_missing", new { score = 5, verdict = "pass" }))
            Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal(JsonValueKind.Null, (await _client.GetAsync($"/api/runs/{run}/items"))[0].GetProperty("manual_grade").ValueKind);

        using (var graded = await GradeAsync(item!, new { score = 7.5, verdict = "pass", note = "polite, a little long" }))
        {
            Assert.Equal(HttpStatusCode.OK, graded.StatusCode);
            var manual = (await graded.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("manual_grade");
            Assert.Equal(7.5, manual.GetProperty("score").GetDouble());
            Assert.Equal("polite, a little long", manual.GetProperty("note").GetString());
            Assert.NotEqual("", manual.GetProperty("graded_at").GetString());
        }
        using (var second = await GradeAsync(items[1].GetProperty("id").GetString()!, new { score = 2, verdict = "fail" }))
            second.EnsureSuccessStatusCode();

        var score = (await _client.GetAsync($"/api/runs/{run}/scorecard")).GetProperty("cars")[0];
        Assert.Equal(4.75, score.GetProperty("manual_mean").GetDouble());
        Assert.Equal(2, score.GetProperty("manual_graded").GetInt32());
        Assert.Equal(0.5, score.GetProperty("manual_pass_rate").GetDouble());
        Assert.Equal(JsonValueKind.Null, score.GetProperty("judge_mean").ValueKind);
        Assert.Equal(0, score.GetProperty("judged").GetInt32());

        var json = await _client.GetAsync($"/api/runs/{run}/export?format=json");
        Assert.Equal("pass", json.GetProperty("items")[0].GetProperty("manual_grade").GetProperty("verdict").GetString());
        Assert.Equal(JsonValueKind.Null, json.GetProperty("items")[0].GetProperty("judge").ValueKind);
        var csv = await _client.Http.GetStringAsync($"/api/runs/{run}/export?format=csv");
        var header = csv.Split("\r\n")[0].Split(',');
        var first = csv.Split("\r\n")[1].Split(',');
        Assert.Equal("7.5", first[Array.IndexOf(header, "manual_score")]);
        Assert.Equal("pass", first[Array.IndexOf(header, "manual_verdict")]);
        Assert.Equal("", first[Array.IndexOf(header, "judge_score")]);
    }

    [Fact]
    public async Task Run_history_shows_each_runs_cars_pass_rate_duration_and_median_ttft()
    {
        var suite = await _client.SuiteAsync("At a glance", ("One", "alpha beta", "contains:alpha"),
            ("Two", "gamma delta", "contains:zeta"),
            ("Three", "epsilon", null));
        var quick = await _client.CarAsync("Glance quick", "echo?ttft_ms=5&itl_ms=1");
        var steady = await _client.CarAsync("Glance steady", "echo?ttft_ms=30&itl_ms=1");
        var run = await RaceToEndAsync(suite, null, quick, steady);

        var listed = (await _client.GetAsync($"/api/runs?suite_id={suite}")).EnumerateArray().Single();
        Assert.Equal(["Glance quick", "Glance steady"],
            listed.GetProperty("car_names").EnumerateArray().Select(c => c.GetString()).Order());
        Assert.Equal(Math.Round(4 / 6.0, 4), listed.GetProperty("pass_rate").GetDouble()); // "Two" fails for both cars
        Assert.True(listed.GetProperty("duration_s").GetDouble() > 0);
        var ttfts = (await _client.GetAsync($"/api/runs/{run}/items")).EnumerateArray()
            .Select(i => i.GetProperty("metrics").GetProperty("ttft_ms").GetDouble()).Order().ToList();
        Assert.Equal(Math.Round((ttfts[2] + ttfts[3]) / 2, 1), listed.GetProperty("ttft_p50_ms").GetDouble());
        Assert.Equal(listed.GetRawText(), (await _client.GetAsync($"/api/runs/{run}")).GetRawText());
    }

    [Fact]
    public async Task A_runs_items_are_paged_and_filtered_on_the_server()
    {
        var suite = await _client.SuiteAsync("Paged items", ("A", "alpha", "contains:alpha"), ("B", "beta", "contains:zeta"),
            ("C", "gamma", null));
        var x = await _client.CarAsync("Paged X", "echo?itl_ms=1");
        var y = await _client.CarAsync("Paged Y", "echo?itl_ms=1");
        var run = await RaceToEndAsync(suite, null, x, y);
        var all = (await _client.GetAsync($"/api/runs/{run}/items")).EnumerateArray().Select(i => i.GetProperty("id").GetString()).ToList();
        Assert.Equal(6, all.Count);

        async Task<(List<string?> Ids, int Total)> PageAsync(string query)
        {
            using var response = await _client.Http.GetAsync($"/api/runs/{run}/items?{query}");
            Assert.True(response.IsSuccessStatusCode, await response.Content.ReadAsStringAsync());
            var ids = (await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray().Select(i => i.GetProperty("id")
                .GetString()).ToList();
            return (ids, int.Parse(response.Headers.GetValues("X-Total-Count").Single()));
        }
        var middle = await PageAsync("limit=3&offset=2");
        Assert.Equal(all.Skip(2).Take(3), middle.Ids);
        Assert.Equal(6, middle.Total);
        var failed = await PageAsync("status=failed");
        Assert.Equal(2, failed.Total);
        var ofX = await PageAsync($"car_id={x}&status=passed");
        Assert.Equal(2, ofX.Total);
        var testId = (await _client.GetAsync($"/api/suites/{suite}")).GetProperty("tests")[2].GetProperty("id").GetString();
        Assert.Equal(2, (await PageAsync($"test_id={testId}")).Total);
        using var bad = await _client.Http.GetAsync($"/api/runs/{run}/items?limit=0&status=sideways");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problem = await bad.Content.ReadAsStringAsync();
        Assert.Contains("limit", problem);
        Assert.Contains("sideways", problem);
    }

    [Fact]
    public async Task The_history_filters_by_suite_car_status_and_date_and_pages()
    {
        var suiteA = await _client.SuiteAsync("History A", ("t", "a", null));
        var suiteB = await _client.SuiteAsync("History B", ("t", "b", null));
        var carX = await _client.CarAsync("History X", "instant?tokens=2");
        var carY = await _client.CarAsync("History Y", "instant?tokens=2");
        var a1 = await RaceToEndAsync(suiteA, null, carX);
        var a2 = await RaceToEndAsync(suiteA, null, carX, carY);
        var b1 = await RaceToEndAsync(suiteB, null, carY);

        async Task<(List<string> Ids, int Total)> List(string query)
        {
            using var response = await _client.Http.GetAsync($"/api/runs?{query}");
            response.EnsureSuccessStatusCode();
            var ids = (await response.Content.ReadFromJsonAsync<JsonElement>()).EnumerateArray()
                .Select(r => r.GetProperty("id").GetString()!).ToList();
            return (ids, int.Parse(response.Headers.GetValues("X-Total-Count").Single()));
        }

        Assert.Equal([a2, a1], (await List($"suite_id={suiteA}")).Ids);
        Assert.Equal([b1, a2], (await List($"car_id={carY}")).Ids);
        Assert.Equal([a2], (await List($"suite_id={suiteA}&car_id={carY}")).Ids);
        var page = await List($"suite_id={suiteA}&limit=1&offset=1");
        Assert.Equal([a1], page.Ids);
        Assert.Equal(2, page.Total);
        Assert.Contains(b1, (await List($"status=completed&from={DateTime.UtcNow.AddMinutes(-5):O}")).Ids);
        Assert.Empty((await List($"suite_id={suiteA}&to={DateTime.UtcNow.AddDays(-1):O}")).Ids);
        using var bad = await _client.Http.GetAsync("/api/runs?status=sideways");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Inspect_shows_an_items_prompt_output_checks_metrics_and_raw_events()
    {
        var suite = await _client.SuiteAsync("Inspect", ("Echo", "inspect me closely", "contains:closely\nIs polite."));
        var car = await _client.CarAsync("Inspector", "echo?ttft_ms=5&itl_ms=1");
        var run = await RaceToEndAsync(suite, null, car);
        var itemId = (await _client.GetAsync($"/api/runs/{run}/items"))[0].GetProperty("id").GetString();

        var inspect = await _client.GetAsync($"/api/runs/{run}/items/{itemId}");

        Assert.Equal("inspect me closely", inspect.GetProperty("prompt").GetProperty("user_prompt").GetString());
        var item = inspect.GetProperty("item");
        Assert.Equal("inspect me closely", item.GetProperty("output").GetString());
        Assert.Equal("pass", item.GetProperty("checks").GetProperty("checks")[0].GetProperty("verdict").GetString());
        Assert.Equal("Is polite.", item.GetProperty("checks").GetProperty("criteria")[0].GetString());
        Assert.True(item.GetProperty("metrics").GetProperty("ttft_ms").GetDouble() > 0);
        var types = inspect.GetProperty("events").EnumerateArray().Select(e => e.GetProperty("type").GetString()).ToList();
        Assert.Equal("item.started", types[0]);
        Assert.Equal("item.completed", types[^1]);
        Assert.Contains("item.delta", types);
        using var missing = await _client.Http.GetAsync($"/api/runs/{run}/items/item_ghost");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Exports_are_complete_json_parseable_csv_and_valid_junit()
    {
        const string tricky = "commas, \"quotes\" and =SUM(A1)";
        var suite = await _client.SuiteAsync("Exports",
            ("Passes", tricky, "contains:quotes"),
            ("Fails", "short answer", "min_words:10"));
        var good = await _client.CarAsync("Exporter", "echo?ttft_ms=5&itl_ms=1");
        var broken = await _client.CarAsync("Broken", "echo?fault=status:400");
        var run = await RaceToEndAsync(suite, null, good, broken);
        var stream = await _client.ReadStreamAsync(run);

        // JSON: re-read; the suite and cars as raced, every item and event.
        var json = JsonDocument.Parse(await _client.Http.GetStringAsync($"/api/runs/{run}/export?format=json")).RootElement;
        Assert.Equal("llmrace.run.v1", json.GetProperty("format").GetString());
        Assert.Equal(run, json.GetProperty("run").GetProperty("id").GetString());
        Assert.Equal(2, json.GetProperty("suite").GetProperty("tests").GetArrayLength());
        Assert.Equal(2, json.GetProperty("cars").GetArrayLength());
        Assert.Equal(4, json.GetProperty("items").GetArrayLength());
        Assert.Equal(stream.Count, json.GetProperty("events").GetArrayLength());
        Assert.Equal(2, json.GetProperty("scorecard").GetArrayLength());

        // CSV: one row per item, quoted where it must be, formulas defused.
        using var csvResponse = await _client.Http.GetAsync($"/api/runs/{run}/export?format=csv");
        Assert.Equal("text/csv", csvResponse.Content.Headers.ContentType?.MediaType);
        var rows = ParseCsv(await csvResponse.Content.ReadAsStringAsync());
        Assert.Equal("run_id", rows[0][0]);
        Assert.Equal(5, rows.Count);
        Assert.All(rows, r => Assert.Equal(rows[0].Count, r.Count));
        var output = rows[0].IndexOf("output");
        var status = rows[0].IndexOf("status");
        Assert.Equal(tricky, rows[1][output]);
        Assert.Equal(["passed", "error", "failed", "error"], rows.Skip(1).Select(r => r[status]));

        // JUnit: valid against the schema; a failure per failed check, an error per failed request.
        var junit = await _client.Http.GetStringAsync($"/api/runs/{run}/export?format=junit");
        var doc = XDocument.Parse(junit);
        var schemas = new XmlSchemaSet();
        schemas.Add("", XmlReader.Create(new StringReader(JUnitSchema)));
        var problems = new List<string>();
        doc.Validate(schemas, (_, e) => problems.Add(e.Message));
        Assert.Empty(problems);
        Assert.Equal("4", doc.Root!.Attribute("tests")!.Value);
        Assert.Single(doc.Descendants("failure"));
        Assert.Equal(2, doc.Descendants("error").Count());
        Assert.Contains("min_words:10", doc.Descendants("failure").Single().Attribute("message")!.Value);

        using var bad = await _client.Http.GetAsync($"/api/runs/{run}/export?format=pdf");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task Scorecards_give_percentiles_rates_and_with_repeats_their_spread()
    {
        var suite = await _client.SuiteAsync("Scores", ("Echo", "one two three four", "max_words:10"), ("Strict", "one two three four",
            "max_words:2"));
        var car = await _client.CarAsync("Scorer", "echo?ttft_ms=20&itl_ms=2");
        var broken = await _client.CarAsync("Scorer broken", "echo?fault=status:400");
        var run = await RaceToEndAsync(suite, new { repeats = 3, concurrency = 4 }, car, broken);

        var cars = (await _client.GetAsync($"/api/runs/{run}/scorecard")).GetProperty("cars").EnumerateArray().ToList();
        var score = cars.Single(c => c.GetProperty("car_id").GetString() == car);
        Assert.Equal(6, score.GetProperty("items").GetInt32());
        Assert.Equal(3, score.GetProperty("passed").GetInt32());
        Assert.Equal(0.5, score.GetProperty("pass_rate").GetDouble());
        Assert.Equal(3, score.GetProperty("repeats").GetInt32());
        Assert.Equal(0.5, score.GetProperty("pass_all_repeats_rate").GetDouble());
        var ttft = score.GetProperty("ttft_ms");
        Assert.Equal(6, ttft.GetProperty("count").GetInt32());
        foreach (var p in new[] { "min", "p50", "p90", "p95", "p99", "max", "std_dev", "mean" }) Assert.Equal(JsonValueKind.Number,
            ttft.GetProperty(p).ValueKind);
        Assert.True(ttft.GetProperty("p50").GetDouble() >= 20);
        // Every observed gap of the car's measured items is pooled (a gap of chunks that came in one read is not observed).
        var measured = (await _client.GetAsync($"/api/runs/{run}/items")).EnumerateArray()
            .Where(i => i.GetProperty("car_id").GetString() == car).Select(i => i.GetProperty("metrics")).ToList();
        Assert.Equal(measured.Sum(m => m.GetProperty("itl_ms").GetArrayLength()), score.GetProperty("itl_ms").GetProperty("count").GetInt32());
        Assert.Equal(18, measured.Sum(m => m.GetProperty("itl_ms").GetArrayLength() + m.GetProperty("coalesced_chunks").GetInt32()));

        // Failed requests count against the car: error rate 1, nothing measured, nothing dropped.
        var bad = cars.Single(c => c.GetProperty("car_id").GetString() == broken);
        Assert.Equal(6, bad.GetProperty("items").GetInt32());
        Assert.Equal(1.0, bad.GetProperty("error_rate").GetDouble());
        Assert.Equal(0, bad.GetProperty("ttft_ms").GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task A_comparison_with_the_baseline_flags_a_slower_car_and_a_pass_that_became_a_fail()
    {
        var suite = await _client.SuiteAsync("Regressions", ("Quick answer", "quick answer please", "max_ttft_ms:600"), ("Steady",
            "steady answer", "contains:steady"));
        var car = await _client.CarAsync("Regressor", "echo?ttft_ms=20&itl_ms=1");
        var baseline = await RaceToEndAsync(suite, null, car);
        using var noBaseline = await _client.Http.GetAsync($"/api/runs/{baseline}/compare");
        Assert.Equal(HttpStatusCode.BadRequest, noBaseline.StatusCode);
        await _client.PostAsync($"/api/runs/{baseline}/baseline", new { });

        // Last week's car gets slower: TTFT 20 -> 900 ms, so the latency check fails (with room on both sides for a busy machine).
        using var slower = await _client.Http.PutAsJsonAsync($"/api/cars/{car}", new { name = "Regressor",
            connection_id = await _client.SimulatorConnectionAsync(), model = "echo?ttft_ms=900&itl_ms=1" });
        slower.EnsureSuccessStatusCode();
        var later = await RaceToEndAsync(suite, null, car);

        var compare = await _client.GetAsync($"/api/runs/{later}/compare");
        Assert.Equal(baseline, compare.GetProperty("baseline_run_id").GetString());
        Assert.True(compare.GetProperty("regressed").GetBoolean());
        var items = compare.GetProperty("items").EnumerateArray().ToList();
        var quick = items.Single(i => i.GetProperty("test_name").GetString() == "Quick answer");
        Assert.Equal("regressed", quick.GetProperty("change").GetString());
        Assert.Equal("passed -> failed", quick.GetProperty("flags")[0].GetString());
        Assert.True(quick.TryGetProperty("ttft_ms_delta", out var delta) && delta.ValueKind == System.Text.Json.JsonValueKind.Number);
        Assert.Equal("same", items.Single(i => i.GetProperty("test_name").GetString() == "Steady").GetProperty("change").GetString());
        var carDelta = compare.GetProperty("cars")[0];
        Assert.True(carDelta.GetProperty("ttft_p50_ms").GetProperty("regression").GetBoolean());
        Assert.True(carDelta.GetProperty("pass_rate").GetProperty("regression").GetBoolean());
        Assert.Equal(1, carDelta.GetProperty("new_failures").GetInt32());
        Assert.Contains(carDelta.GetProperty("flags").EnumerateArray(), f => f.GetString()!.StartsWith("TTFT p50 worse by"));

        // A generous tolerance lets the latency through; the flipped check still counts.
        var lenient = await _client.GetAsync($"/api/runs/{later}/compare?baseline={baseline}&ttft_tolerance_pct=5000");
        Assert.False(lenient.GetProperty("cars")[0].GetProperty("ttft_p50_ms").GetProperty("regression").GetBoolean());
        Assert.True(lenient.GetProperty("regressed").GetBoolean());

        var other = await RaceToEndAsync(await _client.SuiteAsync("Another suite", ("x", "y", null)), null, car);
        using var mismatch = await _client.Http.GetAsync($"/api/runs/{later}/compare?baseline={other}");
        Assert.Equal(HttpStatusCode.BadRequest, mismatch.StatusCode);
    }

    [Fact]
    public async Task The_comparison_puts_cars_and_runs_side_by_side_with_chart_series()
    {
        var suite = await _client.SuiteAsync("Side by side", ("t", "side by side", null));
        var fast = await _client.CarAsync("Side fast", "echo?ttft_ms=10&itl_ms=1");
        var slow = await _client.CarAsync("Side slow", "echo?ttft_ms=120&itl_ms=1");
        var first = await RaceToEndAsync(suite, null, fast, slow);
        var second = await RaceToEndAsync(suite, null, fast);

        var compare = await _client.GetAsync($"/api/compare?run_ids={first},{second}");

        Assert.Equal(2, compare.GetProperty("runs").GetArrayLength());
        var series = compare.GetProperty("series").EnumerateArray().ToList();
        Assert.Equal(3, series.Count);
        var slowSeries = series.Single(s => s.GetProperty("car_id").GetString() == slow);
        Assert.True(slowSeries.GetProperty("ttft_ms")[0].GetDouble() >= 120);
        Assert.Equal(1.0, slowSeries.GetProperty("pass_rate").GetDouble());
        using var bad = await _client.Http.GetAsync("/api/compare?run_ids=run_ghost");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
    }

    [Fact]
    public async Task The_judge_grades_each_output_streams_its_grades_and_records_a_malformed_reply_as_an_error()
    {
        var suite = await _client.SuiteAsync("Judged", ("Greeting", "hello there pit crew", "Is friendly."), ("Farewell",
            "goodbye and thanks", "Is polite."));
        var racer = await _client.CarAsync("Judged racer", "echo?ttft_ms=5&itl_ms=1");
        var run = await RaceToEndAsync(suite, null, racer);
        var lastSeq = (await _client.ReadStreamAsync(run))[^1].Seq;

        var reply = Uri.EscapeDataString("""Here you go: {"score": 8, "verdict": "pass", "rationale": "Friendly and on task."}""");
        var judge = await _client.CarAsync("Judge", $"echo?ttft_ms=1&itl_ms=1&reply={reply}");
        using var started = await _client.Http.PostAsJsonAsync($"/api/runs/{run}/judge", new { judge_car_id = judge,
            rubric = "Be strict." });
        Assert.Equal(HttpStatusCode.Accepted, started.StatusCode);

        // The run's stream goes on past its end with the judge's events.
        var judged = await _client.ReadStreamAsync(run, lastSeq);
        Assert.Equal(Enumerable.Range((int)lastSeq + 1, judged.Count).Select(i => (long)i), judged.Select(e => e.Seq));
        Assert.Equal("judge.started", judged[0].Type);
        Assert.Equal(2, judged.Count(e => e.Type == "item.judged"));
        Assert.Equal("judge.completed", judged[^1].Type);
        var items = (await _client.GetAsync($"/api/runs/{run}/items")).EnumerateArray().ToList();
        Assert.All(items, i => Assert.Equal(8, i.GetProperty("judge").GetProperty("score").GetDouble()));
        Assert.All(items, i => Assert.Equal("Friendly and on task.", i.GetProperty("judge").GetProperty("rationale").GetString()));
        var score = (await _client.GetAsync($"/api/runs/{run}/scorecard")).GetProperty("cars")[0];
        Assert.Equal(8, score.GetProperty("judge_mean").GetDouble());

        // A judge that answers prose: each grade is an error, nothing crashes, the scorecard has no mean.
        var rambler = await _client.CarAsync("Rambling judge", "echo?ttft_ms=1&itl_ms=1");
        var second = await RaceToEndAsync(suite, null, racer);
        var secondSeq = (await _client.ReadStreamAsync(second))[^1].Seq;
        (await _client.Http.PostAsJsonAsync($"/api/runs/{second}/judge", new { judge_car_id = rambler })).EnsureSuccessStatusCode();
        var rambled = await _client.ReadStreamAsync(second, secondSeq);
        Assert.Equal("judge.completed", rambled[^1].Type);
        Assert.Equal(2, rambled[^1].Data.GetProperty("errors").GetInt32());
        var errorGrade = (await _client.GetAsync($"/api/runs/{second}/items"))[0].GetProperty("judge");
        Assert.Contains("not the expected JSON", errorGrade.GetProperty("error").GetString());
        Assert.Equal(JsonValueKind.Null,
            (await _client.GetAsync($"/api/runs/{second}/scorecard")).GetProperty("cars")[0].GetProperty("judge_mean").ValueKind);

        using var noCar = await _client.Http.PostAsJsonAsync($"/api/runs/{run}/judge", new { judge_car_id = "car_ghost" });
        Assert.Equal(HttpStatusCode.BadRequest, noCar.StatusCode);
    }

    private static List<List<string>> ParseCsv(string text)
    {
        var rows = new List<List<string>>();
        var row = new List<string>();
        var cell = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"') { cell.Append('"'); i++; }
                else if (c == '"') quoted = false;
                else cell.Append(c);
            }
            else if (c == '"') quoted = true;
            else if (c == ',') { row.Add(cell.ToString()); cell.Clear(); }
            else if (c == '\r' && i + 1 < text.Length
                && text[i + 1] == '\n') { row.Add(cell.ToString()); cell.Clear(); rows.Add(row); row = []; i++; }
            else cell.Append(c);
        }
        return rows;
    }

    // The JUnit XML shape CI systems read (after the Jenkins/Ant junit schema), as LLMRace writes it.
    private const string JUnitSchema = """
        <?xml version="1.0" encoding="UTF-8"?>
        <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" elementFormDefault="qualified">
          <xs:element name="testsuites">
            <xs:complexType>
              <xs:sequence><xs:element ref="testsuite" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
              <xs:attribute name="name" type="xs:string"/>
              <xs:attribute name="tests" type="xs:nonNegativeInteger"/>
              <xs:attribute name="failures" type="xs:nonNegativeInteger"/>
              <xs:attribute name="errors" type="xs:nonNegativeInteger"/>
            </xs:complexType>
          </xs:element>
          <xs:element name="testsuite">
            <xs:complexType>
              <xs:sequence><xs:element ref="testcase" minOccurs="0" maxOccurs="unbounded"/></xs:sequence>
              <xs:attribute name="name" type="xs:string" use="required"/>
              <xs:attribute name="tests" type="xs:nonNegativeInteger" use="required"/>
              <xs:attribute name="failures" type="xs:nonNegativeInteger" use="required"/>
              <xs:attribute name="errors" type="xs:nonNegativeInteger" use="required"/>
              <xs:attribute name="skipped" type="xs:nonNegativeInteger"/>
              <xs:attribute name="time" type="xs:decimal"/>
              <xs:attribute name="timestamp" type="xs:dateTime"/>
            </xs:complexType>
          </xs:element>
          <xs:element name="testcase">
            <xs:complexType>
              <xs:sequence>
                <xs:choice minOccurs="0">
                  <xs:element name="failure" type="problem"/>
                  <xs:element name="error" type="problem"/>
                  <xs:element name="skipped"><xs:complexType><xs:attribute name="message" type="xs:string"/></xs:complexType></xs:element>
                </xs:choice>
                <xs:element name="system-out" type="xs:string" minOccurs="0"/>
              </xs:sequence>
              <xs:attribute name="name" type="xs:string" use="required"/>
              <xs:attribute name="classname" type="xs:string" use="required"/>
              <xs:attribute name="time" type="xs:decimal"/>
            </xs:complexType>
          </xs:element>
          <xs:complexType name="problem">
            <xs:simpleContent>
              <xs:extension base="xs:string">
                <xs:attribute name="message" type="xs:string"/>
                <xs:attribute name="type" type="xs:string"/>
              </xs:extension>
            </xs:simpleContent>
          </xs:complexType>
        </xs:schema>
        """;
}
