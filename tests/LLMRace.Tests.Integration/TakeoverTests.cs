using LLMRace.Tests.Integration.Stores;

namespace LLMRace.Tests.Integration;

/// <summary>
/// Three Apis as separate processes in one cluster (real PostgreSQL and Redis): the one racing a run is killed hard
/// (SIGKILL) mid-run, and another takes the run over and races it to the finish in the same log.
/// </summary>
public sealed class TakeoverTests : IAsyncLifetime
{
    private LocalPostgres _postgres = null!;
    private LocalRedis _redis = null!;
    private readonly List<StandaloneApi> _silos = [];
    private readonly List<string> _folders = [];

    public async Task InitializeAsync()
    {
        _postgres = await LocalPostgres.StartAsync(TestPorts.Next());
        _redis = await LocalRedis.StartAsync(TestPorts.Next());
        var environment = new Dictionary<string, string>
        {
            ["ConnectionStrings__llmrace-db"] = await _postgres.CreateDatabaseAsync("llmrace"),
            ["ConnectionStrings__llmrace-redis"] = _redis.ConnectionString, ["LLMRACE_SECRET_KEY"] = "the cluster's shared key",
            ["LLMRACE_SILO_ADDRESS"] = "127.0.0.1", ["LLMRACE_SIMULATOR_URL"] = (await SharedSimulator.AddressAsync()).ToString(),
        };
        // Started together on a fresh database, as a first deployment's replicas start.
        for (var i = 0; i < 3; i++) _folders.Add(Directory.CreateTempSubdirectory("llmrace-silo-").FullName);
        _silos.AddRange(await Task.WhenAll(_folders.Select(folder => StandaloneApi.StartAsync(folder, environment))));
    }

    public async Task DisposeAsync()
    {
        foreach (var silo in _silos) await silo.DisposeAsync();
        await _redis.DisposeAsync();
        await _postgres.DisposeAsync();
        foreach (var folder in _folders) try { Directory.Delete(folder, recursive: true); } catch (IOException) { }
    }

    private const int Legs = 10;

    /// <summary>Starts a run of ten 1.5 s items, two at a time, through the first silo; returns it and the silo racing it.</summary>
    private async Task<(string RunId, StandaloneApi Host, RaceClient Watcher)> StartRunAsync()
    {
        var starter = Client(_silos[0]);
        var words = string.Join(' ', Enumerable.Range(1, 150).Select(i => $"w{i}"));
        var suite = await starter.SuiteAsync("Survivor", [.. Enumerable.Range(1, Legs).Select(i => ($"Leg {i}", words, (string?)null))]);
        var car = await starter.CarAsync("Phoenix", "echo?ttft_ms=20&itl_ms=10");
        var runId = (await starter.PostAsync("/api/runs", new { suite_id = suite, car_ids = new[] { car }, settings = new { concurrency = 2 } }))
            .GetProperty("id").GetString()!;
        var started = _silos.Select(s => s.WaitForLineAsync($"Run {runId} started")).ToList();
        var host = _silos[started.IndexOf(await Task.WhenAny(started).WaitAsync(TimeSpan.FromMinutes(1)))];
        return (runId, host, Client(_silos.First(s => s != host)));
    }

    /// <summary>The run went on to the finish in one exact log: gap-free, as stored, every item passed.</summary>
    private static async Task<List<StreamedEvent>> AssertFinishedExactlyAsync(RaceClient watcher, string runId, List<StreamedEvent> seen)
    {
        Assert.Equal(Enumerable.Range(1, seen.Count).Select(i => (long)i), seen.Select(e => e.Seq));
        Assert.Equal("run.completed", seen[^1].Type);
        Assert.Single(seen, e => e.Type.StartsWith("run.") && e.Type != "run.started");
        var stored = await watcher.ReadStreamAsync(runId);
        Assert.Equal(stored.Select(e => e.Json.GetRawText()), seen.Select(e => e.Json.GetRawText()));
        var items = (await watcher.GetAsync($"/api/runs/{runId}/items")).EnumerateArray().ToList();
        Assert.Equal(Legs, items.Count);
        Assert.All(items, i => Assert.Equal("passed", i.GetProperty("status").GetString()));
        return [.. seen.Where(e => e.Type == "item.retry" && e.Data.TryGetProperty("taken_over", out var t) && t.GetBoolean())];
    }

    private static RaceClient Client(StandaloneApi silo) => new(new HttpClient { BaseAddress = silo.Address, Timeout = TimeSpan.FromMinutes(2) });

    /// <summary>Killed hard (SIGKILL) it is lost and its run taken over; stopped (SIGTERM) it hands its run over uninterrupted.</summary>
    [Fact]
    public async Task Silos_started_together_on_a_fresh_database_seed_the_examples_once()
    {
        foreach (var silo in _silos)
        {
            var client = Client(silo);
            var suites = (await client.GetAsync("/api/suites")).EnumerateArray().Select(s => s.GetProperty("name").GetString()).ToList();
            Assert.Equal(suites.Distinct().Count(), suites.Count);
            Assert.Contains("Arcade Warm-up", suites);
            var cars = (await client.GetAsync("/api/cars")).EnumerateArray().Select(c => c.GetProperty("id").GetString()).ToList();
            Assert.Equal(["car_caller", "car_cruiser", "car_sprinter"], cars.Order());
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_run_whose_silo_is_killed_or_stopped_finishes_on_another_with_an_exact_log_and_its_items_in_flight_retried(
        bool killed)
    {
        var (runId, host, watcher) = await StartRunAsync();

        var before = await watcher.ReadStreamAsync(runId, stopWhen: e => e.Type == "item.completed");
        var inFlight = await watcher.ReadStreamAsync(runId, before[^1].Seq, stopWhen: e => e.Type == "item.delta");
        if (killed) await host.KillAsync();
        else await host.StopAsync();
        var after = await watcher.ReadStreamAsync(runId, inFlight[^1].Seq, limit: TimeSpan.FromMinutes(2));

        var retried = await AssertFinishedExactlyAsync(watcher, runId, [.. before, .. inFlight, .. after]);
        // A killed silo's items are cut off where they were; a stopping one's are handed over when its grains deactivate,
        // which can be after the items in flight at SIGTERM have finished.
        if (killed) Assert.Contains(retried, r => inFlight.Any(e => e.ItemId == r.ItemId));
        else Assert.NotEmpty(retried);
        Assert.Contains(_silos.Where(s => s != host), s => s.Output.Contains($"Run {runId} taken over"));
        if (!killed) Assert.Contains($"Run {runId} is handed over", host.Output);
    }
}
