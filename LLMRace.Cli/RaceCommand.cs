using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;

namespace LLMRace.Cli;

/// <summary>
/// <c>llmrace race</c>: races a suite with cars on a running LLMRace, prints each item as it finishes and a summary
/// table, writes JUnit and JSON reports when asked, and exits with what CI can act on (<see cref="ExitCodes"/>).
/// </summary>
public static class RaceCommand
{
    public static Command Create(Func<HttpMessageHandler?> handler)
    {
        var where = new ServerOptions();
        var suite = new Option<string>("--suite") { Description = "A suite's name or id, or a suite file (JSON, as exported) to import",
            Required = true };
        var cars = new Option<string[]>("--car") { Description = "A car's name or id, or TYPE@BASE_URL/MODEL; repeat for several",
            Required = true, AllowMultipleArgumentsPerToken = true };
        var concurrency = new Option<int>("--concurrency") { Description = "Items raced at once (1-256)", DefaultValueFactory = _ => 1 };
        var repeats = new Option<int>("--repeats") { Description = "Times each test is raced per car (1-100)",
            DefaultValueFactory = _ => 1 };
        var keyEnv = new Option<string?>("--key-env") { Description = "For a TYPE@BASE_URL/MODEL car: the environment variable holding " +
            "its " +
            "API key (read by the engine, never sent anywhere but that server)" };
        var baseline = new Option<string?>("--baseline") { Description = "Compare with this run id, or 'suite' for the suite's marked " +
            "baseline (none yet: nothing to compare): exit 2 on a regression beyond the tolerances" };
        var markBaseline = new Option<bool>("--mark-baseline") { Description = "Mark this run as the suite's baseline when it completes " +
            "without a regression" };
        var tolerances = new ToleranceOptions();
        var junit = new Option<FileInfo?>("--junit") { Description = "Write the result as JUnit XML to this file" };
        var json = new Option<FileInfo?>("--json") { Description = "Write the scorecard and every item as JSON to this file" };
        var csv = new Option<FileInfo?>("--csv") { Description = "Write a row per item as CSV to this file" };

        var command = new Command("race", "Race a suite with one or more cars and report the result")
        {
            suite, cars, concurrency, repeats, keyEnv, baseline, markBaseline, junit, json, csv,
        };
        where.AddTo(command);
        tolerances.AddTo(command);
        CliAction.Set(command, async (parse, output, ct) =>
        {
            await using var connected = await where.ConnectAsync(parse, handler());
            return await RunAsync(connected.Api, new RaceRequest(parse.GetValue(suite)!, parse.GetValue(cars)!, parse.GetValue(concurrency),
                parse.GetValue(repeats), parse.GetValue(junit), parse.GetValue(json), parse.GetValue(csv), parse.GetValue(keyEnv),
                parse.GetValue(baseline), tolerances.Query(parse), parse.GetValue(markBaseline)), output, ct);
        });
        return command;
    }

    public sealed record RaceRequest(string Suite, string[] Cars, int Concurrency, int Repeats, FileInfo? JUnit, FileInfo? Json,
        FileInfo? Csv, string? KeyEnv, string? Baseline, string ToleranceQuery, bool MarkBaseline);

