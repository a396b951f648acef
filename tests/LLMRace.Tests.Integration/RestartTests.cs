
namespace LLMRace.Tests.Integration;

/// <summary>What survives a restart of the Api: everything; and a run cut off mid-race by the stop ends as interrupted.</summary>
public sealed class RestartTests : IAsyncLifetime
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("llmrace-restart-").FullName;

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync()
    {
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Runs_survive_a_restart_and_a_run_cut_off_mid_race_is_marked_interrupted()
    {
        string finishedRun, cutOffRun;
        List<StreamedEvent> finishedEvents;
        long cutOffSeenSeq;
        await using (var first = await InProcessApi.StartAsync(_dataDir))
        {
            var client = new RaceClient(first.Api);
            var suite = await client.SuiteAsync("Survivor", ("Echo", "remember this after a restart", "contains:restart"));
            var quick = await client.CarAsync("Quick", "echo?ttft_ms=5&itl_ms=1");
            finishedRun = await client.StartRunAsync(suite, quick);
            finishedEvents = await client.ReadStreamAsync(finishedRun);

            var longSuite = await client.SuiteAsync("Marathon",
                [.. Enumerable.Range(1, 10).Select(i => ($"Lap {i}", string.Join(' ', Enumerable.Range(1, 200).Select(w => $"lap{i}w{w}")),
                    (string?)null))]);
            var slow = await client.CarAsync("Slow", "echo?ttft_ms=10&itl_ms=50");
            cutOffRun = await client.StartRunAsync(longSuite, slow);
            cutOffSeenSeq = (await client.ReadStreamAsync(cutOffRun, stopWhen: e => e.Type == "item.delta"))[^1].Seq;
        }

        await using var second = await InProcessApi.StartAsync(_dataDir);
        var after = new RaceClient(second.Api);

        var run = await after.GetAsync($"/api/runs/{finishedRun}");
        Assert.Equal("completed", run.GetProperty("status").GetString());
        var item = Assert.Single((await after.GetAsync($"/api/runs/{finishedRun}/items")).EnumerateArray());
        Assert.Equal("remember this after a restart", item.GetProperty("output").GetString());
        Assert.Equal("passed", item.GetProperty("status").GetString());
        var replay = await after.ReadStreamAsync(finishedRun);
        Assert.Equal(finishedEvents.Select(e => e.Json.GetRawText()), replay.Select(e => e.Json.GetRawText()));

        var cutOff = await after.GetAsync($"/api/runs/{cutOffRun}");
        Assert.Equal("interrupted", cutOff.GetProperty("status").GetString());
        var cutOffEvents = await after.ReadStreamAsync(cutOffRun);
        Assert.Equal(Enumerable.Range(1, cutOffEvents.Count).Select(i => (long)i), cutOffEvents.Select(e => e.Seq));
        Assert.True(cutOffEvents.Count >= cutOffSeenSeq, "every event written before the stop is still there");
        Assert.Equal("run.failed", cutOffEvents[^1].Type);
        Assert.Equal("interrupted", cutOffEvents[^1].Data.GetProperty("status").GetString());
        Assert.All((await after.GetAsync($"/api/runs/{cutOffRun}/items")).EnumerateArray(),
            i => Assert.DoesNotContain(i.GetProperty("status").GetString(), new[] { "pending", "running" }));
    }

    [Fact]
    public async Task An_unwritable_database_path_stops_the_api_with_one_line_saying_which_path_and_why()
    {
        var notAFolder = Path.Combine(_dataDir, "plain-file");
        await File.WriteAllTextAsync(notAFolder, "this is a file, so nothing can be created under it");
        var databasePath = Path.Combine(notAFolder, "llmrace.db");

        var exited = await Assert.ThrowsAsync<StandaloneApiExited>(() => StandaloneApi.StartAsync(_dataDir, new Dictionary<string,
            string> { ["LLMRACE_DB_PATH"] = databasePath }));
        var output = exited.Output;

        Assert.Equal(1, exited.ExitCode);
        var lines = output.Split('\n').Where(l => l.Contains("cannot open the database")).ToList();
        var line = Assert.Single(lines);
        Assert.Contains($"'{databasePath}'", line);
        Assert.DoesNotContain("Unhandled exception", output);
    }
}
