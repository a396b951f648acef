using System.Text.RegularExpressions;
using LLMRace.Tests.Integration.Stores;
using Microsoft.Extensions.DependencyInjection;

namespace LLMRace.Tests.Integration;

/// <summary>Three silos (Apis) on one PostgreSQL store and one Redis, as one Orleans cluster: real servers, on loopback.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    private LocalPostgres _postgres = null!;
    private LocalRedis _redis = null!;

    public List<InProcessApi> Silos { get; } = [];

    public async Task InitializeAsync()
    {
        _postgres = await LocalPostgres.StartAsync(TestPorts.Next());
        _redis = await LocalRedis.StartAsync(TestPorts.Next());
        var store = await _postgres.CreateDatabaseAsync("llmrace");
        // One after the other: the first creates the schema and seeds the examples the others then find.
        for (var i = 0; i < 3; i++)
            Silos.Add(await InProcessApi.StartAsync(Directory.CreateTempSubdirectory("llmrace-silo-").FullName, new Dictionary<string, string>
            {
                [InProcessApi.SharedStoreSetting] = store, ["ConnectionStrings:llmrace-redis"] = _redis.ConnectionString,
                ["LLMRACE_SECRET_KEY"] = "the cluster's shared key", ["LLMRACE_SILO_ADDRESS"] = "127.0.0.1",
            }));
    }

    public async Task DisposeAsync()
    {
        foreach (var silo in Silos) await silo.DisposeAsync();
        await _redis.DisposeAsync();
        await _postgres.DisposeAsync();
    }
}

public sealed class ClusterTests(ClusterFixture cluster) : IClassFixture<ClusterFixture>
{
    private RaceClient On(int silo) => new(cluster.Silos[silo].Api);

    [Fact]
    public async Task The_three_silos_are_one_cluster()
    {
        var management = cluster.Silos[0].Services.GetRequiredService<IClusterClient>().GetGrain<IManagementGrain>(0);

        var hosts = await management.GetHosts(onlyActive: true);

        Assert.Equal(3, hosts.Count);
    }

    [Fact]
    public async Task A_run_started_on_one_silo_is_followed_live_on_the_others_gap_free()
    {
        var suite = await On(0).SuiteAsync("Across silos",
            ("One", string.Join(' ', Enumerable.Range(1, 40).Select(i => $"a{i}")), null),
            ("Two", string.Join(' ', Enumerable.Range(1, 40).Select(i => $"b{i}")), null));
        var car = await On(0).CarAsync("Roamer", "echo?ttft_ms=20&itl_ms=5");
        var runId = await On(0).StartRunAsync(suite, car);

        var watchers = await Task.WhenAll(On(1).ReadStreamAsync(runId), On(2).ReadStreamAsync(runId), On(0).ReadStreamAsync(runId));

        var stored = await On(1).ReadStreamAsync(runId);
        Assert.Equal("run.completed", stored[^1].Type);
        Assert.Equal(Enumerable.Range(1, stored.Count).Select(i => (long)i), stored.Select(e => e.Seq));
        foreach (var seen in watchers) Assert.Equal(stored.Select(e => e.Json.GetRawText()), seen.Select(e => e.Json.GetRawText()));
        Assert.Equal("completed", (await On(2).GetAsync($"/api/runs/{runId}")).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Twenty_runs_started_across_the_silos_and_watched_on_each_have_complete_exact_logs()
    {
        var suite = await On(1).SuiteAsync("Crowd", ("Only", string.Join(' ', Enumerable.Range(1, 20).Select(i => $"c{i}")), null));
        var car = await On(2).CarAsync("Swarm", "echo?ttft_ms=10&itl_ms=5");
        var runs = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => On(i % 3).StartRunAsync(suite, car)));

        var seen = await Task.WhenAll(runs.SelectMany(run => Enumerable.Range(0, 3).Select(async silo => (run, events: await On(silo)
            .ReadStreamAsync(run)))));

        foreach (var run in runs)
        {
            var stored = await On(0).ReadStreamAsync(run);
            Assert.Equal("run.completed", stored[^1].Type);
            Assert.Equal(Enumerable.Range(1, stored.Count).Select(i => (long)i), stored.Select(e => e.Seq));
            Assert.All(seen.Where(s => s.run == run), s => Assert.Equal(stored.Select(e => e.Json.GetRawText()),
                s.events.Select(e => e.Json.GetRawText())));
        }
        // Orleans placed the runs' grains: more than one silo raced some of them.
        var racedOn = cluster.Silos.Select(s => runs.Count(run => s.ApiLogs.Any(line => line.Contains($"Run {run} started")))).ToList();
        Assert.Equal(20, racedOn.Sum());
        Assert.True(racedOn.Count(n => n > 0) >= 2, $"runs raced per silo: {string.Join(", ", racedOn)}");
    }
}
