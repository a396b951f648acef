using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace LLMRace.Tests.Integration;

/// <summary>
/// Load tests through the real Api against the real Simulator: every profile runs its steps and reports its figures, the
/// open-loop generator says when it falls behind (checked against the Simulator's own log of arrivals), objectives and
/// checks make goodput and the slo verdict, failures are counted by kind, and bad input is a 400 that starts nothing.
/// </summary>
public sealed class LoadTestTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private readonly RaceClient _client = new(fixture.App.Api);

    private async Task<(string Suite, string Car)> SetUpAsync(string model, params (string Name, string Prompt, string? Constraints)[] tests)
    {
        var suite = await _client.SuiteAsync($"Load {Guid.NewGuid():N}", tests.Length > 0 ? tests
            : [("Echo", "one two three four five six", "contains:six")]);
        var car = await _client.CarAsync($"Load car {Guid.NewGuid():N}", model);
        return (suite, car);
    }

    private async Task<(string Id, List<StreamedEvent> Events, JsonElement View)> LoadAsync(object body)
    {
        var id = (await _client.PostAsync("/api/load-tests", body)).GetProperty("id").GetString()!;
        var events = await _client.ReadStreamAsync(id, limit: TimeSpan.FromMinutes(3));
        return (id, events, await _client.GetAsync($"/api/load-tests/{id}"));
    }

    [Theory]
    [InlineData("synchronous", 1)]
    [InlineData("concurrent", 1)]
    [InlineData("constant", 1)]
    [InlineData("poisson", 1)]
    [InlineData("sweep", 4)]
    public async Task Each_profile_runs_its_steps_and_reports_every_request_and_each_steps_figures(string profile, int steps)
    {
        // The server's 40 ms per request, not the client's own time, sets the rates: three streams are then faster than one
        // even on a busy machine, so the sweep has rates between its bounds (5 ms once gave a throughput step no faster).
        var (suite, car) = await SetUpAsync("echo?ttft_ms=40&itl_ms=2");
        var (id, events, view) = await LoadAsync(new
        {
            suite_id = suite, car_id = car, profile, rate = 40, concurrency = 3, burstiness = profile == "poisson" ? 0.5 : (double?)null,
            steps = profile == "sweep" ? 4 : (int?)null, max_requests = 8, duration_s = 30, seed = 7,
        });

        Assert.Equal("run.completed", events[^1].Type);
        Assert.Equal("load", events[0].Data.GetProperty("kind").GetString());
        var figures = view.GetProperty("steps").EnumerateArray().ToList();
        Assert.Equal(steps, figures.Count);
        Assert.Equal(steps, events.Count(e => e.Type == "load.step"));
        Assert.Equal(steps, events.Count(e => e.Type == "load.step_started"));
        var requests = events.Where(e => e.Type == "load.request").Select(e => e.Data).ToList();
        Assert.Equal(figures.Sum(f => f.GetProperty("requests").GetInt32()), requests.Count);
        Assert.All(figures, f =>
        {
            Assert.Equal(8, f.GetProperty("requests").GetInt32());
            Assert.Equal(8, f.GetProperty("completed").GetInt32());
            Assert.True(f.GetProperty("requests_per_s").GetDouble() > 0);
            Assert.True(f.GetProperty("output_tokens_per_s").GetDouble() > 0);
            Assert.Equal(1.0, f.GetProperty("check_pass_rate").GetDouble());
            // The Simulator reports llama.cpp's timings: the server's own view of each request, beside the client's.
            Assert.Equal(40.0, f.GetProperty("server_timings").GetProperty("prompt_ms").GetProperty("p50").GetDouble());
            foreach (var latency in new[] { "ttft_ms", "itl_ms", "tpot_ms", "e2e_ms" })
            {
                var stats = f.GetProperty(latency);
                // ITL and TPOT have no sample when every request's chunks came in one read (a busy machine): then null.
                if (latency is "itl_ms" or "tpot_ms" && stats.ValueKind == JsonValueKind.Null) continue;
                Assert.True(stats.GetProperty("p50").GetDouble() <= stats.GetProperty("p99").GetDouble(), latency);
            }
        });
        Assert.All(requests, r => Assert.Equal("passed", r.GetProperty("status").GetString()));
        Assert.Equal(figures.Select(f => f.GetProperty("kind").GetString()), profile switch
        {
            "sweep" => ["synchronous", "throughput", "constant", "constant"],
            _ => [profile],
        });
        if (profile == "sweep")
        {
            // The rates between lie between the synchronous and the saturating rate, rising.
            var rates = figures.Skip(2).Select(f => f.GetProperty("target_rate").GetDouble()).ToList();
            Assert.True(rates[0] < rates[1], string.Join(", ", rates));
            Assert.True(rates[0] > figures[0].GetProperty("requests_per_s").GetDouble() * 0.999);
        }
        if (profile == "concurrent") Assert.True(figures[0].GetProperty("peak_concurrency").GetInt32() is > 1 and <= 3);
        if (profile == "synchronous") Assert.Equal(1, figures[0].GetProperty("peak_concurrency").GetInt32());

        // Run History lists it as a load test; the exports hold a row per request and a row per step.
        var history = await _client.GetAsync("/api/runs?kind=load&limit=500");
        Assert.Contains(history.EnumerateArray(), r => r.GetProperty("id").GetString() == id && r.GetProperty("kind").GetString() == "load");
        var csv = await fixture.App.Api.GetStringAsync($"/api/load-tests/{id}/export?format=csv");
        Assert.Equal(requests.Count + 1, csv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.StartsWith("run_id,step,index,test_id,scheduled_ms,sent_ms,schedule_error_ms", csv);
        // Each request says its clock (the load generator's client is the race's: the kernel's stamps) and the server's id.
        Assert.All(requests, r =>
        {
            Assert.Equal("kernel", r.GetProperty("timing_source").GetString());
            Assert.StartsWith("simreq_", r.GetProperty("server_request_id").GetString());
        });
        var stepsCsv = await fixture.App.Api.GetStringAsync($"/api/load-tests/{id}/export?format=steps_csv");
        Assert.Equal(steps + 1, stepsCsv.Split("\r\n", StringSplitOptions.RemoveEmptyEntries).Length);
        var json = JsonDocument.Parse(await fixture.App.Api.GetStringAsync($"/api/load-tests/{id}/export")).RootElement;
        Assert.Equal("llmrace.load.v1", json.GetProperty("format").GetString());
        Assert.Equal(requests.Count, json.GetProperty("requests").GetArrayLength());
    }

    [Fact]
    public async Task An_open_loop_generator_that_falls_behind_says_so_and_its_send_times_are_the_servers_arrival_times()
    {
        // One stream at a time, each ~300 ms, asked for 20 requests/s: every request but the first waits for the one before.
        var model = $"echo?ttft_ms=300&itl_ms=1&seed={Random.Shared.Next()}";
        var (suite, car) = await SetUpAsync(model);
        var (_, events, view) = await LoadAsync(new { suite_id = suite, car_id = car, profile = "constant", rate = 20, max_concurrency = 1,
            max_requests = 5, duration_s = 60 });

        var requests = events.Where(e => e.Type == "load.request").Select(e => e.Data).OrderBy(r => r.GetProperty("index").GetInt64()).ToList();
        Assert.Equal(5, requests.Count);
        var errors = requests.Select(r => r.GetProperty("schedule_error_ms").GetDouble()).ToList();
        // Each request waited about 300 ms for the one before and was due 50 ms after it: the error grows by ~250 ms a request.
        for (var i = 1; i < errors.Count; i++) Assert.True(errors[i] > errors[i - 1] + 100, string.Join(", ", errors));
        var step = view.GetProperty("steps")[0];
        Assert.True(step.GetProperty("schedule_error_ms").GetProperty("max").GetDouble() > 500);

        // The Simulator's log of arrivals spaces them as the reported send times do, not as the schedule did.
        using var sim = new HttpClient { BaseAddress = fixture.App.SimBase };
        var arrivals = (await sim.GetFromJsonAsync<JsonElement>($"/sim/requests?model={Uri.EscapeDataString(model)}"))
            .EnumerateArray().Select(t => t.GetProperty("arrivedUtc").GetDateTime()).Order().ToList();
        Assert.Equal(5, arrivals.Count);
        var sent = requests.Select(r => r.GetProperty("sent_ms").GetDouble()).ToList();
        var scheduled = requests.Select(r => r.GetProperty("scheduled_ms").GetDouble()).ToList();
        var served = (arrivals[^1] - arrivals[0]).TotalMilliseconds;
        Assert.True(Math.Abs(served - (sent[^1] - sent[0])) < Math.Abs(served - (scheduled[^1] - scheduled[0])),
            $"server saw {served} ms between first and last; reported sends {sent[^1] - sent[0]}, schedule {scheduled[^1] - scheduled[0]}");
    }

    [Fact]
    public async Task Checks_that_fail_lower_the_pass_rate_and_goodput_and_the_slo_profile_finds_a_rate_that_holds()
    {
        var (suite, car) = await SetUpAsync("echo?ttft_ms=2&itl_ms=1", ("Pass", "alpha beta", "contains:beta"),
            ("Fail", "gamma delta", "contains:zeta"));
        var (_, _, concurrent) = await LoadAsync(new { suite_id = suite, car_id = car, profile = "concurrent", concurrency = 2,
            max_requests = 10, duration_s = 30, slo = new { ttft_ms = 60_000 } });
        var step = concurrent.GetProperty("steps")[0];
        Assert.Equal(0.5, step.GetProperty("check_pass_rate").GetDouble());
        Assert.True(step.GetProperty("goodput_per_s").GetDouble() < step.GetProperty("requests_per_s").GetDouble());

        var (_, events, slo) = await LoadAsync(new { suite_id = suite, car_id = car, profile = "slo", steps = 2, max_requests = 6,
            duration_s = 30, slo = new { ttft_ms = 60_000, check_pass_rate = 0.4, percentile = 80 } });
        var verdict = slo.GetProperty("verdict");
        Assert.True(verdict.GetProperty("met").GetBoolean(), verdict.ToString());
        Assert.True(verdict.GetProperty("confirmed").GetBoolean(), verdict.ToString());
        Assert.True(verdict.GetProperty("rate").GetDouble() > 0);
        Assert.Equal("confirming", slo.GetProperty("steps").EnumerateArray().Last().GetProperty("purpose").GetString());
        Assert.Contains(events, e => e.Type == "load.verdict");

        var (_, _, missed) = await LoadAsync(new { suite_id = suite, car_id = car, profile = "slo", max_requests = 4, duration_s = 30,
            slo = new { check_pass_rate = 0.9 } });
        Assert.False(missed.GetProperty("verdict").GetProperty("met").GetBoolean());
        Assert.Contains("check pass rate 50% < 90%", missed.GetProperty("verdict").GetProperty("summary").GetString());
    }

    [Fact]
    public async Task Failed_requests_are_counted_by_kind_and_never_retried()
    {
        var (suite, car) = await SetUpAsync("echo?fault=status:503");
        var (_, events, view) = await LoadAsync(new { suite_id = suite, car_id = car, profile = "synchronous", max_requests = 3 });
        var step = view.GetProperty("steps")[0];
        Assert.Equal(1.0, step.GetProperty("error_rate").GetDouble());
        Assert.Equal(3, step.GetProperty("errors_by_kind").GetProperty("http_503").GetInt32());
        Assert.Equal(0.0, step.GetProperty("check_pass_rate").GetDouble());
        Assert.Equal(3, events.Count(e => e.Type == "load.request" && e.Data.GetProperty("error_kind").GetString() == "http_503"));
    }

    [Fact]
    public async Task A_load_test_is_cancelled_like_a_run_and_cannot_be_resumed_or_judged()
    {
        var (suite, car) = await SetUpAsync("echo?ttft_ms=20&itl_ms=5");
        var id = (await _client.PostAsync("/api/load-tests", new { suite_id = suite, car_id = car, profile = "concurrent", concurrency = 2,
            duration_s = 600 })).GetProperty("id").GetString()!;
        await _client.ReadStreamAsync(id, stopWhen: e => e.Type == "load.request");
        using (var cancel = await fixture.App.Api.PostAsync($"/api/runs/{id}/cancel", null))
            Assert.Equal(HttpStatusCode.Accepted, cancel.StatusCode);
        var events = await _client.ReadStreamAsync(id);
        Assert.Equal("run.cancelled", events[^1].Type);

        using var resume = await fixture.App.Api.PostAsync($"/api/runs/{id}/resume", null);
        Assert.Equal(HttpStatusCode.Conflict, resume.StatusCode);
        using var judge = await fixture.App.Api.PostAsJsonAsync($"/api/runs/{id}/judge", new { judge_car_id = car });
        Assert.Equal(HttpStatusCode.Conflict, judge.StatusCode);
        using var compare = await fixture.App.Api.GetAsync($"/api/runs/{id}/compare");
        Assert.Equal(HttpStatusCode.Conflict, compare.StatusCode);
        using var rerun = await fixture.App.Api.PostAsync($"/api/runs/{id}/rerun", null);
        Assert.Equal(HttpStatusCode.Created, rerun.StatusCode);
        var again = (await rerun.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        using (await fixture.App.Api.PostAsync($"/api/runs/{again}/cancel", null)) { }
        Assert.Equal("load", (await _client.GetAsync($"/api/runs/{again}")).GetProperty("kind").GetString());
    }

    [Theory]
    [InlineData("""{"profile":"warp"}""", "profile")]
    [InlineData("""{"profile":"constant"}""", "rate")]
    [InlineData("""{"profile":"slo"}""", "slo")]
    [InlineData("""{"profile":"poisson","rate":5,"burstiness":-1}""", "burstiness")]
    [InlineData("""{"profile":"synchronous","duration_s":5,"warmup_s":3,"cooldown_s":2}""", "warmup_s")]
    [InlineData("""{"profile":"sweep","steps":2}""", "steps")]
    [InlineData("""{"profile":"concurrent","concurrency":0}""", "concurrency")]
    [InlineData("""{"profile":"synchronous","slo":{"ttft_ms":-5}}""", "slo.ttft_ms")]
    [InlineData("""{"profile":"synchronous","car_id":"car_nope"}""", "car_id")]
    public async Task Bad_load_tests_are_400s_naming_the_field_and_start_nothing(string json, string field)
    {
        var (suite, car) = await SetUpAsync("echo");
        var body = JsonDocument.Parse(json).RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object)p.Value.Clone());
        body.TryAdd("suite_id", suite);
        body.TryAdd("car_id", car);
        var before = (await _client.GetAsync($"/api/runs?kind=load&car_id={car}")).GetArrayLength();

        using var response = await fixture.App.Api.PostAsJsonAsync("/api/load-tests", body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.True(problem.GetProperty("errors").TryGetProperty(field, out _), problem.ToString());
        Assert.Equal(before, (await _client.GetAsync($"/api/runs?kind=load&car_id={car}")).GetArrayLength());
    }
}
