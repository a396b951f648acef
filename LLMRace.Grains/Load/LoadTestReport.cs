using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using LLMRace.Grains.Contracts;
using LLMRace.Grains.Results;
using LLMRace.Grains.Storage;

namespace LLMRace.Grains.Load;

/// <summary>The car a load test drove, as it was then.</summary>
public sealed record LoadCar(string Id, string Name, string Model, string ConnectionType);

/// <summary>What a load test found, read back from its event log: its profile, each step's figures and the verdict.</summary>
public sealed record LoadTestReport(LoadProfile Profile, LoadCar Car, IReadOnlyList<LoadStepFigures> Steps, LoadVerdict? Verdict)
{
    public static async Task<LoadTestReport> ReadAsync(RunRow run, EventStore events)
    {
        var profile = RaceJson.Deserialize<LoadProfile>(run.SettingsJson)!;
        var car = RaceJson.Deserialize<RunSnapshot>(run.SnapshotJson)!.Cars[0];
        var logged = await events.ReadOfTypesAsync(run.Id, [EventTypes.LoadStepCompleted, EventTypes.LoadVerdict]);
        var steps = logged.Where(e => e.Type == EventTypes.LoadStepCompleted).Select(Data<LoadStepFigures>).ToList();
        var verdict = logged.Where(e => e.Type == EventTypes.LoadVerdict).Select(Data<LoadVerdict>).LastOrDefault();
        return new LoadTestReport(profile, new LoadCar(car.Id, car.Name, car.Model, car.Connection.Type), steps, verdict);
    }

    private static T Data<T>(RunEvent e) => RaceJson.Deserialize<T>(JsonNode.Parse(e.Json)!["data"]!.ToJsonString())!;
}

/// <summary>A load test's exports: JSON (<c>llmrace.load.v1</c>) with every request, and CSV of the requests or the steps.</summary>
public static class LoadTestExports
{
    public const string Format = "llmrace.load.v1";

    public static readonly string[] RequestColumns =
    [
        "run_id", "step", "index", "test_id", "scheduled_ms", "sent_ms", "schedule_error_ms", "measured", "status", "error_kind",
        "ttfb_ms", "ttft_ms", "tpot_ms", "e2e_ms", "itl_p50_ms", "itl_p99_ms", "output_tokens", "input_tokens", "checks_passed",
        "checks_total", "timing_source", "coalesced_chunks", "server_request_id", "error",
    ];

    public static readonly string[] StepColumns =
    [
        "run_id", "step", "kind", "purpose", "target_rate", "concurrency", "requests", "measured", "completed", "window_s",
        "requests_per_s", "output_tokens_per_s", "mean_concurrency", "peak_concurrency",
        "ttft_mean_ms", "ttft_p50_ms", "ttft_p90_ms", "ttft_p95_ms", "ttft_p99_ms",
        "itl_mean_ms", "itl_p50_ms", "itl_p90_ms", "itl_p95_ms", "itl_p99_ms",
        "tpot_mean_ms", "tpot_p50_ms", "tpot_p90_ms", "tpot_p95_ms", "tpot_p99_ms",
        "e2e_mean_ms", "e2e_p50_ms", "e2e_p90_ms", "e2e_p95_ms", "e2e_p99_ms",
        "schedule_error_p50_ms", "schedule_error_p99_ms", "schedule_error_max_ms",
        "error_rate", "check_pass_rate", "goodput_per_s", "slo_met",
    ];

    public static async Task<JsonObject> JsonAsync(RunRow run, LoadTestReport report, EventStore events, DateTime exportedAt)
    {
        var requests = new JsonArray();
        foreach (var e in await events.ReadOfTypesAsync(run.Id, [EventTypes.LoadRequest]))
            requests.Add(JsonNode.Parse(e.Json)!["data"]!.DeepClone());
        return new JsonObject
        {
            ["format"] = Format,
            ["exported_at"] = Clock.Text(exportedAt),
            ["run"] = new JsonObject
            {
                ["id"] = run.Id, ["kind"] = run.Kind, ["status"] = run.Status, ["suite_id"] = run.SuiteId, ["suite_name"] = run.SuiteName,
                ["created_at"] = run.CreatedAt, ["started_at"] = run.StartedAt, ["finished_at"] = run.FinishedAt, ["error"] = run.Error,
            },
            ["car"] = JsonSerializerNode(report.Car),
            ["profile"] = JsonSerializerNode(report.Profile),
            ["steps"] = JsonSerializerNode(report.Steps),
            ["verdict"] = report.Verdict is null ? null : JsonSerializerNode(report.Verdict),
            ["requests"] = requests,
        };
    }

    public static async Task<string> RequestsCsvAsync(RunRow run, EventStore events)
    {
        var csv = new StringBuilder().AppendJoin(',', RequestColumns).Append("\r\n");
        foreach (var e in await events.ReadOfTypesAsync(run.Id, [EventTypes.LoadRequest]))
        {
            var d = JsonNode.Parse(e.Json)!["data"]!.AsObject();
            string V(string name) => d[name] switch
            {
                null => "",
                JsonValue v when v.TryGetValue<bool>(out var b) => b ? "true" : "false",
                JsonValue v when v.TryGetValue<double>(out var n) => n.ToString("0.###", CultureInfo.InvariantCulture),
                var node => node.GetValue<string>(),
            };
            csv.AppendJoin(',', RequestColumns.Skip(1).Select(V).Prepend(run.Id).Select(CsvCell.Of)).Append("\r\n");
        }
        return csv.ToString();
    }

    public static string StepsCsv(RunRow run, LoadTestReport report)
    {
        static string N(double? v) => v?.ToString("0.###", CultureInfo.InvariantCulture) ?? "";
        static IEnumerable<string> Stats(LatencyStats? s) => [N(s?.Mean), N(s?.P50), N(s?.P90), N(s?.P95), N(s?.P99)];
        var csv = new StringBuilder().AppendJoin(',', StepColumns).Append("\r\n");
        foreach (var s in report.Steps)
        {
            string[] head =
            [
                run.Id, s.Step.ToString(CultureInfo.InvariantCulture), s.Kind, s.Purpose ?? "", N(s.TargetRate),
                s.Concurrency.ToString(CultureInfo.InvariantCulture), s.Requests.ToString(CultureInfo.InvariantCulture),
                s.Measured.ToString(CultureInfo.InvariantCulture), s.Completed.ToString(CultureInfo.InvariantCulture), N(s.WindowS),
                N(s.RequestsPerS), N(s.OutputTokensPerS), N(s.MeanConcurrency), s.PeakConcurrency.ToString(CultureInfo.InvariantCulture),
            ];
            string[] tail =
            [
                N(s.ScheduleErrorMs?.P50), N(s.ScheduleErrorMs?.P99), N(s.ScheduleErrorMs?.Max), N(s.ErrorRate), N(s.CheckPassRate),
                N(s.GoodputPerS), s.SloMet is { } met ? met ? "true" : "false" : "",
            ];
            var cells = head.Concat(Stats(s.TtftMs)).Concat(Stats(s.ItlMs)).Concat(Stats(s.TpotMs)).Concat(Stats(s.E2eMs)).Concat(tail);
            csv.AppendJoin(',', cells.Select(CsvCell.Of)).Append("\r\n");
        }
        return csv.ToString();
    }

    private static JsonNode JsonSerializerNode<T>(T value) => JsonNode.Parse(RaceJson.Serialize(value))!;
}
