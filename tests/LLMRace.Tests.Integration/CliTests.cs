using System.Net.Http.Json;
using System.Text.Json;
using System.Xml.Linq;
using LLMRace.Cli;

namespace LLMRace.Tests.Integration;

/// <summary>
/// <c>llmrace race</c> against a running LLMRace (the real Api on Kestrel, the real Simulator): what it prints, the
/// reports it writes, and the exit code CI acts on, for a race that passes, one that fails checks, one that errs, and
/// input that names nothing.
/// </summary>
public sealed class CliTests(ApiFixture fixture) : IClassFixture<ApiFixture>, IDisposable
{
    private readonly RaceClient _client = new(fixture.App.Api);
    private readonly string _folder = Directory.CreateTempSubdirectory("llmrace-cli-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    private Task<(int Code, string Output, string Error)> RunAsync(params string[] args) => CommandAsync("race", args);

    /// <summary>A command against the fixture's Api (with --server) or, when <paramref name="args"/> has --data, embedded.</summary>
    private static async Task<(int Code, string Output, string Error)> CliAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await LLMRaceCli.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private Task<(int Code, string Output, string Error)> CommandAsync(string command, params string[] args) =>
        CliAsync([command, "--server", fixture.App.ApiBase.ToString(), .. args]);

    [Fact]
    public async Task A_race_every_item_passes_exits_0_with_a_progress_line_per_item_a_summary_and_reports_that_parse()
    {
        var suite = await _client.SuiteAsync("CLI green", ("Say", "alpha beta gamma", "contains:gamma"), ("Count", "one two", "max_words:5"));
        await _client.CarAsync("CLI swift", "echo?ttft_ms=2&itl_ms=1");
        var junit = Path.Combine(_folder, "green.xml");
        var json = Path.Combine(_folder, "green.json");

        var (code, output, error) = await RunAsync("--suite", "CLI green", "--car", "CLI swift", "--repeats", "2", "--junit", junit, "--json", json);

        Assert.True(code == ExitCodes.Passed, $"exit {code}\n{output}\n{error}");
        Assert.Equal(4, output.Split('\n').Count(line => line.StartsWith('[') && line.Contains("CLI swift · ") && line.Contains("· passed")));
        Assert.Contains("[4/4]", output);
        Assert.Contains("CLI green: completed", output);
        Assert.Contains("All items passed.", output);
        var report = XDocument.Load(junit).Root!;
        var cars = report.Elements("testsuite").ToList();
        Assert.Equal("CLI swift", Assert.Single(cars).Attribute("name")!.Value);
        Assert.Equal("4", cars[0].Attribute("tests")!.Value);
        Assert.Equal("0", cars[0].Attribute("failures")!.Value);
        Assert.Contains(cars[0].Elements("testcase"), c => c.Attribute("name")!.Value == "Say (repeat 2)");
        var written = JsonDocument.Parse(await File.ReadAllTextAsync(json)).RootElement;
        Assert.Equal(4, written.GetProperty("items").GetArrayLength());
        Assert.Equal(suite, (await _client.GetAsync($"/api/runs/{written.GetProperty("run_id").GetString()}")).GetProperty("suite_id").GetString());
    }

    [Fact]
    public async Task A_failed_check_exits_1_and_the_junit_failure_names_the_check()
    {
        await _client.SuiteAsync("CLI red", ("Short", "one two three four five six", "max_words:3"), ("Fine", "hello", null));
        var car = await _client.CarAsync("CLI talker", "echo?ttft_ms=2&itl_ms=1");
        var junit = Path.Combine(_folder, "red.xml");

        var (code, output, _) = await RunAsync("--suite", "CLI red", "--car", car, "--junit", junit);

        Assert.Equal(ExitCodes.ChecksFailed, code);
        Assert.Contains("Some items failed their checks.", output);
        var failure = Assert.Single(XDocument.Load(junit).Descendants("failure"));
        Assert.Contains("max_words:3", failure.Attribute("message")!.Value);
        Assert.Equal("Short", failure.Parent!.Attribute("name")!.Value);
    }

    [Fact]
    public async Task An_item_that_errs_exits_3_and_is_a_junit_error()
    {
        await _client.SuiteAsync("CLI broken", ("Ask", "hello", null));
        await _client.CarAsync("CLI failing", "echo?fault=status:500");
        var junit = Path.Combine(_folder, "broken.xml");

        var (code, output, _) = await RunAsync("--suite", "CLI broken", "--car", "CLI failing", "--junit", junit);

        Assert.Equal(ExitCodes.Errors, code);
        Assert.Contains("Some items erred.", output);
        Assert.Single(XDocument.Load(junit).Descendants("error"));
    }

    [Fact]
    public async Task A_suite_file_is_imported_and_raced()
    {
        var file = Path.Combine(_folder, "suite.json");
        await File.WriteAllTextAsync(file, """
            {"name": "CLI from a file", "tests": [{"order_index": 1, "name": "Echo", "user_prompt": "ping pong", "expected_constraints": "contains:pong"}]}
            """);
        await _client.CarAsync("CLI reader", "echo?ttft_ms=2&itl_ms=1");

        var (code, output, error) = await RunAsync("--suite", file, "--car", "CLI reader");

        Assert.True(code == ExitCodes.Passed, $"exit {code}\n{output}\n{error}");
        Assert.Contains("CLI from a file: completed", output);
    }

    [Theory]
    [InlineData("--suite", "No such suite", "--car", "Sprinter", "no suite is named 'No such suite'")]
    [InlineData("--suite", "Arcade Warm-up", "--car", "No such car", "no car is named 'No such car'")]
    [InlineData("--suite", "Arcade Warm-up", "--car", "Sprinter", "--concurrency", "0", "concurrency")]
    [InlineData("--suite", "Arcade Warm-up")]
    [InlineData("--suite", "Arcade Warm-up", "--car", "Sprinter", "--repeats", "many")]
    public async Task Input_that_names_nothing_or_is_out_of_range_exits_4_saying_what_is_wrong_and_races_nothing(params string[] args)
    {
        var expected = args.Length % 2 == 1 ? args[^1] : null;
        var runsBefore = (await _client.GetAsync("/api/runs")).GetArrayLength();

        var (code, _, error) = await RunAsync(expected is null ? args : args[..^1]);

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.StartsWith("llmrace: ", error);
        if (expected is not null) Assert.Contains(expected, error);
        Assert.Equal(runsBefore, (await _client.GetAsync("/api/runs")).GetArrayLength());
    }

    [Fact]
    public async Task Cancelling_the_cli_mid_race_cancels_the_run_on_the_server_and_exits_3()
    {
        var words = string.Join(' ', Enumerable.Range(1, 40).Select(i => $"w{i}"));
        await _client.SuiteAsync("CLI long", [.. Enumerable.Range(1, 6).Select(i => ($"Leg {i}", words, (string?)null))]);
        await _client.CarAsync("CLI slow", "echo?ttft_ms=2&itl_ms=50");
        using var cancel = new CancellationTokenSource();
        var output = new CancelOnFirstItem(cancel);
        var error = new StringWriter();

        var code = await LLMRaceCli.RunAsync(["race", "--server", fixture.App.ApiBase.ToString(), "--suite", "CLI long", "--car", "CLI slow"],
            output, error, ct: cancel.Token);

        Assert.True(code == ExitCodes.Errors, $"exit {code}\n{output}\n{error}");
        var runId = System.Text.RegularExpressions.Regex.Match(output.ToString(), "Cancelled: run (run_[0-9a-f]+)").Groups[1].Value;
        Assert.Equal("run.cancelled", (await _client.ReadStreamAsync(runId))[^1].Type);
    }

    /// <summary>Output that cancels the command once the first item's line is written, as a user's Ctrl+C would.</summary>
    private sealed class CancelOnFirstItem(CancellationTokenSource cancel) : StringWriter
    {
        public override Task WriteLineAsync(string? value)
        {
            if (value?.StartsWith("[1/", StringComparison.Ordinal) == true) cancel.Cancel();
            return base.WriteLineAsync(value);
        }
    }

    [Fact]
    public async Task A_report_that_cannot_be_written_exits_4_saying_so()
    {
        await _client.CarAsync("CLI writer", "echo?ttft_ms=2&itl_ms=1");
        await _client.SuiteAsync("CLI nowhere", ("Say", "hi", null));

        var (code, _, error) = await RunAsync("--suite", "CLI nowhere", "--car", "CLI writer", "--junit",
            Path.Combine(_folder, "no-such-folder", "out.xml"));

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.StartsWith("llmrace: cannot write a report: ", error);
    }

    [Fact]
    public async Task An_unreachable_server_exits_3_naming_it()
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await LLMRaceCli.RunAsync(["race", "--server", "http://127.0.0.1:9", "--suite", "x", "--car", "y"], output, error);

        Assert.Equal(ExitCodes.Errors, code);
        Assert.Contains("LLMRace at http://127.0.0.1:9/ is unreachable", error.ToString());
    }

