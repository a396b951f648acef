using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace LLMRace.Tests.Integration;

/// <summary>Races on the embedded store (SQLite).</summary>
public sealed class RaceTests(ApiFixture fixture) : RaceContract(fixture.App), IClassFixture<ApiFixture>;

/// <summary>The same races on the shared store (a real PostgreSQL server).</summary>
public sealed class PostgresRaceTests(PostgresApiFixture fixture) : RaceContract(fixture.App), IClassFixture<PostgresApiFixture>;

/// <summary>
/// Races against the Simulator through the real Api: events, measurements, storage. Written once, run on each engine
/// of the store, whose guarantees (gap-free seqs, the batched append, replay exactly once, then live) they hold to.
/// </summary>
public abstract class RaceContract(InProcessApi app)
{
    private readonly RaceClient _client = new(app.Api);

    [Fact]
    public async Task The_seeded_example_suite_races_both_cars_to_the_finish()
    {
        var suite = (await _client.GetAsync("/api/suites")).EnumerateArray()
            .Single(s => s.GetProperty("name").GetString() == "Arcade Warm-up");
        var cars = (await _client.GetAsync("/api/cars")).EnumerateArray().Select(c => c.GetProperty("id").GetString()!).ToArray();
        Assert.Contains("car_sprinter", cars);
        Assert.Contains("car_cruiser", cars);

        var runId = await _client.StartRunAsync(suite.GetProperty("id").GetString()!, "car_sprinter", "car_cruiser");
        var events = await _client.ReadStreamAsync(runId);

        Assert.Equal("run.completed", events[^1].Type);
        var items = (await _client.GetAsync($"/api/runs/{runId}/items")).EnumerateArray().ToList();
        Assert.Equal(6, items.Count);
        Assert.All(items, i => Assert.Equal("passed", i.GetProperty("status").GetString()));
        Assert.All(items, i => Assert.False(string.IsNullOrWhiteSpace(i.GetProperty("output").GetString())));
        // The original's order: by test, then car.
        Assert.Equal(["Sprinter", "Cruiser", "Sprinter", "Cruiser", "Sprinter", "Cruiser"],
            items.Select(i => i.GetProperty("car_name").GetString()));
        var run = await _client.GetAsync($"/api/runs/{runId}");
        Assert.Equal("completed", run.GetProperty("status").GetString());
        Assert.Equal(6, run.GetProperty("items_done").GetInt32());
    }

