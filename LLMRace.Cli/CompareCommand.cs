using System.CommandLine;
using System.Text.Json;
using Spectre.Console;

namespace LLMRace.Cli;

/// <summary>
/// <c>llmrace compare RUN</c>: a finished run against a baseline (a run id, or the suite's marked baseline) with the
/// tolerances; exit 2 when it regressed beyond them, 0 when not.
/// </summary>
public static class CompareCommand
{
    public static Command Create(Func<HttpMessageHandler?> handler)
    {
        var where = new ServerOptions();
        var run = new Argument<string>("run") { Description = "The run to judge (its id)" };
        var baseline = new Option<string?>("--baseline") { Description = "The run to compare with (its id); default: the suite's marked " +
            "baseline" };
        var json = new Option<FileInfo?>("--json") { Description = "Write the comparison as JSON to this file" };
        var tolerances = new ToleranceOptions();
        var command = new Command("compare", "Compare a run with a baseline run; exit 2 if it regressed beyond the tolerances")
        {
            run, baseline, json,
        };
        where.AddTo(command);
        tolerances.AddTo(command);
        CliAction.Set(command, async (parse, output, ct) =>
        {
            await using var connected = await where.ConnectAsync(parse, handler());
            var against = parse.GetValue(baseline) is { } b ? $"baseline={Uri.EscapeDataString(b)}&" : "";
            var comparison = await connected.Api.GetAsync(
                $"/api/runs/{Uri.EscapeDataString(parse.GetValue(run)!)}/compare?{against}{tolerances.Query(parse)}", ct);
            if (parse.GetValue(json) is { } file)
                await File.WriteAllTextAsync(file.FullName, JsonSerializer.Serialize(comparison, new JsonSerializerOptions
                    { WriteIndented = true }), ct);
            var regressed = Write(output, comparison);
            await output.WriteLineAsync(regressed ? "Regressed against the baseline beyond the tolerances." : "No regression.");
            return regressed ? ExitCodes.Regressed : ExitCodes.Passed;
        });
        return command;
    }

    /// <summary>Prints a comparison per car with what regressed; true when anything did.</summary>
    public static bool Write(TextWriter output, JsonElement comparison)
    {
        var console = CliAction.Console(output);
        var table = new Table().Title($"{comparison.GetProperty("run_id").GetString()} against " +
            $"{comparison.GetProperty("baseline_run_id").GetString()}");
        foreach (var column in new[] { "Car", "Pass rate", "TTFT p50 ms", "E2E p50 ms", "TPOT p50 ms", "New failures", "Regressions" })
            table.AddColumn(column);
        foreach (var car in comparison.GetProperty("cars").EnumerateArray())
            table.AddRow(Markup.Escape(car.GetProperty("car_name").GetString() ?? "?"), Delta(car, "pass_rate", 100, "0.#"),
                Delta(car, "ttft_p50_ms", 1, "0.0"), Delta(car, "e2e_p50_ms", 1, "0.0"), Delta(car, "tpot_p50_ms", 1, "0.00"),
                car.GetProperty("new_failures").GetInt32().ToString(System.Globalization.CultureInfo.InvariantCulture),
                Markup.Escape(string.Join("; ", car.GetProperty("flags").EnumerateArray().Select(f => f.GetString()))));
        console.Write(table);
        return comparison.GetProperty("regressed").GetBoolean();
    }

    private static string Delta(JsonElement car, string field, double scale, string format)
    {
        var d = car.GetProperty(field);
        string N(string name) => d.GetProperty(name) is { ValueKind: JsonValueKind.Number } n
            ? (n.GetDouble() * scale).ToString(format, System.Globalization.CultureInfo.InvariantCulture) : "–";
        return $"{N("baseline")} → {N("current")}";
    }
}