    [Fact]
    public async Task Load_runs_a_profile_prints_each_step_writes_its_exports_and_exits_on_its_objectives()
    {
        await _client.SuiteAsync("CLI load", ("Echo", "red green blue", "contains:blue"));
        await _client.CarAsync("CLI loaded", "echo?ttft_ms=3&itl_ms=1");
        var csv = Path.Combine(_folder, "load.csv");
        var steps = Path.Combine(_folder, "steps.csv");
        var json = Path.Combine(_folder, "load.json");

        var (code, output, error) = await CommandAsync("load", "--suite", "CLI load", "--car", "CLI loaded", "--profile", "sweep",
            "--steps", "3", "--max-requests", "6", "--duration", "30", "--slo", "ttft_ms=60000", "--slo", "check_pass_rate=0.9",
            "--csv", csv, "--steps-csv", steps, "--json", json);

        Assert.True(code == ExitCodes.Passed, $"exit {code}\n{output}\n{error}");
        Assert.Contains("[step 1] synchronous · 6 requests", output);
        Assert.Contains("[step 2] throughput ×64 · 6 requests", output);
        Assert.Contains("[step 3] constant ", output);
        Assert.Contains("objectives met", output);
        Assert.Contains("The objectives held.", output);
        Assert.Equal(19, (await File.ReadAllLinesAsync(csv)).Length);
        Assert.Equal(4, (await File.ReadAllLinesAsync(steps)).Length);
        Assert.Equal(18, JsonDocument.Parse(await File.ReadAllTextAsync(json)).RootElement.GetProperty("requests").GetArrayLength());

        var (missed, missedOutput, _) = await CommandAsync("load", "--suite", "CLI load", "--car", "CLI loaded", "--profile", "concurrent",
            "--concurrency", "2", "--max-requests", "4", "--slo", "ttft_ms=0.001");
        Assert.Equal(ExitCodes.ChecksFailed, missed);
        Assert.Contains("objectives missed: TTFT p95", missedOutput);
        Assert.Contains("The objectives were missed.", missedOutput);
    }