    [Fact]
    public async Task A_race_streams_every_event_in_order_measures_ttft_and_stores_the_outputs()
    {
        const int ttftMs = 150;
        var suite = await _client.SuiteAsync("Echo order",
            ("Echo one", "one two three four five", "contains:three\nmax_words:5"),
            ("Echo two", "neon lights on the grid", "contains:missing"));
        var fast = await _client.CarAsync("Echo fast", $"echo?ttft_ms={ttftMs}&itl_ms=5");
        var slow = await _client.CarAsync("Echo slow", $"echo?ttft_ms={ttftMs * 2}&itl_ms=15");

        var runId = await _client.StartRunAsync(suite, fast, slow);
        var events = await _client.ReadStreamAsync(runId);

        // Every event once, seq 1..N with no gap, the SSE id equal to the seq, run.started first and run.completed last.
        Assert.Equal(Enumerable.Range(1, events.Count).Select(i => (long)i), events.Select(e => e.Seq));
        Assert.All(events, e => Assert.Equal(e.Seq.ToString(), e.SseId));
        Assert.All(events, e => Assert.Equal(e.Type, e.EventType));
        Assert.All(events, e => Assert.Equal(runId, e.Json.GetProperty("run_id").GetString()));
        Assert.Equal("run.started", events[0].Type);
        Assert.Equal("run.completed", events[^1].Type);

        // Per item: started, first_token, deltas, completed; items one after another (concurrency 1).
        var byItem = events.Where(e => e.ItemId is not null).GroupBy(e => e.ItemId!).ToList();
        Assert.Equal(4, byItem.Count);
        foreach (var item in byItem)
        {
            var types = item.Select(e => e.Type).ToList();
            Assert.Equal("item.started", types[0]);
            Assert.Equal("item.first_token", types[1]);
            Assert.Equal("item.completed", types[^1]);
            Assert.All(types.Skip(1).SkipLast(1), t => Assert.True(t is "item.first_token" or "item.delta", t));
        }
        var itemOrder = events.Where(e => e.Type == "item.started").Select(e => e.ItemId).ToList();
        Assert.Equal(itemOrder, byItem.Select(g => g.Key));

        // TTFT is measured from t0: never less than the Simulator's configured delay (how much more is the bench's business).
        var firstTokens = events.Where(e => e.Type == "item.first_token").Select(e => e.Data.GetProperty("ttft_ms").GetDouble()).ToList();
        var fastTtft = firstTokens.Where((_, i) => i % 2 == 0).ToList();
        var slowTtft = firstTokens.Where((_, i) => i % 2 == 1).ToList();
        Assert.All(fastTtft, t => Assert.True(t >= ttftMs, $"TTFT {t} ms"));
        Assert.All(slowTtft, t => Assert.True(t >= ttftMs * 2, $"TTFT {t} ms"));

        // The outputs are the prompts echoed; the checks ran on them.
        var items = (await _client.GetAsync($"/api/runs/{runId}/items")).EnumerateArray().ToList();
        Assert.Equal(["one two three four five", "one two three four five", "neon lights on the grid", "neon lights on the grid"],
            items.Select(i => i.GetProperty("output").GetString()));
        Assert.Equal(["passed", "passed", "failed", "failed"], items.Select(i => i.GetProperty("status").GetString()));
        var failedCheck = items[2].GetProperty("checks").GetProperty("checks")[0];
        Assert.Equal("fail", failedCheck.GetProperty("verdict").GetString());
        Assert.Equal("output does not contain 'missing'", failedCheck.GetProperty("reason").GetString());

        var metrics = items[0].GetProperty("metrics");
        Assert.Equal(5, metrics.GetProperty("output_tokens").GetInt32());
        Assert.False(metrics.GetProperty("output_tokens_estimated").GetBoolean());
        // Four gaps: each an ITL sample, unless its chunk came in one read with the one before (then counted, not sampled).
        var coalesced = metrics.GetProperty("coalesced_chunks").GetInt32();
        Assert.Equal(4, metrics.GetProperty("itl_ms").GetArrayLength() + coalesced);
        Assert.True(metrics.GetProperty("ttft_ms").GetDouble() >= ttftMs);
        // The Simulator writes chunk i at ttft + i × itl after the request arrives (never early; a late chunk makes the next
        // gap shorter), so the last of 5 chunks cannot be seen before 150 + 4 × 5 ms after t0.
        Assert.True(metrics.GetProperty("e2e_ms").GetDouble() >= ttftMs + 4 * 5, $"E2E {metrics.GetProperty("e2e_ms").GetDouble()} ms");

        // The deltas of an item spell its output.
        var deltas = string.Concat(byItem[0].Where(e => e.Type == "item.delta").Select(e => e.Data.GetProperty("text").GetString()));
        Assert.Equal("one two three four five", deltas);

        // Each chunk keeps its own read time, however the deltas were framed: the first is the TTFT, the gaps are the ITL samples.
        var times = byItem[0].Where(e => e.Type == "item.delta")
            .SelectMany(e => e.Data.GetProperty("t_ms").EnumerateArray().Select(t => t.GetDouble())).ToList();
        var itl = metrics.GetProperty("itl_ms").EnumerateArray().Select(t => t.GetDouble()).ToList();
        Assert.Equal(5, times.Count);
        Assert.Equal(metrics.GetProperty("ttft_ms").GetDouble(), times[0], 0.01);
        // Chunks stamped as one share a time: no gap into any of them (the first included, whose time is of the bytes after
        // it) is an ITL sample.
        var gaps = Enumerable.Range(1, times.Count - 1).Select(i => (Gap: Math.Round(times[i] - times[i - 1], 3),
            Shared: coalesced > 0 && (times[i] == times[i - 1] || (i + 1 < times.Count && times[i] == times[i + 1])))).ToList();
        var observed = gaps.Where(g => !g.Shared).Select(g => g.Gap).ToList();
        Assert.Equal(coalesced, gaps.Count - observed.Count);
        Assert.Equal(observed.Count, itl.Count);
        for (var i = 0; i < itl.Count; i++) Assert.Equal(itl[i], observed[i], 0.01);
    }

