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

    private async Task<(int Code, string Output, string Error)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = await LLMRaceCli.RunAsync(["race", "--server", fixture.App.ApiBase.ToString(), .. args], output, error);
        return (code, output.ToString(), error.ToString());
    }

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
}
