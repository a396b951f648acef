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
        await using var collector = await OtlpCollector.StartAsync();
        var sim = await SharedSimulator.AddressAsync();
        await using var api = await StandaloneApi.StartAsync(_dataDir, new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = collector.Address.ToString().TrimEnd('/'),
            ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
            ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
            ["OTEL_BLRP_SCHEDULE_DELAY"] = "200",
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "200",
            ["Logging__LogLevel__Default"] = "Debug",
        });
        var client = new RaceClient(new HttpClient { BaseAddress = api.Address });
        const string key = "sk-otlp-SECRET-5f2c9a7e1b";
        var connection = (await client.PostAsync("/api/connections", new { name = "otlp", type = "OPENAI_COMPAT", base_url = sim.ToString(),
            api_key = key })).GetProperty("id").GetString()!;
        var good = (await client.PostAsync("/api/cars", new { name = "keyed", connection_id = connection,
            model = "echo?ttft_ms=1&itl_ms=1&fault=require_key" })).GetProperty("id").GetString()!;
        var bad = (await client.PostAsync("/api/cars", new { name = "failing", connection_id = connection,
            model = "echo?fault=status:401" })).GetProperty("id").GetString()!;
        var suite = await client.SuiteAsync("Telemetry", ("Echo", "nothing secret here", null));
        var run = await client.RaceToEndAsync(suite, good, bad);

        await client.PostAsync($"/api/connections/{connection}/verify", new { });

        // Wait for what the race and the verify (both send the key) are sure to export: the TTFT metric, the verify's
        // outgoing request in a span, and the log record of the item the server refused (its error is the server's answer).
        var models = $"{sim.ToString().TrimEnd('/')}/v1/models";
        var timeout = TimeSpan.FromSeconds(30);
        await collector.WaitForAsync("/v1/metrics", "gen_ai.server.time_to_first_token", timeout);
        await collector.WaitForAsync("/v1/traces", models, timeout);
        await collector.WaitForAsync("/v1/logs", "(failing) failed", timeout);

        var keyBytes = System.Text.Encoding.UTF8.GetBytes(key);
        var payloads = collector.Payloads;
        Assert.All(payloads, p => Assert.True(p.Body.AsSpan().IndexOf(keyBytes) < 0, $"{p.Path} carried the key"));
    }
}