    [Fact]
    public async Task A_finished_run_replays_its_stored_log_exactly()
    {
        var suite = await _client.SuiteAsync("Replay", ("Echo", "replay this log please", null));
        var car = await _client.CarAsync("Replayer", "echo?ttft_ms=5&itl_ms=1");
        var runId = await _client.StartRunAsync(suite, car);
        var live = await _client.ReadStreamAsync(runId);

        var replay = await _client.ReadStreamAsync(runId);
        var tail = await _client.ReadStreamAsync(runId, lastEventId: 3);
        using var afterQuery = await _client.Http.GetAsync($"/api/runs/{runId}/stream?after={live.Count - 1}");
        var lastOnly = await afterQuery.Content.ReadAsStringAsync();

        Assert.Equal(live.Select(e => e.Json.GetRawText()), replay.Select(e => e.Json.GetRawText()));
        Assert.Equal(live.Skip(3).Select(e => e.Seq), tail.Select(e => e.Seq));
        Assert.Contains($"id: {live.Count}", lastOnly);
        Assert.DoesNotContain($"id: {live.Count - 1}\n", lastOnly);
    }

    [Fact]
    public async Task Reconnecting_mid_run_with_last_event_id_misses_nothing_and_repeats_nothing()
    {
        // Long enough that, even with a busy machine putting several chunks in one event, far more events come than are read.
        var suite = await _client.SuiteAsync("Reconnect",
            ("Long one", string.Join(' ', Enumerable.Range(1, 300).Select(i => $"w{i}")), null),
            ("Long two", string.Join(' ', Enumerable.Range(1, 300).Select(i => $"v{i}")), null));
        var car = await _client.CarAsync("Steady", "echo?ttft_ms=20&itl_ms=10");
        // A car whose server sends headers and then nothing keeps the run going however slowly this client reads.
        var holder = await _client.CarAsync("Holder", "echo?fault=hang");
        var runId = (await _client.PostAsync("/api/runs", new { suite_id = suite, car_ids = new[] { car, holder },
            settings = new { concurrency = 4 } })).GetProperty("id").GetString()!;

        // Read a while, drop the connection mid-stream, come back with the last id seen; three times.
        var received = new List<StreamedEvent>();
        long? last = null;
        foreach (var stopAfter in new[] { 10, 20, 20 })
        {
            var from = last ?? 0;
            var part = await _client.ReadStreamAsync(runId, last, stopWhen: e => e.Seq >= from + stopAfter);
            received.AddRange(part);
            last = part[^1].Seq;
            Assert.Equal(from + stopAfter, last);
        }
        using (await _client.Http.PostAsync($"/api/runs/{runId}/cancel", null)) { }
        received.AddRange(await _client.ReadStreamAsync(runId, last));

        Assert.Equal(Enumerable.Range(1, received.Count).Select(i => (long)i), received.Select(e => e.Seq));
        Assert.Equal("run.cancelled", received[^1].Type);
        var stored = await _client.ReadStreamAsync(runId);
        Assert.Equal(stored.Select(e => e.Json.GetRawText()), received.Select(e => e.Json.GetRawText()));
    }

