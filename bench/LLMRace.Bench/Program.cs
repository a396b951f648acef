using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using LLMRace.Bench;
using Microsoft.Data.Sqlite;

// dotnet run -c Release --project bench/LLMRace.Bench [-- --scenarios fidelity,throughput,memory,queries,render,big,store,cluster,generator,load,cli]
//   [--quick]
string[] known = ["fidelity", "pipeline", "throughput", "memory", "queries", "render", "big", "store", "cluster", "generator", "load", "cli"];
var scenarios = (Arg("--scenarios") ?? string.Join(',', known)).Split(',',
    StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
if (scenarios.Except(known).ToList() is { Count: > 0 } unknown || scenarios.Length == 0)
{
    Console.Error.WriteLine($"--scenarios: unknown {string.Join(", ", scenarios.Except(known).DefaultIfEmpty("(none given)"))}; choose " +
        $"from {string.Join(", ", known)}");
    return 2;
}
var quick = args.Contains("--quick");
// --api-cpus 1: the Api on its own CPUs (run the benchmark itself under `taskset -c 0` so the Simulator and the client keep off them).
Server.ApiCpus = Arg("--api-cpus");
var configuration = AppContext.BaseDirectory.Contains("/Release/") ? "Release" : "Debug";
var work = Directory.CreateTempSubdirectory("llmrace-bench-").FullName;
var results = new JsonObject { ["machine"] = $"{Environment.ProcessorCount} cores, " +
    $"{GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / 1024 / 1024 / 1024} GiB, " +
        $"{System.Runtime.InteropServices.RuntimeInformation.OSDescription}", ["when"] = DateTime.UtcNow.ToString("O"),
            ["configuration"] = configuration };
var table = new List<string[]> { new[] { "scenario", "setting", "result" } };
var lastRunId = "";

await using var sim = await Server.StartAsync("LLMRace.Simulator", configuration, new Dictionary<string, string>());
await using var api = await Server.StartAsync("LLMRace.Api", configuration, new Dictionary<string, string>
{
    ["LLMRACE_DB_PATH"] = Path.Combine(work, "bench.db"), ["LLMRACE_SIMULATOR_URL"] = sim.Address.ToString(),
    ["LLMRACE_SILO_PORT"] = "21111",
    // The built UI (the Api's build makes it), served by the Api as a published app serves it: for the render scenario.
    ["ASPNETCORE_WEBROOT"] = Path.Combine(Server.RepositoryRoot(), "LLMRace.Ui", "dist"),
}.Concat(ApiEnvironment()).GroupBy(kv => kv.Key).ToDictionary(g => g.Key, g => g.Last().Value));
using var http = new HttpClient { BaseAddress = api.Address, Timeout = TimeSpan.FromMinutes(30) };
using var simHttp = new HttpClient { BaseAddress = sim.Address };
var connection = await PostAsync("/api/connections", new { name = "bench", type = "OPENAI_COMPAT", base_url = sim.Address.ToString(),
    max_concurrency = 256, timeout_s = 600, max_retries = 0 });

// Races first, so both servers are past their start-up (JIT and its tiering, connections) when measured.
await RaceAsync("sprinter?ttft_ms=0&itl_ms=1&tokens=4", 4, 2);
for (var i = 0; i < (quick ? 1 : 4); i++)
{
    await RaceAsync("instant?tokens=16", 1000, 32);
    await RaceAsync("instant?tokens=16", 200, 1);
}

if (scenarios.Contains("fidelity"))
{
    // Each concurrency twice: on an idle machine, then with every core kept busy by a hog (a local model server's share).
    var fidelity = new JsonArray();
    foreach (var busy in new[] { false, true })
    foreach (var concurrency in new[] { 1, 16, 128 })
    {
        var items = quick ? Math.Max(concurrency, 16) : concurrency == 1 ? 50 : Math.Max(4 * concurrency, 256);
        var (apiCpu, simCpu) = (api.CpuMs(), sim.CpuMs());
        await using var capture = await PacketCapture.StartAsync(sim.Address.Port);
        List<JsonElement> runItems;
        TimeSpan wall;
        using (busy ? CpuHog.Start(TimeSpan.FromMinutes(5)) : null)
            (runItems, wall) = await RaceAsync("sprinter?ttft_ms=200&itl_ms=10&tokens=100", items, concurrency);
        var captured = capture is null ? null : await capture.StopAsync(sim.Address.Port);
        var apiBusy = (api.CpuMs() - apiCpu) / wall.TotalMilliseconds;
        var simBusy = (sim.CpuMs() - simCpu) / wall.TotalMilliseconds;
        var ttftErr = new List<double>(); var itlErr = new List<double>(); var e2eErr = new List<double>();
        var coalesced = 0; var chunks = 0; var capturedErr = new List<double>();
        var ttftCapturedErr = new List<double>(); var e2eCapturedErr = new List<double>(); var ttftBounded = 0; var nearStep = 0;
        foreach (var item in runItems)
        {
            var m = item.GetProperty("metrics");
            var requestId = m.GetProperty("server_request_id").GetString()!;
            var truth = await simHttp.GetFromJsonAsync<JsonElement>($"/sim/requests/{requestId}");
            var written = truth.GetProperty("chunkWrittenMs").EnumerateArray().Select(x => x.GetDouble()).ToArray();
            ttftErr.Add(Math.Abs(m.GetProperty("ttft_ms").GetDouble() - written[0]));
            e2eErr.Add(Math.Abs(m.GetProperty("e2e_ms").GetDouble() - written[^1]));
            // Each chunk's time as LLMRace recorded it (its item.delta events), gap by gap against the Simulator's: chunks
            // sharing a kernel stamp came in one read (or socket buffer), every gap into them unobserved and not in ITL.
            var detail = await http.GetFromJsonAsync<JsonElement>($"/api/runs/{lastRunId}/items/" +
                item.GetProperty("id").GetString());
            var times = detail.GetProperty("events").EnumerateArray().Where(e => e.GetProperty("type").GetString() == "item.delta")
                .SelectMany(e => e.GetProperty("data").GetProperty("t_ms").EnumerateArray().Select(t => t.GetDouble())).ToArray();
            var kernel = m.TryGetProperty("timing_source", out var source) && source.GetString() == "kernel";
            chunks += Math.Max(0, times.Length - 1);
            // The kernel's stamps of the segments themselves (tcpdump), when every chunk was seen: the request's last
            // segment to each chunk's.
            var onWire = captured?.GetValueOrDefault(requestId);
            var wireComplete = onWire is not null && onWire.ChunksNs.Count == times.Length && times.Length > 0;
            bool Shared(int i) => kernel && ((i > 0 && times[i] == times[i - 1]) || (i + 1 < times.Length && times[i] == times[i + 1]));
            // A first chunk stamped with the second has a TTFT that is only a bound (the stamp of bytes after it): counted apart.
            if (wireComplete && Shared(0)) ttftBounded++;
            else if (wireComplete && onWire!.RequestSentNs is { } requestSent && onWire.ChunksNs[0] is { } first && onWire.ChunksNs[^1] is { } last)
            {
                ttftCapturedErr.Add(Math.Abs(m.GetProperty("ttft_ms").GetDouble() - (first - requestSent) / 1e6));
                e2eCapturedErr.Add(Math.Abs(m.GetProperty("e2e_ms").GetDouble() - (last - requestSent) / 1e6));
            }
            else if (wireComplete) nearStep++;
            for (var i = 1; i < Math.Min(times.Length, written.Length); i++)
            {
                if (Shared(i)) { coalesced++; continue; }
                itlErr.Add(Math.Abs(times[i] - times[i - 1] - (written[i] - written[i - 1])));
                if (!wireComplete) continue;
                if (onWire!.ChunksNs[i] is { } at && onWire.ChunksNs[i - 1] is { } before)
                    capturedErr.Add(Math.Abs(times[i] - times[i - 1] - (at - before) / 1e6));
                else nearStep++;
            }
        }
        var row = new JsonObject
        {
            ["concurrency"] = concurrency, ["cores_busy_with_hog"] = busy, ["items"] = runItems.Count,
            ["ttft_abs_error_ms"] = Summary(ttftErr), ["itl_abs_error_ms"] = Summary(itlErr), ["e2e_abs_error_ms"] = Summary(e2eErr),
            ["coalesced_gaps"] = coalesced, ["gaps"] = chunks, ["itl_abs_error_vs_capture_ms"] = Summary(capturedErr),
            ["ttft_abs_error_vs_capture_ms"] = Summary(ttftCapturedErr), ["ttft_first_chunk_coalesced"] = ttftBounded,
            ["capture_samples_near_a_wall_clock_step"] = nearStep, ["e2e_abs_error_vs_capture_ms"] = Summary(e2eCapturedErr),
            ["api_cores_busy"] = Math.Round(apiBusy, 2), ["simulator_cores_busy"] = Math.Round(simBusy, 2),
        };
        fidelity.Add(row);
        table.Add(["timing fidelity", $"c={concurrency}{(busy ? ", cores busy (hog)" : "")}, {runItems.Count} items × 100 tokens",
            $"TTFT err p50 {P(ttftErr, 50):0.00} / p99 {P(ttftErr, 99):0.00} ms; ITL err p50 {P(itlErr, 50):0.00} / p99 " +
                $"{P(itlErr, 99):0.00} ms; E2E err p99 {P(e2eErr, 99):0.00} ms; coalesced gaps {coalesced} of {chunks}; " +
                (capturedErr.Count > 0 ? $"against the capture: ITL err p50 {P(capturedErr, 50):0.00} / p99 {P(capturedErr, 99):0.00} ms " +
                    $"({capturedErr.Count} gaps), TTFT err p50 {P(ttftCapturedErr, 50):0.00} / p99 {P(ttftCapturedErr, 99):0.00} ms, " +
                    $"E2E err p99 {P(e2eCapturedErr, 99):0.00} ms ({ttftCapturedErr.Count} items, {ttftBounded} more with a first chunk " +
                    $"coalesced; {nearStep} samples left out near a step of the wall clock); " : "no capture; ") +
                $"cores busy: Api {apiBusy:0.00}, Simulator {simBusy:0.00}"]);
    }
    results["fidelity"] = fidelity;
}

if (scenarios.Contains("pipeline"))
{
    // A sweep of source rates: streams × 1,000 tokens/s each (itl_ms=1 on an absolute schedule), for a few seconds per
    // step, read live by the subscribers (SSE and SignalR alternately). A step is sustained while the p99 lag stays
    // under 100 ms; the sweep of a subscriber count stops after two steps in a row that are not. The first tokens come 1.5 s
    // after the start, so every subscriber is connected and reading live (not replaying the log) when they flow.
    var pipeline = new JsonArray();
    var seconds = quick ? 2 : 4;
    {
        // The client's first SSE and SignalR subscriptions (JIT, negotiation) before any step is timed.
        var car = await PostAsync("/api/cars", new { name = "pipeline warm-up", connection_id = connection, model = "instant?tokens=8" });
        var suite = await PostAsync("/api/suites", new { name = $"pipeline {Guid.NewGuid():N}", tests = new[] { new { order_index = 1,
            name = "t", user_prompt = "p" } } });
        var run = await PostAsync("/api/runs", new { suite_id = suite, car_ids = new[] { car }, settings = new { concurrency = 1,
            repeats = 1 } });
        await Task.WhenAll(Received.SseAsync(http, run), Received.SignalRAsync(api.Address, run));
    }
    foreach (var subscribers in new[] { 1, 10, 100 })
    {
        var sustained = 0.0;
        var failedInARow = 0;
        foreach (var streams in quick ? new[] { 10, 50 } : new[] { 5, 10, 20, 35, 50, 70, 100 })
        {
            var tokens = seconds * 1000;
            var car = await PostAsync("/api/cars", new { name = "pipeline", connection_id = connection,
                model = $"instant?ttft_ms=1500&itl_ms=1&tokens={tokens}" });
            var suite = await PostAsync("/api/suites", new { name = $"pipeline {Guid.NewGuid():N}", tests = new[] { new { order_index = 1,
                name = "t", user_prompt = "p" } } });
            var (apiCpu, simCpu, clientCpu, started) = (api.CpuMs(), sim.CpuMs(),
                Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds, Stopwatch.GetTimestamp());
            var run = await PostAsync("/api/runs", new { suite_id = suite, car_ids = new[] { car }, settings = new { concurrency = streams,
                repeats = streams } });
            var done = await Task.WhenAll(Enumerable.Range(0, subscribers).Select(s => Task.Run(() => s % 2 == 0 ? Received.SseAsync(http,
                run) : Received.SignalRAsync(api.Address, run))));
            var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            var busy = (Api: (api.CpuMs() - apiCpu) / elapsed, Simulator: (sim.CpuMs() - simCpu) / elapsed,
                Client: (Process.GetCurrentProcess().TotalProcessorTime.TotalMilliseconds - clientCpu) / elapsed);
            var expected = streams * tokens;
            var lostTokens = done.Sum(d => Math.Max(0, expected - d.Chunks));
            var lost = done.Sum(d => d.Lost);
            var duplicated = done.Sum(d => d.Duplicated);
            var lags = done.SelectMany(d => d.Lags).ToList();
            var rate = done.Average(d => d.ChunksPerSecond);
            var frames = done[0].Seqs.Count;
            var ok = P(lags, 99) < 100 && lost == 0 && duplicated == 0 && lostTokens == 0;
            if (ok) sustained = Math.Max(sustained, rate);
            var row = new JsonObject
            {
                ["subscribers"] = subscribers, ["streams"] = streams, ["tokens"] = expected, ["events"] = frames,
                ["tokens_per_s_per_subscriber"] = Math.Round(rate), ["delivery_lag_ms"] = Summary(lags),
                ["delivery_lag_ms_sse"] = Summary(done.Where(d => d.Transport == "sse").SelectMany(d => d.Lags).ToList()),
                ["delivery_lag_ms_signalr"] = Summary(done.Where(d => d.Transport == "signalr").SelectMany(d => d.Lags).ToList()),
                ["lost_events"] = lost, ["duplicated_events"] = duplicated, ["lost_tokens"] = lostTokens, ["sustained"] = ok,
                ["cores_busy"] = new JsonObject { ["api"] = Math.Round(busy.Api, 2), ["simulator"] = Math.Round(busy.Simulator, 2),
                    ["client"] = Math.Round(busy.Client, 2) },
            };
            pipeline.Add(row);
            table.Add(["event pipeline", $"{subscribers} subscriber(s), {streams} streams × 1,000 tok/s",
                $"{rate:N0} tokens/s read and delivered to each ({expected:N0} tokens in {frames:N0} events); lag p50 {P(lags, 50):0.0} " +
                    $"/ p99 {P(lags, 99):0.0} ms; lost {lost + lostTokens}, duplicated {duplicated}; cores busy: Api {busy.Api:0.00}, " +
                        $"Simulator {busy.Simulator:0.00}, client {busy.Client:0.00}{(ok ? "" : "; not sustained")}"]);
            failedInARow = ok ? 0 : failedInARow + 1;
            if (failedInARow == 2) break;
        }
        table.Add(["event pipeline", $"{subscribers} subscriber(s)",
            $"highest sustained rate (p99 lag < 100 ms): {sustained:N0} tokens/s"]);
    }
    results["pipeline"] = pipeline;
}

if (scenarios.Contains("throughput"))
{
    // Against an instant Simulator the Simulator's own time is its CPU work, and at c=32 the items overlap: the run's wall
    // time per item is then what the harness costs per item on this machine (with the Simulator's and the client's CPU
    // in it, so an upper bound). The Api's CPU time per item is the harness's own work.
    var throughput = new JsonArray();
    foreach (var size in quick ? new[] { 200 } : new[] { 500, 1000 })
        foreach (var concurrency in new[] { 1, 32 })
        {
            var (apiCpu, simCpu) = (api.CpuMs(), sim.CpuMs());
            var (runItems, wall) = await RaceAsync("instant?tokens=16", size, concurrency);
            var apiCpuPerItem = (api.CpuMs() - apiCpu) / runItems.Count;
            var simCpuPerItem = (sim.CpuMs() - simCpu) / runItems.Count;
            var e2e = runItems.Select(i => i.GetProperty("metrics").GetProperty("e2e_ms").GetDouble()).ToList();
            var itemsPerS = runItems.Count / wall.TotalSeconds;
            var wallPerItem = wall.TotalMilliseconds / runItems.Count;
            throughput.Add(new JsonObject
            {
                ["items"] = size, ["concurrency"] = concurrency, ["items_per_s"] = Math.Round(itemsPerS, 1),
                    ["wall_ms_per_item"] = Math.Round(wallPerItem, 3),
                ["api_cpu_ms_per_item"] = Math.Round(apiCpuPerItem, 3), ["simulator_cpu_ms_per_item"] = Math.Round(simCpuPerItem, 3),
                    ["item_e2e_ms"] = Summary(e2e),
            });
            table.Add(["suite throughput", $"{size} items, c={concurrency}, instant Simulator",
                $"{itemsPerS:0} items/s; {wallPerItem:0.00} ms wall per item; CPU per item: Api {apiCpuPerItem:0.00} ms, Simulator " +
                    $"{simCpuPerItem:0.00} ms; item E2E p50 {P(e2e, 50):0.00} ms"]);
        }
    results["throughput"] = throughput;
}

if (scenarios.Contains("memory"))
{
    // Each size on a fresh Api and database, so the peak is this run's own.
    var memory = new JsonArray();
    foreach (var size in quick ? new[] { 1000 } : new[] { 2000, 10000 })
    {
        var path = Path.Combine(work, $"memory-{size}.db");
        await using var fresh = await Server.StartAsync("LLMRace.Api", configuration, new Dictionary<string, string>
        {
            ["LLMRACE_DB_PATH"] = path, ["LLMRACE_SILO_PORT"] = "21141",
        });
        using var freshHttp = new HttpClient { BaseAddress = fresh.Address, Timeout = TimeSpan.FromMinutes(30) };
        var freshConnection = await PostAsync("/api/connections", new { name = "bench", type = "OPENAI_COMPAT",
            base_url = sim.Address.ToString(), max_concurrency = 256, timeout_s = 600, max_retries = 0 }, freshHttp);
        var startRss = fresh.RssMb();
        var before = DbBytes(path);
        var (runItems, wall) = await RaceAsync("instant?tokens=32", size, 32, freshHttp, freshConnection);
        var perThousand = (DbBytes(path) - before) * 1000 / Math.Max(1, size);
        var rss = fresh.PeakRssMb();
        memory.Add(new JsonObject { ["items"] = size, ["rss_at_start_mb"] = Math.Round(startRss, 1), ["peak_rss_mb"] = Math.Round(rss, 1),
            ["db_bytes_per_1000_items"] = perThousand, ["wall_s"] = Math.Round(wall.TotalSeconds, 2), ["passed"] = runItems.Count });
        table.Add(["memory and storage", $"{size:N0} items × 32 tokens, c=32",
            $"peak RSS {rss:0} MB (at start {startRss:0} MB); {perThousand / 1024.0:0} KiB of database per 1,000 items; " +
                $"{wall.TotalSeconds:0.0} s"]);
    }
    results["memory"] = memory;
}

if (scenarios.Contains("queries"))
{
    var queries = new JsonArray();
    var port = 21120;
    foreach (var (runs, events) in quick ? new[] { (1000, 100_000) } : new[] { (1000, 100_000), (10_000, 1_000_000) })
    {
        var db = Path.Combine(work, $"scale-{runs}.db");
        await using (var seeded = await Server.StartAsync("LLMRace.Api", configuration, new Dictionary<string,
            string> { ["LLMRACE_DB_PATH"] = db, ["LLMRACE_SILO_PORT"] = $"{port += 2}" })) { }
        var filling = Stopwatch.GetTimestamp();
        var runIds = Fill(db, runs, events);
        Console.WriteLine($"filled {runs:N0} runs and {events:N0} events in {Stopwatch.GetElapsedTime(filling).TotalSeconds:0.0} s");
        await using var scaled = await Server.StartAsync("LLMRace.Api", configuration, new Dictionary<string,
            string> { ["LLMRACE_DB_PATH"] = db, ["LLMRACE_SILO_PORT"] = $"{port += 2}" });
        using var scaledHttp = new HttpClient { BaseAddress = scaled.Address };
        var row = new JsonObject { ["runs"] = runs, ["events"] = events };
        foreach (var (name, path) in new[] { ("run list", "/api/runs?limit=50"), ("run list filtered by car",
            "/api/runs?limit=50&car_id=car_sprinter"), ("scorecard", $"/api/runs/{runIds[^1]}/scorecard"), ("baseline comparison",
            $"/api/runs/{runIds[^1]}/compare?baseline={runIds[0]}") })
        {
            var samples = new List<double>();
            for (var i = 0; i < 60; i++)
            {
                var started = Stopwatch.GetTimestamp();
                using var response = await scaledHttp.GetAsync(path);
                response.EnsureSuccessStatusCode();
                await response.Content.ReadAsByteArrayAsync();
                if (i >= 10) samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
            row[name] = Summary(samples);
            table.Add(["queries at scale", $"{name}: {runs:N0} runs, {events:N0} events",
                $"p50 {P(samples, 50):0.0} ms, p95 {P(samples, 95):0.0} ms"]);
        }
        queries.Add(row);
    }
    results["queries"] = queries;
}

if (scenarios.Contains("render"))
{
    const int cars = 8;
    var seconds = quick ? 4 : 8;
    var render = await RenderScenario.RunAsync(http, api, sim, connection, cars, seconds);
    var janky = render.Intervals.Count(i => i > 50);
    results["render"] = new JsonObject
    {
        ["cars"] = cars, ["tokens_per_s_per_car"] = 100, ["seconds"] = Math.Round(render.Seconds, 2), ["frames"] = render.Frames,
        ["frames_per_s"] = Math.Round(render.Frames / render.Seconds, 1), ["frame_interval_ms"] = Summary(render.Intervals),
        ["frames_over_50_ms"] = janky, ["long_task_ms_per_s"] = Math.Round(render.LongTaskMsPerS, 1),
        ["cores_busy"] = new JsonObject { ["api"] = Math.Round(render.ApiBusy, 2), ["simulator"] = Math.Round(render.SimBusy, 2) },
    };
    table.Add(["race page rendering", $"{cars} cars × 100 tokens/s, {render.Seconds:0.0} s live, headless Chromium",
        $"{render.Frames / render.Seconds:0.0} frames/s; frame interval p50 {P(render.Intervals, 50):0.0} / p95 " +
            $"{P(render.Intervals, 95):0.0} / p99 {P(render.Intervals, 99):0.0} ms; {janky} over 50 ms; main thread in long tasks " +
                $"{render.LongTaskMsPerS:0} ms/s; cores busy: Api {render.ApiBusy:0.00}, Simulator {render.SimBusy:0.00}"]);
}

if (scenarios.Contains("big"))
{
    var big = await BigSuiteScenario.RunAsync(http, api, connection, quick ? 2_000 : 10_000);
    results["big"] = new JsonObject
    {
        ["tests"] = big.Tests, ["suite_bytes"] = big.SuiteBytes, ["import_ms"] = Rounded(big.ImportMs),
        ["suite_list_ms"] = Summary(big.ListMs), ["suite_open_ms"] = Summary(big.OpenMs), ["run_items"] = big.Items,
        ["race_s"] = Math.Round(big.RaceS, 1), ["items_page_ms"] = Summary(big.ItemsPageMs),
        ["items_page_bytes"] = big.ItemsPageBytes,
        ["inspect_ms"] = Rounded(big.InspectMs), ["inspect_dom_nodes"] = big.InspectNodes,
    };
    table.Add(["big suite and run", $"{big.Tests:N0} tests ({big.SuiteBytes / 1e6:0.0} MB)",
        $"import {string.Join(" / ", big.ImportMs.Select(m => $"{m:0}"))} ms; suite list p50 {P(big.ListMs, 50):0.0} ms, open p50 " +
            $"{P(big.OpenMs, 50):0} ms"]);
    table.Add(["big suite and run", $"a run of {big.Items:N0} items (raced in {big.RaceS:0.0} s), Inspect in headless Chromium",
        $"a page of 100 items p50 {P(big.ItemsPageMs, 50):0.0} / p95 {P(big.ItemsPageMs, 95):0.0} ms ({big.ItemsPageBytes / 1024:0} KiB); " +
            $"Inspect shown in {string.Join(" / ", big.InspectMs.Select(m => $"{m:0}"))} ms (p50 {P(big.InspectMs, 50):0}), " +
                $"{big.InspectNodes:N0} DOM nodes"]);
}

if (scenarios.Contains("store"))
{
    // The event log's append on each engine, opened as the Api opens it: SQLite in a file, PostgreSQL a server of this
    // machine's binaries with LLMRace's client and session settings; and, to show what those are worth, PostgreSQL with
    // Npgsql's and its own defaults (no multiplexing, every commit flushed to disk before it returns). 1,024 events is
    // the most a run's sink appends at once (what piled up while its last append committed).
    var store = new JsonArray();
    var duration = TimeSpan.FromSeconds(quick ? 1 : 3);
    await using var postgres = await LLMRace.Tests.Integration.Stores.LocalPostgres.StartAsync(21190);
    var connectionString = new Npgsql.NpgsqlConnectionStringBuilder(await postgres.CreateDatabaseAsync("bench")) { MaxPoolSize = 200 }
        .ToString();
    await using var source = LLMRace.Grains.Storage.PostgresDatabase.CreateDataSource(connectionString);
    await using var flushing = Npgsql.NpgsqlDataSource.Create(connectionString);
    var engines = new (string Name, LLMRace.Grains.Storage.Database Db)[]
    {
        ("sqlite", new LLMRace.Grains.Storage.SqliteDatabase(Path.Combine(work, "store.db"), TimeProvider.System)),
        ("postgresql", new LLMRace.Grains.Storage.PostgresDatabase(source, TimeProvider.System)),
        ("postgresql, its defaults", new LLMRace.Grains.Storage.PostgresDatabase(flushing, TimeProvider.System)),
    };
    foreach (var (_, db) in engines)
    {
        await db.InitializeAsync();
        await StoreScenario.RunAsync(db, 4, 8, TimeSpan.FromSeconds(0.5));
    }
    // This VM's speed drifts by tens of percent from minute to minute: the engines take turns at each setting, three
    // times, and each figure is the median of its three.
    var rounds = quick ? 1 : 3;
    foreach (var streams in new[] { 1, 16, 128 })
        foreach (var batch in new[] { 1, 32, 1024 })
        {
            var measured = engines.ToDictionary(e => e.Name, _ => new List<StoreScenario.Result>());
            for (var round = 0; round < rounds; round++)
                foreach (var (name, db) in engines)
                    measured[name].Add(await StoreScenario.RunAsync(db, streams, batch, duration));
            foreach (var (name, _) in engines)
            {
                var runs = measured[name].OrderBy(r => r.EventsPerSecond).ToList();
                var median = runs[runs.Count / 2];
                var latencies = runs.SelectMany(r => r.AppendMs).ToList();
                store.Add(new JsonObject
                {
                    ["engine"] = name, ["streams"] = streams, ["events_per_append"] = batch,
                    ["events_per_s"] = Math.Round(median.EventsPerSecond),
                    ["events_per_s_each_round"] = new JsonArray([.. runs.Select(r => (JsonNode)Math.Round(r.EventsPerSecond))]),
                    ["append_ms"] = Summary(latencies),
                });
                table.Add(["event log append", $"{name}, {streams} stream(s), {batch} event(s) per append",
                    $"{median.EventsPerSecond:N0} events/s persisted (median of {string.Join(", ", runs.Select(r => r.EventsPerSecond.ToString("N0")))}); " +
                        $"append p50 {P(latencies, 50):0.00} / p99 {P(latencies, 99):0.00} ms"]);
            }
        }
    results["store"] = store;
}

if (scenarios.Contains("cluster"))
{
    var cluster = new JsonArray();
    var port = 21200;
    foreach (var silos in new[] { 1, 3 })
    {
        var r = await ClusterScenario.RunAsync(silos, configuration, sim.Address, port += 20, quick);
        cluster.Add(new JsonObject
        {
            ["silos"] = silos, ["items"] = r.Items, ["items_per_s"] = Math.Round(r.ItemsPerSecond, 1),
            ["live_tokens_per_s"] = Math.Round(r.DeliveredTokensPerSecond), ["delivery_lag_ms"] = Summary(r.Lags), ["lost_events"] = r.Lost,
            ["duplicated_events"] = r.Duplicated,
        });
        table.Add(["cluster", $"{silos} silo(s) on PostgreSQL and Redis",
            $"{r.ItemsPerSecond:0} items/s ({r.Items} items, instant Simulator, runs started across the silos); live: 10 runs × 1,000 " +
                $"tok/s, read on every silo: lag p50 {P(r.Lags, 50):0.0} / p99 {P(r.Lags, 99):0.0} ms, lost {r.Lost}, duplicated {r.Duplicated}"]);
    }
    results["cluster"] = cluster;
}

if (scenarios.Contains("generator"))
{
    // The generator alone, in this process, while the Api idles: three steps of 2,000 req/s (the first also its warm-up).
    var generator = new JsonArray();
    for (var round = 0; round < (quick ? 1 : 3); round++)
    {
        var step = await GeneratorScenario.RunAsync(sim.Address, 2000, quick ? 3 : 10);
        generator.Add(new JsonObject
        {
            ["target_rate"] = 2000, ["achieved_rate"] = Math.Round(step.AchievedRate, 1), ["errors"] = step.Errors,
            ["schedule_error_ms"] = Summary(step.ScheduleErrorMs), ["gc_pause_ms_per_s"] = Math.Round(step.GcPauseMsPerS, 1),
            ["gen0_collections_per_s"] = Math.Round(step.CollectionsPerS, 1),
        });
        table.Add(["load generator alone", $"constant 2000 req/s, instant, {(quick ? 3 : 10)} s, round {round + 1}",
            $"{step.AchievedRate:0} req/s achieved; schedule error p50 {P(step.ScheduleErrorMs, 50):0.00} / p99 " +
                $"{P(step.ScheduleErrorMs, 99):0.00} / max {step.ScheduleErrorMs.DefaultIfEmpty().Max():0.0} ms; {step.Errors} errors; " +
                    $"collections {step.CollectionsPerS:0}/s pausing {step.GcPauseMsPerS:0.0} ms/s"]);
    }
    results["generator"] = generator;
}

if (scenarios.Contains("load"))
{
    // The open-loop generator against the instant Simulator: is each request sent on its schedule at these rates, and what
    // does the machine achieve? Then a paced model at a moderate rate: TTFT measured under load against the Simulator's own
    // log of when it wrote each first chunk.
    var load = new JsonArray();
    var loadSuite = await PostAsync("/api/suites", new { name = "load bench", tests = new[] { new { order_index = 1, name = "t",
        user_prompt = "bench prompt" } } });
    foreach (var (model, rate) in new[] { ("instant?tokens=16", 500.0), ("instant?tokens=16", 1000.0), ("instant?tokens=16", 2000.0),
        ("instant?tokens=16", 3000.0), ($"sprinter?ttft_ms=200&itl_ms=10&tokens=32&seed={Guid.NewGuid():N}", 50.0) })
    {
        var car = await PostAsync("/api/cars", new { name = $"load {model}", connection_id = connection, model });
        var (apiCpu, simCpu) = (api.CpuMs(), sim.CpuMs());
        var id = await PostAsync("/api/load-tests", new { suite_id = loadSuite, car_id = car, profile = "constant", rate,
            duration_s = quick ? 3 : 10, warmup_s = 1, max_concurrency = 1024 });
        using (var stream = await http.GetStreamAsync($"/api/runs/{id}/stream"))
            await stream.CopyToAsync(Stream.Null);
        var step = (await http.GetFromJsonAsync<JsonElement>($"/api/load-tests/{id}")).GetProperty("steps")[0];
        double Stat(string name, string at) => step.GetProperty(name).GetProperty(at).GetDouble();
        var row = new JsonObject
        {
            ["model"] = model.Split('&')[0], ["target_rate"] = rate, ["requests"] = step.GetProperty("requests").GetInt32(),
            ["achieved_rate"] = step.GetProperty("requests_per_s").GetDouble(), ["error_rate"] = step.GetProperty("error_rate").GetDouble(),
            ["schedule_error_ms"] = JsonNode.Parse(step.GetProperty("schedule_error_ms").GetRawText()),
            ["ttft_ms"] = JsonNode.Parse(step.GetProperty("ttft_ms").GetRawText()),
            ["peak_concurrency"] = step.GetProperty("peak_concurrency").GetInt64(),
            ["api_cpu_share"] = Math.Round((api.CpuMs() - apiCpu) / 1000 / (quick ? 3 : 10), 2),
            ["simulator_cpu_share"] = Math.Round((sim.CpuMs() - simCpu) / 1000 / (quick ? 3 : 10), 2),
        };
        var detail = $"{step.GetProperty("requests_per_s").GetDouble():0} req/s achieved; schedule error p50 " +
            $"{Stat("schedule_error_ms", "p50"):0.00} / p99 {Stat("schedule_error_ms", "p99"):0.00} / max {Stat("schedule_error_ms", "max"):0.0} ms; " +
            $"TTFT p50 {Stat("ttft_ms", "p50"):0.0} / p99 {Stat("ttft_ms", "p99"):0.0} ms; errors {step.GetProperty("error_rate").GetDouble():P1}";
        if (model.StartsWith("sprinter", StringComparison.Ordinal))
        {
            var truths = await simHttp.GetFromJsonAsync<JsonElement>($"/sim/requests?model={Uri.EscapeDataString(model)}");
            var written = truths.EnumerateArray().Select(t => t.GetProperty("chunkWrittenMs")).Where(c => c.GetArrayLength() > 0)
                .Select(c => c[0].GetDouble()).ToList();
            row["simulator_first_chunk_ms"] = Summary(written);
            detail += $"; the Simulator wrote first chunks at p50 {P(written, 50):0.0} / p99 {P(written, 99):0.0} ms";
        }
        load.Add(row);
        table.Add(["load generator", $"constant {rate:0} req/s, {model.Split('&')[0]}, {(quick ? 3 : 10)} s", detail]);
    }
    // TTFT at the highest rate sustained above, each request against the packet capture (the request's last segment to its
    // first content chunk's): how true the load generator's figures stay when the client itself is saturated.
    {
        const double rate = 2000;
        var car = await PostAsync("/api/cars", new { name = "load capture", connection_id = connection, model = "instant?tokens=16" });
        await using var capture = await PacketCapture.StartAsync(sim.Address.Port);
        var id = await PostAsync("/api/load-tests", new { suite_id = loadSuite, car_id = car, profile = "constant", rate,
            duration_s = quick ? 3 : 5, warmup_s = 1, max_concurrency = 1024 });
        using (var stream = await http.GetStreamAsync($"/api/runs/{id}/stream"))
            await stream.CopyToAsync(Stream.Null);
        var captured = capture is null ? null : await capture.StopAsync(sim.Address.Port);
        var lines = (await http.GetStringAsync($"/api/load-tests/{id}/export?format=csv")).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        var columns = lines[0].Split(',').Select((name, i) => (name, i)).ToDictionary(c => c.name, c => c.i);
        var errors = new List<double>();
        var (unmatched, kernelRequests) = (0, 0);
        foreach (var line in lines.Skip(1))
        {
            var cells = line.Split(',');
            if (cells[columns["measured"]] != "true" || cells[columns["ttft_ms"]] == "") continue;
            if (cells[columns["timing_source"]] == "kernel") kernelRequests++;
            var onWire = captured?.GetValueOrDefault(cells[columns["server_request_id"]]);
            if (onWire is not { RequestSentNs: { } sent } || onWire.ChunksNs.Count != int.Parse(cells[columns["output_tokens"]])
                || onWire.ChunksNs[0] is not { } first) { unmatched++; continue; }
            errors.Add(Math.Abs(double.Parse(cells[columns["ttft_ms"]], System.Globalization.CultureInfo.InvariantCulture)
                - (first - sent) / 1e6));
        }
        var step = (await http.GetFromJsonAsync<JsonElement>($"/api/load-tests/{id}")).GetProperty("steps")[0];
        load.Add(new JsonObject
        {
            ["model"] = "instant", ["target_rate"] = rate, ["achieved_rate"] = step.GetProperty("requests_per_s").GetDouble(),
            ["kernel_timed_requests"] = kernelRequests, ["ttft_abs_error_vs_capture_ms"] = Summary(errors),
            ["requests_not_matched_in_capture"] = unmatched,
        });
        table.Add(["load generator", $"constant {rate:0} req/s, instant, {(quick ? 3 : 5)} s, against a packet capture",
            $"{step.GetProperty("requests_per_s").GetDouble():0} req/s achieved; TTFT err against the capture p50 {P(errors, 50):0.00} / " +
            $"p99 {P(errors, 99):0.00} / max {(errors.Count > 0 ? errors.Max() : 0):0.00} ms ({errors.Count} requests; {kernelRequests} " +
            $"timed by the kernel; {unmatched} not matched in the capture)"]);
    }
    results["load"] = load;
}

if (scenarios.Contains("cli"))
{
    var (walls, code) = await CliScenario.RunAsync(configuration, sim.Address, 500, 32, quick ? 1 : 3);
    results["cli"] = new JsonObject { ["tests"] = 500, ["concurrency"] = 32, ["wall_ms"] = Summary(walls), ["exit_code"] = code,
        ["runs"] = new JsonArray([.. walls.Select(w => (JsonNode)Math.Round(w))]) };
    table.Add(["cli, embedded", "llmrace race: 500 tests, c=32, instant Simulator, a fresh database each time",
        $"process wall time (start to exit) {string.Join(" / ", walls.Select(w => $"{w / 1000:0.00} s"))}; exit {code}"]);
}

// Cost growth: each scenario's larger size against its smaller one. Linear growth keeps the cost per unit of work
// (per item, per event) flat: a ratio near 1 (or below) is linear or better.
var growth = new JsonObject();
if (results["throughput"] is JsonArray tp && tp.Count == 4)
{
    foreach (var c in new[] { 1, 32 })
    {
        var rows = tp.Where(r => (int)r!["concurrency"]! == c).ToList();
        var ratio = (double)rows[1]!["wall_ms_per_item"]! / (double)rows[0]!["wall_ms_per_item"]!;
        growth[$"throughput_c{c}_wall_per_item_ratio"] = Math.Round(ratio, 2);
        table.Add(["cost growth", $"suite throughput c={c}: {rows[0]!["items"]} → {rows[1]!["items"]} items",
            $"wall time per item × {ratio:0.00}"]);
    }
}
if (results["memory"] is JsonArray mem && mem.Count == 2)
{
    double Grown(JsonNode r) => (double)r["peak_rss_mb"]! - (double)r["rss_at_start_mb"]!;
    var items = (double)(int)mem[1]!["items"]! / (int)mem[0]!["items"]!;
    var rss = Grown(mem[1]!) / Grown(mem[0]!);
    var db = (double)(long)mem[1]!["db_bytes_per_1000_items"]! / (long)mem[0]!["db_bytes_per_1000_items"]!;
    var wallRatio = (double)mem[1]!["wall_s"]! / (double)mem[0]!["wall_s"]!;
    growth["memory_items_ratio"] = items; growth["memory_rss_growth_ratio"] = Math.Round(rss,
        2); growth["db_bytes_per_item_ratio"] = Math.Round(db, 2); growth["memory_wall_ratio"] = Math.Round(wallRatio, 2);
    table.Add(["cost growth", $"memory: {mem[0]!["items"]:N0} → {mem[1]!["items"]:N0} items (× {items:0})",
        $"RSS above start × {rss:0.00}; wall time × {wallRatio:0.00}; database bytes per item × {db:0.00}"]);
}
if (results["queries"] is JsonArray qs && qs.Count == 2)
{
    foreach (var name in new[] { "run list", "run list filtered by car", "scorecard", "baseline comparison" })
    {
        var ratio = (double)qs[1]![name]!["p95"]! / (double)qs[0]![name]!["p95"]!;
        growth[$"query_{name.Replace(' ', '_')}_p95_ratio"] = Math.Round(ratio, 2);
        table.Add(["cost growth", $"{name}: {qs[0]!["events"]:N0} → {qs[1]!["events"]:N0} events (× 10)", $"p95 × {ratio:0.00}"]);
    }
}
if (growth.Count > 0) results["growth"] = growth;

var widths = Enumerable.Range(0, 3).Select(c => table.Max(r => r[c].Length)).ToArray();
foreach (var row in table) Console.WriteLine("| " + string.Join(" | ", row.Select((cell, c) => cell.PadRight(widths[c]))) + " |");
var benchFolder = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd('/')).Parent!.Parent!.Parent!.Parent!.FullName;
var output = Path.Combine(benchFolder, "results.json");
await File.WriteAllTextAsync(output, results.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
Console.WriteLine($"\nfigures written to {output}");
try { Directory.Delete(work, true); } catch (IOException) { }
return 0;

string? Arg(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

// --api-env NAME=VALUE (repeatable): runtime settings for the Api under test, for experiments.
IEnumerable<KeyValuePair<string, string>> ApiEnvironment() => args.Select((a, i) => (a,
    i)).Where(x => x.a == "--api-env" && x.i + 1 < args.Length)
    .Select(x => args[x.i + 1].Split('=', 2)).Select(kv => KeyValuePair.Create(kv[0], kv.Length > 1 ? kv[1] : ""));

static long DbBytes(string path) => new FileInfo(path).Length + (File.Exists(path + "-wal") ? new FileInfo(path + "-wal").Length : 0);

Task<string> PostAsync(string path, object body, HttpClient? to = null) => (to ?? http).PostForIdAsync(path, body);

async Task<(List<JsonElement> Items, TimeSpan Wall)> RaceAsync(string model, int items, int concurrency, HttpClient? on = null,
    string? connectionId = null)
{
    var client = on ?? http;
    var car = await PostAsync("/api/cars", new { name = model, connection_id = connectionId ?? connection, model }, client);
    var tests = (int)Math.Ceiling(items / 100.0);
    var repeats = (int)Math.Ceiling((double)items / tests);
    var suite = await PostAsync("/api/suites", new { name = $"bench {Guid.NewGuid():N}", tests = Enumerable.Range(1,
        tests).Select(i => new { order_index = i, name = $"t{i}", user_prompt = $"bench prompt {i}" }) }, client);
    var started = Stopwatch.GetTimestamp();
    var run = await PostAsync("/api/runs", new { suite_id = suite, car_ids = new[] { car }, settings = new { concurrency, repeats } },
        client);
    using (var stream = await client.GetStreamAsync($"/api/runs/{run}/stream"))
    using (var reader = new StreamReader(stream))
        while (await reader.ReadLineAsync() is { } line)
            if (line.StartsWith("event: run.")) { if (line != "event: run.started") break; }
    var wall = Stopwatch.GetElapsedTime(started);
    lastRunId = run;
    var list = (await client.GetFromJsonAsync<JsonElement>($"/api/runs/{run}/items")).EnumerateArray()
        .Where(i => i.GetProperty("status").GetString() == "passed").ToList();
    return (list, wall);
}

static JsonArray Rounded(List<double> values) => new([.. values.Select(v => (JsonNode)Math.Round(v, 1))]);

static double P(List<double> values, double p)
{
    if (values.Count == 0) return double.NaN;
    var sorted = values.Order().ToArray();
    var rank = p / 100 * (sorted.Length - 1);
    var lo = (int)Math.Floor(rank); var hi = (int)Math.Ceiling(rank);
    return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

static JsonObject? Summary(List<double> values) => values.Count == 0 ? null : new()
{
    ["count"] = values.Count, ["p50"] = Math.Round(P(values, 50), 3), ["p95"] = Math.Round(P(values, 95), 3), ["p99"] = Math.Round(P(values,
        99), 3), ["max"] = values.Count == 0 ? null : Math.Round(values.Max(), 3),
};

// Synthetic history straight into SQLite: runs of 10 items each, and the events spread over them.
static string[] Fill(string path, int runs, int events)
{
    using var c = new SqliteConnection($"Data Source={path};Pooling=False");
    c.Open();
    using var tx = c.BeginTransaction();
    var ids = new string[runs];
    var metrics = "{\"ttft_ms\":40.1,\"e2e_ms\":320.5,\"tpot_ms\":6.2,\"decode_tokens_per_s\":161.3,\"itl_ms\":[5.9,6.1,6.3,6.0],"
        + "\"output_tokens\":48,\"output_tokens_estimated\":false,\"content_chunks\":48}";
    var snapshot = "{\"suite\":{\"id\":\"suite_scale\",\"name\":\"Scale\",\"category\":\"bench\",\"description\":\"\",\"tests\":[]},"
        + "\"cars\":[],\"settings\":{\"concurrency\":1,\"repeats\":1}}";
    using var run = c.CreateCommand();
    run.Transaction = tx;
    run.CommandText = "INSERT INTO runs (id, suite_id, suite_name, status, settings_json, car_ids, items_total, " +
        "items_done, created_at) VALUES ($id, 'suite_scale', 'Scale', 'completed', '{\"concurrency\":1,\"repeats\":1}', " +
            "'car_sprinter', 10, 10, $at); INSERT INTO run_snapshots (run_id, snapshot_json) VALUES ($id, $snap); " +
            "INSERT INTO run_cars (run_id, car_id) VALUES ($id, 'car_sprinter');";
    var runId = run.Parameters.Add("$id", SqliteType.Text); run.Parameters.AddWithValue("$snap",
        snapshot); var at = run.Parameters.Add("$at", SqliteType.Text);
    using var item = c.CreateCommand();
    item.Transaction = tx;
    item.CommandText = "INSERT INTO run_items (id, run_id, ordinal, test_id, test_name, car_id, car_name, repeat_index, status, output, " +
        "metrics_json, checks_json, retries) VALUES ($iid, $rid, $ord, $tid, $tid, 'car_sprinter', 'Sprinter', 0, $st, 'output text', " +
            "$m, '{\"checks\":[],\"criteria\":[]}', 0);";
    var iid = item.Parameters.Add("$iid", SqliteType.Text); var rid = item.Parameters.Add("$rid",
        SqliteType.Text); var ord = item.Parameters.Add("$ord", SqliteType.Integer);
    var tid = item.Parameters.Add("$tid", SqliteType.Text); var st = item.Parameters.Add("$st",
        SqliteType.Text); item.Parameters.AddWithValue("$m", metrics);
    using var ev = c.CreateCommand();
    ev.Transaction = tx;
    ev.CommandText = "INSERT INTO run_events (run_id, seq, ts, type, item_id, payload) VALUES ($rid, $seq, '2026-01-01T00:00:00.000Z', " +
        "'item.delta', NULL, '{\"data\":{\"text\":\" word\"}}');";
    var erid = ev.Parameters.Add("$rid", SqliteType.Text); var seq = ev.Parameters.Add("$seq", SqliteType.Integer);
    var perRun = events / runs;
    for (var r = 0; r < runs; r++)
    {
        ids[r] = $"run_scale_{r:D6}";
        runId.Value = ids[r];
        at.Value = DateTime.UtcNow.AddMinutes(-runs + r).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'");
        run.ExecuteNonQuery();
        rid.Value = ids[r];
        for (var i = 0; i < 10; i++)
        {
            iid.Value = $"item_scale_{r:D6}_{i}";
            ord.Value = i;
            tid.Value = $"test_{i}";
            st.Value = (r + i) % 7 == 0 ? "failed" : "passed";
            item.ExecuteNonQuery();
        }
        erid.Value = ids[r];
        for (var s = 1; s <= perRun; s++) { seq.Value = s; ev.ExecuteNonQuery(); }
    }
    tx.Commit();
    using var checkpoint = c.CreateCommand();
    checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE);";
    checkpoint.ExecuteNonQuery();
    return ids;
}
