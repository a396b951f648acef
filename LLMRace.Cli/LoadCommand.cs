using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace LLMRace.Cli;

/// <summary>
/// <c>llmrace load</c>: load-tests one car with a suite's prompts in any profile, prints each step's figures as it
/// finishes and a table at the end, writes the JSON and CSV exports when asked, and exits with what CI can act on: 0 when
/// the objectives (or, without any, every check) held, 1 when not, 3 when the test did not complete or nothing succeeded.
/// </summary>
public static class LoadCommand
{
    private static readonly string[] SloKeys = ["ttft_ms", "itl_ms", "tpot_ms", "e2e_ms", "check_pass_rate", "percentile"];

    public static Command Create(Func<HttpMessageHandler?> handler)
    {
        var where = new ServerOptions();
        var suite = new Option<string>("--suite") { Description = "The suite whose prompts are sent (name, id or file), cycled",
            Required = true };
        var car = new Option<string>("--car") { Description = "The car to load (name, id or TYPE@BASE_URL/MODEL)", Required = true };
        var profile = new Option<string>("--profile")
        {
            Description = "synchronous, concurrent, constant, poisson, sweep or slo", Required = true,
        };
        profile.AcceptOnlyFromAmong("synchronous", "concurrent", "constant", "poisson", "sweep", "slo");
        var rate = new Option<double?>("--rate") { Description = "constant, poisson: requests per second" };
        var concurrency = new Option<int?>("--concurrency") { Description = "concurrent: streams held busy" };
        var burstiness = new Option<double?>("--burstiness")
        {
            Description = "poisson: gamma shape of the gaps (1 = Poisson, < 1 burstier)",
        };
        var steps = new Option<int?>("--steps") { Description = "sweep: steps in all (3-20, default 5); slo: search steps (default 5)" };
        var duration = new Option<double?>("--duration") { Description = "Seconds per step (default 10 unless --max-requests is given)" };
        var maxRequests = new Option<int?>("--max-requests") { Description = "Requests per step at most" };
        var warmup = new Option<double?>("--warmup") { Description = "Seconds at each step's start left out of its figures" };
        var cooldown = new Option<double?>("--cooldown") { Description = "Seconds at each step's end left out of its figures" };
        var seed = new Option<int?>("--seed") { Description = "Seed of the prompts' order and the poisson gaps (default 1)" };
        var maxConcurrency = new Option<int?>("--max-concurrency") { Description = "Requests in flight at most (default 64)" };
        var slo = new Option<string[]>("--slo")
        {
            Description = "An objective as KEY=VALUE, repeatable: ttft_ms, itl_ms, tpot_ms, e2e_ms (at the percentile), " +
                "check_pass_rate (0-1), percentile (default 95)",
            AllowMultipleArgumentsPerToken = true,
        };
        var keyEnv = new Option<string?>("--key-env")
        {
            Description = "For a TYPE@BASE_URL/MODEL car: the environment variable of its key",
        };
        var json = new Option<FileInfo?>("--json") { Description = "Write the load test (every request) as JSON to this file" };
        var csv = new Option<FileInfo?>("--csv") { Description = "Write a row per request as CSV to this file" };
        var stepsCsv = new Option<FileInfo?>("--steps-csv") { Description = "Write a row per step as CSV to this file" };

        var command = new Command("load", "Load-test one car: how much load it takes before latency or content go bad")
        {
            suite, car, profile, rate, concurrency, burstiness, steps, duration, maxRequests, warmup, cooldown, seed, maxConcurrency, slo,
            keyEnv, json, csv, stepsCsv,
        };
        where.AddTo(command);
        CliAction.Set(command, async (parse, output, ct) =>
        {
            var objectives = Objectives(parse.GetValue(slo) ?? []);
            await using var connected = await where.ConnectAsync(parse, handler());
            var api = connected.Api;
            var garage = new Garage(api, parse.GetValue(keyEnv));
            var body = new Dictionary<string, object?>
            {
                ["suite_id"] = await garage.SuiteAsync(parse.GetValue(suite)!, ct),
                ["car_id"] = (await garage.CarsAsync([parse.GetValue(car)!], ct))[0],
                ["profile"] = parse.GetValue(profile),
                ["rate"] = parse.GetValue(rate),
                ["concurrency"] = parse.GetValue(concurrency),
                ["burstiness"] = parse.GetValue(burstiness),
                ["steps"] = parse.GetValue(steps),
                ["duration_s"] = parse.GetValue(duration),
                ["max_requests"] = parse.GetValue(maxRequests),
                ["warmup_s"] = parse.GetValue(warmup),
                ["cooldown_s"] = parse.GetValue(cooldown),
                ["seed"] = parse.GetValue(seed),
                ["max_concurrency"] = parse.GetValue(maxConcurrency),
                ["slo"] = objectives.Count > 0 ? objectives : null,
            };
            var id = (await api.PostJsonAsync("/api/load-tests", body, ct)).GetProperty("id").GetString()!;
            await output.WriteLineAsync($"Load test {id}: {parse.GetValue(profile)} on {api.Address}");

            string end;
            try
            {
                end = await FollowAsync(api, id, output, ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                await api.PostJsonAsync($"/api/runs/{id}/cancel", new { }, CancellationToken.None);
                await output.WriteLineAsync($"Cancelled: load test {id} was told to stop.");
                return ExitCodes.Errors;
            }
            var view = await api.GetAsync($"/api/load-tests/{id}", ct);
            WriteSummary(output, view);
            async Task Save(FileInfo? file, string format)
            {
                if (file is not null)
                    await File.WriteAllBytesAsync(file.FullName,
                        await api.GetBytesAsync($"/api/load-tests/{id}/export?format={format}", ct), ct);
            }
            await Save(parse.GetValue(json), "json");
            await Save(parse.GetValue(csv), "csv");
            await Save(parse.GetValue(stepsCsv), "steps_csv");

            var (code, why) = ExitCodeOf(end, view, objectives.Count > 0);
            await output.WriteLineAsync(why);
            return code;
        });
        return command;
    }

    /// <summary>The objectives given as KEY=VALUE, checked here so a typo is a bad input, not a load test without it.</summary>
    private static Dictionary<string, double> Objectives(string[] given)
    {
        var objectives = new Dictionary<string, double>();
        foreach (var pair in given.SelectMany(g => g.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)))
        {
            var eq = pair.IndexOf('=');
            var key = eq > 0 ? pair[..eq].Trim() : pair;
            if (!SloKeys.Contains(key)
                || !double.TryParse(pair[(eq + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var value))
                throw new CliException(ExitCodes.BadInput, $"--slo '{pair}': use KEY=VALUE with KEY one of {string.Join(", ", SloKeys)}");
            objectives[key] = value;
        }
        return objectives;
    }

    /// <summary>A line per finished step as the events come; returns the terminal event ("" if none came).</summary>
    private static async Task<string> FollowAsync(RaceServer api, string id, TextWriter output, CancellationToken ct)
    {
        var end = "";
        var live = CliAction.IsTerminal(output);
        await foreach (var e in api.StreamAsync(id, ct))
        {
            var type = e.GetProperty("type").GetString()!;
            var data = e.GetProperty("data");
            switch (type)
            {
                case "load.second" when live:
                    await output.WriteAsync($"\r  step {data.GetProperty("step").GetInt32() + 1} · " +
                        $"{data.GetProperty("second").GetInt32()} s · {data.GetProperty("in_flight").GetInt64()} in flight · " +
                        $"{data.GetProperty("completed").GetInt32()} done this second   ");
                    break;
                case "load.step":
                    if (live) await output.WriteAsync("\r");
                    await output.WriteLineAsync(StepLine(data));
                    break;
                case "load.verdict":
                    await output.WriteLineAsync($"Verdict: {data.GetProperty("summary").GetString()}");
                    break;
                default:
                    if (type.StartsWith("run.", StringComparison.Ordinal) && type != "run.started") end = type;
                    break;
            }
        }
        return end;
    }

    private static string StepLine(JsonElement s)
    {
        var parts = new List<string>
        {
            $"[step {s.GetProperty("step").GetInt32() + 1}] {Kind(s)}",
            $"{s.GetProperty("requests").GetInt32()} requests",
            $"{N(s.GetProperty("requests_per_s"), "0.##")} req/s",
            $"TTFT p50/p95 {Stat(s, "ttft_ms", "p50")}/{Stat(s, "ttft_ms", "p95")} ms",
            $"ITL p95 {Stat(s, "itl_ms", "p95")} ms",
            $"pass {Pct(s.GetProperty("check_pass_rate"))}",
            $"goodput {N(s.GetProperty("goodput_per_s"), "0.##")}/s",
        };
        if (s.GetProperty("error_rate").GetDouble() > 0) parts.Add($"errors {Pct(s.GetProperty("error_rate"))}");
        if (s.GetProperty("slo_met") is { ValueKind: JsonValueKind.True or JsonValueKind.False } met)
            parts.Add(met.GetBoolean() ? "objectives met" : "objectives missed: " +
                string.Join("; ", s.GetProperty("slo_misses").EnumerateArray().Select(m => m.GetString())));
        return string.Join(" · ", parts);
    }

    private static string Kind(JsonElement s) => s.GetProperty("kind").GetString() switch
    {
        "constant" or "poisson" => $"{s.GetProperty("kind").GetString()} {N(s.GetProperty("target_rate"), "0.##")}/s",
        "concurrent" or "throughput" => $"{s.GetProperty("kind").GetString()} ×{s.GetProperty("concurrency").GetInt32()}",
        var kind => kind!,
    };

    private static string N(JsonElement value, string format) =>
        value.ValueKind == JsonValueKind.Number ? value.GetDouble().ToString(format, CultureInfo.InvariantCulture) : "–";

    private static string Pct(JsonElement value) =>
        value.ValueKind == JsonValueKind.Number ? (value.GetDouble() * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%" : "–";

    private static string Stat(JsonElement step, string latency, string at) =>
        step.GetProperty(latency) is { ValueKind: JsonValueKind.Object } stats ? N(stats.GetProperty(at), "0.0") : "–";

    public static (int Code, string Why) ExitCodeOf(string end, JsonElement view, bool withObjectives)
    {
        if (end != "run.completed")
            return (ExitCodes.Errors, $"The load test did not complete ({(end == "" ? "its stream ended" : end)}).");
        var steps = view.GetProperty("steps").EnumerateArray().ToList();
        if (steps.Count == 0 || steps.All(s => s.GetProperty("completed").GetInt32() == 0))
            return (ExitCodes.Errors, "No request succeeded.");
        if (withObjectives)
        {
            var verdict = view.GetProperty("verdict");
            var met = verdict.ValueKind == JsonValueKind.Object
                ? verdict.GetProperty("met").GetBoolean() && verdict.GetProperty("confirmed").GetBoolean()
                : steps.All(s => s.GetProperty("slo_met").ValueKind == JsonValueKind.True);
            return met ? (ExitCodes.Passed, "The objectives held.") : (ExitCodes.ChecksFailed, "The objectives were missed.");
        }
        return steps.All(s => s.GetProperty("check_pass_rate").GetDouble() >= 1)
            ? (ExitCodes.Passed, "Every request passed its checks.")
            : (ExitCodes.ChecksFailed, "Some requests failed their checks or erred.");
    }

    private static void WriteSummary(TextWriter output, JsonElement view)
    {
        var console = CliAction.Console(output);
        var car = view.GetProperty("car");
        var table = new Table().Title($"{Markup.Escape(car.GetProperty("name").GetString() ?? "?")}: " +
            $"{view.GetProperty("profile").GetProperty("profile").GetString()}, " +
            $"{view.GetProperty("run").GetProperty("status").GetString()}");
        foreach (var column in new[] { "Step", "Requests", "req/s", "out tok/s", "Conc. peak", "TTFT p50", "TTFT p99", "ITL p50", "ITL p99",
            "E2E p50", "Sched. err p99", "Errors", "Pass", "Goodput/s", "SLO" })
            table.AddColumn(new TableColumn(column));
        foreach (var s in view.GetProperty("steps").EnumerateArray())
            table.AddRow(Markup.Escape(Kind(s)), s.GetProperty("requests").GetInt32().ToString(CultureInfo.InvariantCulture),
                N(s.GetProperty("requests_per_s"), "0.##"), N(s.GetProperty("output_tokens_per_s"), "0"),
                s.GetProperty("peak_concurrency").GetInt64().ToString(CultureInfo.InvariantCulture),
                Stat(s, "ttft_ms", "p50"), Stat(s, "ttft_ms", "p99"), Stat(s, "itl_ms", "p50"), Stat(s, "itl_ms", "p99"),
                Stat(s, "e2e_ms", "p50"), Stat(s, "schedule_error_ms", "p99"), Pct(s.GetProperty("error_rate")),
                Pct(s.GetProperty("check_pass_rate")), N(s.GetProperty("goodput_per_s"), "0.##"),
                s.GetProperty("slo_met").ValueKind switch { JsonValueKind.True => "met", JsonValueKind.False => "missed", _ => "–" });
        console.Write(table);
    }
}