    [Fact]
    public async Task Cancel_stops_a_run_mid_stream_and_the_stream_ends_with_run_cancelled()
    {
        var suite = await _client.SuiteAsync("Cancel me",
            ("Slow one", string.Join(' ', Enumerable.Range(1, 200).Select(i => $"t{i}")), null),
            ("Slow two", "never started", null));
        var car = await _client.CarAsync("Dawdler", "echo?ttft_ms=10&itl_ms=50");
        var runId = await _client.StartRunAsync(suite, car);

        var beforeCancel = await _client.ReadStreamAsync(runId, stopWhen: e => e.Type == "item.delta");
        using var cancel = await _client.Http.PostAsync($"/api/runs/{runId}/cancel", null);
        Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        var rest = await _client.ReadStreamAsync(runId, beforeCancel[^1].Seq);

        Assert.Equal("run.cancelled", rest[^1].Type);
        Assert.Equal("cancelled", (await _client.GetAsync($"/api/runs/{runId}")).GetProperty("status").GetString());
        var items = (await _client.GetAsync($"/api/runs/{runId}/items")).EnumerateArray().ToList();
        Assert.All(items, i => Assert.Equal("cancelled", i.GetProperty("status").GetString()));
        var output = items[0].GetProperty("output").GetString()!;
        Assert.True(output.Split(' ').Length < 200, "the first item was stopped mid-stream");
    }

