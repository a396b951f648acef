using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using LLMRace.Tests.Integration.Stores;

namespace LLMRace.Bench;

/// <summary>
/// One silo against three, on one PostgreSQL store and one Redis, all on this machine: how many items a second the
/// cluster races (many runs at once, started across the silos), and how promptly each silo delivers live events of
/// runs raced anywhere in the cluster (streams of 1,000 tokens/s, an SSE subscriber of each run on every silo).
/// </summary>
public static class ClusterScenario
{
    public sealed record Result(int Silos, double ItemsPerSecond, int Items, double DeliveredTokensPerSecond, List<double> Lags, int Lost,
        int Duplicated);

    public static async Task<Result> RunAsync(int silos, string configuration, Uri simulator, int basePort, bool quick)
    {
        await using var postgres = await LocalPostgres.StartAsync(basePort);
        await using var redis = await LocalRedis.StartAsync(basePort + 1);
        var store = await postgres.CreateDatabaseAsync("llmrace");
        var servers = new List<Server>();
        try
        {
            for (var i = 0; i < silos; i++)
                servers.Add(await Server.StartAsync("LLMRace.Api", configuration, new Dictionary<string, string>
                {
                    ["ConnectionStrings__llmrace-db"] = store, ["ConnectionStrings__llmrace-redis"] = redis.ConnectionString,
                    ["LLMRACE_SECRET_KEY"] = "bench", ["LLMRACE_SILO_ADDRESS"] = "127.0.0.1", ["LLMRACE_SILO_PORT"] = $"{basePort + 10 + i}",
                    ["LLMRACE_SIMULATOR_URL"] = simulator.ToString(),
                    // As the AppHost runs a cluster's silos: with inline socket completions, a database read continued on the
                    // socket engine's thread stalls every socket of the silo (docs/SCALING.md).
                    ["DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS"] = "0",
                }));
            var clients = servers.Select(s => new HttpClient { BaseAddress = s.Address, Timeout = TimeSpan.FromMinutes(10) }).ToList();
            var connection = await PostAsync(clients[0], "/api/connections", new { name = "bench", type = "OPENAI_COMPAT",
                base_url = simulator.ToString(), max_concurrency = 256, timeout_s = 600, max_retries = 0 });

            // Warm-up: every silo races a little first (JIT, connections), as the other scenarios do.
            await RaceManyAsync(clients, connection, "instant?tokens=16", runs: 2 * silos, itemsPerRun: 20);
            var runs = quick ? 12 : 24;
            var started = Stopwatch.GetTimestamp();
            var items = await RaceManyAsync(clients, connection, "instant?tokens=16", runs, itemsPerRun: 50);
            var itemsPerSecond = items / Stopwatch.GetElapsedTime(started).TotalSeconds;

            // Live delivery: ten runs streaming 1,000 tokens/s each, started across the silos, each read on every silo.
            var seconds = quick ? 2 : 4;
            var car = await PostAsync(clients[0], "/api/cars", new { name = "live", connection_id = connection,
                model = $"instant?ttft_ms=1500&itl_ms=1&tokens={seconds * 1000}" });
            var suite = await PostAsync(clients[0], "/api/suites", new { name = $"live {Guid.NewGuid():N}", tests = new[] { new {
                order_index = 1, name = "t", user_prompt = "p" } } });
            var liveRuns = await Task.WhenAll(Enumerable.Range(0, 10).Select(i => PostAsync(clients[i % silos], "/api/runs", new {
                suite_id = suite, car_ids = new[] { car }, settings = new { concurrency = 1, repeats = 1 } })));
            var received = await Task.WhenAll(liveRuns.SelectMany(run => clients.Select(c => Task.Run(() => Received.SseAsync(c, run)))));
            return new Result(silos, itemsPerSecond, items, received.Average(r => r.ChunksPerSecond) * liveRuns.Length,
                [.. received.SelectMany(r => r.Lags)], received.Sum(r => r.Lost), received.Sum(r => r.Duplicated));
        }
        finally
        {
            foreach (var server in servers) await server.DisposeAsync();
        }
    }

    /// <summary>Starts the runs round-robin across the silos, all at once, and reads each to its end on another silo.</summary>
    private static async Task<int> RaceManyAsync(List<HttpClient> clients, string connection, string model, int runs, int itemsPerRun)
    {
        var car = await PostAsync(clients[0], "/api/cars", new { name = model, connection_id = connection, model });
        var suite = await PostAsync(clients[0], "/api/suites", new { name = $"cluster {Guid.NewGuid():N}", tests = new[] { new {
            order_index = 1, name = "t", user_prompt = "p" } } });
        var ids = await Task.WhenAll(Enumerable.Range(0, runs).Select(i => PostAsync(clients[i % clients.Count], "/api/runs", new {
            suite_id = suite, car_ids = new[] { car }, settings = new { concurrency = 8, repeats = itemsPerRun } })));
        await Task.WhenAll(ids.Select((run, i) => Received.SseAsync(clients[(i + 1) % clients.Count], run)));
        return runs * itemsPerRun;
    }

    private static async Task<string> PostAsync(HttpClient http, string path, object body)
    {
        using var response = await http.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"POST {path}: {text}");
        return JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!;
    }
}