    [Theory]
    [InlineData("synchronous")]
    [InlineData("poisson", "--rate", "30", "--burstiness", "0.5")]
    [InlineData("slo", "--steps", "2", "--slo", "ttft_ms=60000")]
    public async Task Load_runs_every_other_profile_to_a_step_table_and_exit_0(string profile, params string[] options)
    {
        await _client.SuiteAsync($"CLI {profile}", ("Echo", "a b c", "contains:c"));
        await _client.CarAsync($"CLI {profile} car", "echo?ttft_ms=2&itl_ms=1");

        var (code, output, error) = await CommandAsync("load", ["--suite", $"CLI {profile}", "--car", $"CLI {profile} car", "--profile",
            profile, "--max-requests", "3", .. options]);

        Assert.True(code == ExitCodes.Passed, $"exit {code}\n{output}\n{error}");
        Assert.Contains($": {profile}, completed", output);
        if (profile == "slo") Assert.Contains("Verdict: the objectives hold up to", output);
    }

    [Theory]
    [InlineData("--slo", "speed=fast", "--slo 'speed=fast'")]
    [InlineData("--rate", "-3", "rate")]
    [InlineData("--profile", "warp", "warp")]
    public async Task Load_input_that_is_wrong_exits_4_saying_what(string option, string value, string expected)
    {
        string[] args = ["--suite", "Arcade Warm-up", "--car", "Sprinter", "--profile", "constant", "--rate", "5", "--max-requests", "1"];
        var i = Array.IndexOf(args, option);
        args = i >= 0 ? [.. args[..(i + 1)], value, .. args[(i + 2)..]] : [.. args, option, value];

        var (code, _, error) = await CommandAsync("load", args);

        Assert.Equal(ExitCodes.BadInput, code);
        Assert.Contains(expected, error);
        // Each problem is said once.
        var said = error.Trim().Split("; ");
        for (var k = 1; k < said.Length; k++) Assert.DoesNotContain(said[k], string.Join("; ", said[..k]));
    }