    private static async Task<int> RunAsync(RaceServer api, RaceRequest request, TextWriter output, CancellationToken ct)
    {
        var garage = new Garage(api, request.KeyEnv);
        var suiteId = await garage.SuiteAsync(request.Suite, ct);
        var carIds = await garage.CarsAsync(request.Cars, ct);
        var run = await api.PostJsonAsync("/api/runs", new Dictionary<string, object>
        {
            ["suite_id"] = suiteId,
            ["car_ids"] = carIds,
            ["settings"] = new Dictionary<string, int> { ["concurrency"] = request.Concurrency, ["repeats"] = request.Repeats },
        }, ct);
        var runId = run.GetProperty("id").GetString()!;
        var total = run.GetProperty("items_total").GetInt32();
        await output.WriteLineAsync($"Run {runId}: {total} item(s) on {api.Address}");

        string end;
        try
        {
            end = await FollowAsync(api, runId, total, output, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Ctrl+C (or CI's cancel): the race stops on the server too, rather than going on with nobody watching.
            await api.PostJsonAsync($"/api/runs/{runId}/cancel", new { }, CancellationToken.None);
            await output.WriteLineAsync($"Cancelled: run {runId} was told to stop.");
            return ExitCodes.Errors;
        }

        var scorecard = await api.GetAsync($"/api/runs/{runId}/scorecard", ct);
        var items = (await api.GetAsync($"/api/runs/{runId}/items", ct)).EnumerateArray().ToList();
        WriteSummary(output, scorecard);
        if (request.JUnit is { } junitFile)
            JUnitReport.From(scorecard.GetProperty("suite_name").GetString() ?? "", runId, items).Save(junitFile.FullName);
        if (request.Json is { } jsonFile)
            await File.WriteAllTextAsync(jsonFile.FullName, JsonSerializer.Serialize(new { run_id = runId, scorecard, items },
                new JsonSerializerOptions { WriteIndented = true }), ct);

        if (request.Csv is { } csvFile)
            await File.WriteAllBytesAsync(csvFile.FullName, await api.GetBytesAsync($"/api/runs/{runId}/export?format=csv", ct), ct);

        var code = ExitCodeOf(end, items);
        if (request.Baseline is { } baseline && code is ExitCodes.Passed or ExitCodes.ChecksFailed)
        {
            var hasBaseline = baseline != "suite"
                || (await api.GetAsync($"/api/runs?suite_id={Uri.EscapeDataString(suiteId)}&limit=500", ct))
                    .EnumerateArray().Any(r => r.GetProperty("is_baseline").GetBoolean());
            if (!hasBaseline) await output.WriteLineAsync("The suite has no baseline run yet: nothing to compare with.");
            else
            {
                var against = baseline == "suite" ? "" : $"baseline={Uri.EscapeDataString(baseline)}&";
                var comparison = await api.GetAsync($"/api/runs/{runId}/compare?{against}{request.ToleranceQuery}", ct);
                if (CompareCommand.Write(output, comparison)) code = ExitCodes.Regressed;
            }
        }
        if (request.MarkBaseline && code is ExitCodes.Passed or ExitCodes.ChecksFailed)
        {
            await api.PostJsonAsync($"/api/runs/{runId}/baseline", new { }, ct);
            await output.WriteLineAsync($"Run {runId} is now the suite's baseline.");
        }
        await output.WriteLineAsync(code switch
        {
            ExitCodes.Passed => "All items passed.",
            ExitCodes.ChecksFailed => "Some items failed their checks.",
            ExitCodes.Regressed => "Regressed against the baseline beyond the tolerances.",
            _ => end == "run.completed" ? "Some items erred." : $"The run did not complete ({(end == "" ? "its stream ended" : end)}).",
        });
        return code;
    }

    /// <summary>
    /// Follows the run's events to its end: in a terminal a live table per car (items, passes, TTFT, tokens/s), elsewhere a
    /// line per finished item. Returns the run's terminal event ("" if none came).
    /// </summary>
    private static async Task<string> FollowAsync(RaceServer api, string runId, int total, TextWriter output, CancellationToken ct)
    {
        var progress = new RaceProgress(total);
        if (!CliAction.IsTerminal(output))
        {
            await foreach (var e in api.StreamAsync(runId, ct))
                if (progress.Apply(e) is { } line) await output.WriteLineAsync(line);
            return progress.End;
        }
        await CliAction.Console(output).Live(progress.Table()).StartAsync(async live =>
        {
            await foreach (var e in api.StreamAsync(runId, ct))
            {
                if (progress.Apply(e) is null) continue;
                live.UpdateTarget(progress.Table());
                live.Refresh();
            }
        });
        return progress.End;
    }

    public static int ExitCodeOf(string end, IReadOnlyList<JsonElement> items)
    {
        if (end != "run.completed") return ExitCodes.Errors;
        var statuses = items.Select(i => i.GetProperty("status").GetString()).ToList();
        if (statuses.Any(s => s != "passed" && s != "failed")) return ExitCodes.Errors;
        return statuses.Contains("failed") ? ExitCodes.ChecksFailed : ExitCodes.Passed;
    }

    private static void WriteSummary(TextWriter output, JsonElement scorecard)
    {
        var console = CliAction.Console(output);
        var table = new Table().Title($"{scorecard.GetProperty("suite_name").GetString()}: {scorecard.GetProperty("status").GetString()}");
        string[] columns = ["Car", "Items", "Passed", "Failed", "Errors", "Unfinished", "TTFT p50 ms", "E2E p50 ms", "tok/s p50"];
        foreach (var column in columns)
            table.AddColumn(new TableColumn(column));
        foreach (var car in scorecard.GetProperty("cars").EnumerateArray())
            table.AddRow(Markup.Escape(car.GetProperty("car_name").GetString() ?? "?"), Int(car, "items"), Int(car, "passed"),
                Int(car, "failed"), Int(car, "errors"), Int(car, "unfinished"), P50(car, "ttft_ms"), P50(car, "e2e_ms"),
                P50(car, "decode_tokens_per_s"));
        console.Write(table);
        if (scorecard.TryGetProperty("winner", out var winner) && winner.ValueKind == JsonValueKind.Object)
            console.WriteLine($"Winner: {winner.GetProperty("car_name").GetString()}");
    }

    private static string Int(JsonElement car, string field) => car.GetProperty(field).GetInt32().ToString(CultureInfo.InvariantCulture);

    private static string P50(JsonElement car, string field) =>
        car.GetProperty(field).GetProperty("p50") is { ValueKind: JsonValueKind.Number } p50
            ? p50.GetDouble().ToString("0.0", CultureInfo.InvariantCulture) : "–";
}
