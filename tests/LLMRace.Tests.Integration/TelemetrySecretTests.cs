using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;

namespace LLMRace.Tests.Integration;

/// <summary>The telemetry the Api exports (OTLP traces, metrics and logs) never carries an API key.</summary>
public sealed class TelemetrySecretTests : IDisposable
{
    private readonly string _dataDir = Directory.CreateTempSubdirectory("llmrace-otlp-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dataDir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Exported_traces_metrics_and_logs_hold_no_key()
    {
        // A stand-in OTLP/HTTP collector on loopback that keeps every payload it is sent.
        var port = 19000 + Random.Shared.Next(1000);
        using var collector = new HttpListener();
        collector.Prefixes.Add($"http://127.0.0.1:{port}/");
        collector.Start();
        var payloads = new ConcurrentBag<(string Path, byte[] Body)>();
        var signals = new ConcurrentDictionary<string, int>();
        var armed = 0;
        var allExported = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = Task.Run(async () =>
        {
            while (collector.IsListening)
            {
                HttpListenerContext context;
                try { context = await collector.GetContextAsync(); } catch (HttpListenerException) { return; } catch (ObjectDisposedException) { return; }
                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                payloads.Add((context.Request.Url!.AbsolutePath, body.ToArray()));
                // Once armed (after the race), wait for a fresh export of each signal.
                if (Volatile.Read(ref armed) == 1) signals.AddOrUpdate(context.Request.Url.AbsolutePath, 1, (_, n) => n + 1);
                if (signals.ContainsKey("/v1/traces") && signals.ContainsKey("/v1/metrics") && signals.ContainsKey("/v1/logs")) allExported.TrySetResult();
                context.Response.StatusCode = 200;
                context.Response.Close();
            }
        });

        var simAssembly = StandaloneApi.BuiltAssembly.Replace("LLMRace.Api", "LLMRace.Simulator");
        await using var sim = await StandaloneApi.StartAsync(Path.Combine(_dataDir, "sim"), new Dictionary<string, string>(), simAssembly);
        await using var api = await StandaloneApi.StartAsync(_dataDir, new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = $"http://127.0.0.1:{port}",
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_BLRP_SCHEDULE_DELAY"] = "200",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "200",
            ["Logging__LogLevel__Default"] = "Debug",
        });
        var client = new RaceClient(new HttpClient { BaseAddress = api.Address });
        const string key = "sk-otlp-SECRET-5f2c9a7e1b";
        var connection = (await client.PostAsync("/api/connections", new { name = "otlp", type = "OPENAI_COMPAT", base_url = sim.Address.ToString(), api_key = key })).GetProperty("id").GetString()!;
        var good = (await client.PostAsync("/api/cars", new { name = "keyed", connection_id = connection, model = "echo?ttft_ms=1&itl_ms=1&fault=require_key" })).GetProperty("id").GetString()!;
        var bad = (await client.PostAsync("/api/cars", new { name = "failing", connection_id = connection, model = "echo?fault=status:401" })).GetProperty("id").GetString()!;
        var suite = await client.SuiteAsync("Telemetry", ("Echo", "nothing secret here", null));
        var run = await client.StartRunAsync(suite, good, bad);
        await client.ReadStreamAsync(run);
        await client.PostAsync($"/api/connections/{connection}/verify", new { });

        // Then one more thing to trace and log, and wait until traces, metrics and logs have all been exported after it.
        Volatile.Write(ref armed, 1);
        await client.GetAsync($"/api/runs/{run}/items");
        await allExported.Task.WaitAsync(TimeSpan.FromSeconds(30));

        var keyBytes = System.Text.Encoding.UTF8.GetBytes(key);
        Assert.All(payloads, p => Assert.True(p.Body.AsSpan().IndexOf(keyBytes) < 0, $"{p.Path} carried the key"));
        Assert.Contains(payloads, p => p.Path == "/v1/metrics" && p.Body.AsSpan().IndexOf("gen_ai.server.time_to_first_token"u8) >= 0);
        collector.Stop();
    }
}