    [Fact]
    public async Task Compare_and_race_with_a_baseline_exit_2_on_a_regression_beyond_the_tolerances_and_0_within_them()
    {
        await _client.SuiteAsync("CLI baseline", ("Echo", "one two three four", "contains:four"));
        var car = await _client.CarAsync("CLI steady", "echo?ttft_ms=20&itl_ms=20");
        var (first, firstOutput, _) = await RunAsync("--suite", "CLI baseline", "--car", car, "--repeats", "3");
        Assert.Equal(ExitCodes.Passed, first);
        var baseline = System.Text.RegularExpressions.Regex.Match(firstOutput, "Run (run_[0-9a-f]+)").Groups[1].Value;

        // The same car again, within tolerances wide enough for a busy machine's noise: no regression.
        var (same, sameOutput, sameError) = await RunAsync("--suite", "CLI baseline", "--car", car, "--repeats", "3", "--baseline", baseline,
            "--ttft-tolerance", "400", "--e2e-tolerance", "400", "--tpot-tolerance", "400");
        Assert.True(same == ExitCodes.Passed, $"exit {same}\n{sameOutput}\n{sameError}");

        // The same car, now ten times slower to its first token.
        var row = await _client.GetAsync($"/api/cars/{car}");
        using (var put = await fixture.App.Api.PutAsJsonAsync($"/api/cars/{car}", new { name = row.GetProperty("name").GetString(),
            connection_id = row.GetProperty("connection_id").GetString(), model = "echo?ttft_ms=400&itl_ms=20" }))
            put.EnsureSuccessStatusCode();
        var (slower, slowerOutput, _) = await RunAsync("--suite", "CLI baseline", "--car", car, "--repeats", "3", "--baseline", baseline,
            "--tpot-tolerance", "400");
        Assert.Equal(ExitCodes.Regressed, slower);
        Assert.Contains("TTFT p50 worse by", slowerOutput);
        var slowRun = System.Text.RegularExpressions.Regex.Match(slowerOutput, "Run (run_[0-9a-f]+)").Groups[1].Value;

        var (compared, comparedOutput, _) = await CommandAsync("compare", slowRun, "--baseline", baseline);
        Assert.Equal(ExitCodes.Regressed, compared);
        Assert.Contains("Regressed against the baseline", comparedOutput);
        var (tolerated, _, _) = await CommandAsync("compare", slowRun, "--baseline", baseline, "--ttft-tolerance", "10000",
            "--e2e-tolerance", "10000", "--tpot-tolerance", "400");
        Assert.Equal(ExitCodes.Passed, tolerated);

        var export = Path.Combine(_folder, "slow.csv");
        var (exported, _, _) = await CommandAsync("export", slowRun, "--format", "csv", "-o", export);
        Assert.Equal(ExitCodes.Passed, exported);
        Assert.Equal(4, (await File.ReadAllLinesAsync(export)).Length);
    }

    [Fact]
    public async Task Embedded_the_cli_races_and_load_tests_a_server_given_as_type_at_url_on_its_own_database_with_nothing_else_running()
    {
        var data = Path.Combine(_folder, "embedded");
        var car = $"OPENAI_COMPAT@{fixture.App.SimBase.ToString().TrimEnd('/')}/v1/echo?ttft_ms=2&itl_ms=1";
        var suite = Path.Combine(_folder, "embedded-suite.json");
        await File.WriteAllTextAsync(suite, """
            {"name": "Embedded", "tests": [{"order_index": 1, "name": "Echo", "user_prompt": "north south", "expected_constraints": "contains:south"}]}
            """);

        var (code, output, error) = await CliAsync("race", "--data", data, "--suite", suite, "--car", car, "--baseline", "suite",
            "--mark-baseline");
        Assert.True(code == ExitCodes.Passed, $"exit {code}\n{output}\n{error}");
        Assert.Contains("Embedded: completed", output);
        Assert.Contains("The suite has no baseline run yet", output);
        Assert.Contains("is now the suite's baseline", output);

        // The same file again: the same suite, compared with the run just marked.
        var (again, againOutput, againError) = await CliAsync("race", "--data", data, "--suite", suite, "--car", car, "--baseline", "suite",
            "--ttft-tolerance", "10000", "--e2e-tolerance", "10000", "--tpot-tolerance", "10000");
        Assert.True(again == ExitCodes.Passed, $"exit {again}\n{againOutput}\n{againError}");
        var first = System.Text.RegularExpressions.Regex.Match(output, "Run (run_[0-9a-f]+)").Groups[1].Value;
        Assert.Contains($"against {first}", againOutput);
        Assert.True(File.Exists(Path.Combine(data, "llmrace.db")));

        var (load, loadOutput, loadError) = await CliAsync("load", "--data", data, "--suite", "Embedded", "--car", car, "--profile",
            "constant", "--rate", "20", "--max-requests", "5");
        Assert.True(load == ExitCodes.Passed, $"exit {load}\n{loadOutput}\n{loadError}");
        Assert.Contains("[step 1] constant 20/s · 5 requests", loadOutput);
        // The second command found the car the first one made: one connection, one car for that server and model.
        await using var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={Path.Combine(data, "llmrace.db")};Pooling=false");
        await db.OpenAsync();
        await using var count = db.CreateCommand();
        count.CommandText = "SELECT (SELECT COUNT(*) FROM connections WHERE type = 'OPENAI_COMPAT'), (SELECT COUNT(*) FROM cars WHERE model = $m)";
        count.Parameters.AddWithValue("$m", "echo?ttft_ms=2&itl_ms=1");
        await using var reader = await count.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal((1L, 1L), (reader.GetInt64(0), reader.GetInt64(1)));
    }
}
