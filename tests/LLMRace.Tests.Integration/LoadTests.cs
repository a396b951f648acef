
namespace LLMRace.Tests.Integration;

/// <summary>Fifty runs at once, twenty SSE subscribers each: every subscriber gets every event, and the Api keeps answering.</summary>
public sealed class LoadTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private readonly RaceClient _client = new(fixture.App.Api);

    [Fact]
    public async Task Fifty_concurrent_runs_with_twenty_subscribers_each_all_complete_and_health_answers_throughout()
    {
        const int Runs = 50, Subscribers = 20;
        var suite = await _client.SuiteAsync("Load", ("Echo", string.Join(' ', Enumerable.Range(1, 20).Select(i => $"t{i}")), null));
        var connection = (await _client.PostAsync("/api/connections", new { name = "load", type = "OPENAI_COMPAT",
            base_url = fixture.App.SimBase.ToString(), max_concurrency = 16 })).GetProperty("id").GetString()!;
        var car = (await _client.PostAsync("/api/cars", new { name = "Load car", connection_id = connection,
            model = "echo?ttft_ms=5&itl_ms=5" })).GetProperty("id").GetString()!;

        using var stop = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        var health = Task.Run(async () =>
        {
            var answered = 0;
            while (!stop.IsCancellationRequested)
            {
                using var response = await _client.Http.GetAsync("/api/health");
                Assert.True(response.IsSuccessStatusCode, "/api/health answered during the load");
                answered++;
                await Task.Delay(100);
            }
            return answered;
        });

        var runIds = await Task.WhenAll(Enumerable.Range(0, Runs).Select(_ => _client.StartRunAsync(suite, car)));
        var deliveries = await Task.WhenAll(runIds.SelectMany(run => Enumerable.Range(0, Subscribers).Select(async _ =>
            (run, seqs: (await _client.ReadStreamAsync(run, limit: TimeSpan.FromMinutes(2))).Select(e => e.Seq).ToList()))));
        await stop.CancelAsync();
        var answered = await health;

        foreach (var group in deliveries.GroupBy(d => d.run))
        {
            var stored = (await _client.ReadStreamAsync(group.Key)).Select(e => e.Seq).ToList();
            Assert.Equal(Enumerable.Range(1, stored.Count).Select(i => (long)i), stored);
            Assert.All(group, d => Assert.Equal(stored, d.seqs));
            Assert.Equal("completed", (await _client.GetAsync($"/api/runs/{group.Key}")).GetProperty("status").GetString());
        }
        Assert.Equal(Runs * Subscribers, deliveries.Length);
        Assert.True(answered > 0, "health answered while the runs raced");
    }
}