    [Fact]
    public async Task The_api_describes_itself_in_an_openapi_document_and_an_interactive_page()
    {
        var openApi = JsonDocument.Parse(await _client.Http.GetStringAsync("/openapi/v1.json")).RootElement;
        var paths = openApi.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        foreach (var path in new[] { "/api/runs", "/api/runs/{id}/stream", "/api/connections/{id}/verify", "/api/suites/{id}/export",
            "/api/runs/{id}/compare" })
            Assert.Contains(path, paths);

        using var page = await _client.Http.GetAsync("/api/docs");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("LLMRace API", await page.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_stopped_run_resumes_only_its_unfinished_items_and_can_be_raced_again()
    {
        var suite = await _client.SuiteAsync("Resume me",
            ("Quick", "done before the stop", null),
            ("Slow", string.Join(' ', Enumerable.Range(1, 100).Select(i => $"s{i}")), null),
            ("Later", "never started before the stop", null));
        var car = await _client.CarAsync("Resumer", "echo?ttft_ms=5&itl_ms=30");
        var runId = await _client.StartRunAsync(suite, car);
        var firstPart = await _client.ReadStreamAsync(runId,
            stopWhen: e => e.Type == "item.delta" && e.Data.GetProperty("text").GetString()!.Split(' ').Contains("s3"));
        (await _client.Http.PostAsync($"/api/runs/{runId}/cancel", null)).EnsureSuccessStatusCode();
        Assert.Equal("run.cancelled", (await _client.ReadStreamAsync(runId, firstPart[^1].Seq))[^1].Type);
        var quick = (await _client.GetAsync($"/api/runs/{runId}/items"))[0];

        using var resumed = await _client.Http.PostAsync($"/api/runs/{runId}/resume", null);
        Assert.Equal(HttpStatusCode.Accepted, resumed.StatusCode);
        Assert.Equal(2, (await resumed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("items_to_race").GetInt32());
        var all = await _client.ReadStreamAsync(runId);

        // One log, gap-free across the stop: the cancel, then the resumed start, then the finish.
        Assert.Equal(Enumerable.Range(1, all.Count).Select(i => (long)i), all.Select(e => e.Seq));
        Assert.Equal(["run.started", "run.cancelled", "run.started", "run.completed"],
            all.Where(e => e.Type.StartsWith("run.")).Select(e => e.Type));
        Assert.True(all.Last(e => e.Type == "run.started").Data.GetProperty("resumed").GetBoolean());
        var items = (await _client.GetAsync($"/api/runs/{runId}/items")).EnumerateArray().ToList();
        Assert.All(items, i => Assert.Equal("passed", i.GetProperty("status").GetString()));
        Assert.Equal(quick.GetProperty("finished_at").GetString(),
            items[0].GetProperty("finished_at").GetString()); // the finished item was not raced again
        Assert.Equal(100, items[1].GetProperty("output").GetString()!.Split(' ').Length);
        var run = await _client.GetAsync($"/api/runs/{runId}");
        Assert.Equal("completed", run.GetProperty("status").GetString());
        Assert.Equal(3, run.GetProperty("items_done").GetInt32());

        using var again = await _client.Http.PostAsync($"/api/runs/{runId}/resume", null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);

        var rerun = await _client.PostAsync($"/api/runs/{runId}/rerun", new { });
        var rerunId = rerun.GetProperty("id").GetString()!;
        Assert.NotEqual(runId, rerunId);
        Assert.Equal("run.completed", (await _client.ReadStreamAsync(rerunId))[^1].Type);
        Assert.Equal(items.Select(i => i.GetProperty("output").GetString()),
            (await _client.GetAsync($"/api/runs/{rerunId}/items")).EnumerateArray().Select(i => i.GetProperty("output").GetString()));
    }

    [Fact]
    public async Task Unknown_ids_are_404_problems()
    {
        foreach (var path in new[] { "/api/runs/run_nope", "/api/runs/run_nope/items", "/api/runs/run_nope/stream", "/api/cars/car_nope",
            "/api/suites/suite_nope", "/api/connections/conn_nope" })
        {
            using var response = await _client.Http.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            Assert.Contains("does not exist", problem.GetProperty("detail").GetString());
        }
    }

    [Fact]
    public async Task A_run_with_no_cars_unknown_cars_or_an_empty_suite_is_refused_and_nothing_is_created()
    {
        var suite = await _client.SuiteAsync("Valid", ("t", "hello", null));
        var empty = (await _client.PostAsync("/api/suites", new { name = "Empty",
            tests = Array.Empty<object>() })).GetProperty("id").GetString();
        var car = await _client.CarAsync("Valid car", "sprinter");
        var runsBefore = (await _client.GetAsync("/api/runs?limit=500")).GetArrayLength();

        async Task Refused(object body, string field, string message)
        {
            using var response = await _client.Http.PostAsJsonAsync("/api/runs", body);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
            var errors = problem.GetProperty("errors").GetProperty(field).EnumerateArray().Select(e => e.GetString()).ToList();
            Assert.Contains(errors, e => e!.Contains(message));
        }

        await Refused(new { suite_id = suite, car_ids = Array.Empty<string>() }, "car_ids", "pick at least one car");
        await Refused(new { suite_id = suite, car_ids = new[] { car, "car_ghost" } }, "car_ids", "car 'car_ghost' does not exist");
        await Refused(new { suite_id = empty, car_ids = new[] { car } }, "suite_id", "has no tests");
        await Refused(new { suite_id = "suite_ghost", car_ids = new[] { car } }, "suite_id", "does not exist");
        await Refused(new { suite_id = suite, car_ids = new[] { car }, settings = new { concurrency = 0 } }, "settings.concurrency",
            "between 1 and 256");

        Assert.Equal(runsBefore, (await _client.GetAsync("/api/runs?limit=500")).GetArrayLength());
    }

    [Fact]
    public async Task A_body_of_the_wrong_shape_is_a_400_naming_the_field()
    {
        using var response = await _client.Http.PostAsync("/api/connections",
            new StringContent("""{"name":"x","type":"OLLAMA","base_url":"http://127.0.0.1:11434","timeout_s":"soon"}""",
                System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("$.timeout_s", problem.GetProperty("detail").GetString());
    }
}
