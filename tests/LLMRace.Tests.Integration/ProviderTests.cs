using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace LLMRace.Tests.Integration;

/// <summary>Every connection type races the Simulator over its real wire protocol, faults included.</summary>
public sealed class ProviderTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private readonly RaceClient _client = new(fixture.App.Api);
    private string Sim(string path = "") => new Uri(fixture.App.SimBase, path).ToString().TrimEnd('/');

    private async Task<string> ConnectionAsync(string type, string baseUrl, object? extra = null)
    {
        var body = new Dictionary<string, object?> { ["name"] = $"{type} test", ["type"] = type, ["base_url"] = baseUrl,
            ["max_retries"] = 1, ["max_concurrency"] = 8, ["timeout_s"] = 2 };
        if (extra is not null)
            foreach (var p in JsonSerializer.SerializeToElement(extra).EnumerateObject()) body[p.Name] = p.Value;
        return (await _client.PostAsync("/api/connections", body)).GetProperty("id").GetString()!;
    }

    private async Task<string> CarAsync(string connectionId, string name, string model) =>
        (await _client.PostAsync("/api/cars", new { name, connection_id = connectionId, model })).GetProperty("id").GetString()!;

    private async Task<(List<StreamedEvent> Events, Dictionary<string, JsonElement> ItemsByCar)> RaceAsync(string suite,
        IReadOnlyList<string> cars)
    {
        var run = (await _client.PostAsync("/api/runs", new { suite_id = suite, car_ids = cars,
            settings = new { concurrency = 8 } })).GetProperty("id").GetString()!;
        var events = await _client.ReadStreamAsync(run);
        Assert.Equal("run.completed", events[^1].Type);
        var items = (await _client.GetAsync($"/api/runs/{run}/items")).EnumerateArray()
            .ToDictionary(i => i.GetProperty("car_name").GetString()!);
        return (events, items);
    }

    [Theory]
    [InlineData("OPENAI_COMPAT", "/v1")]
    [InlineData("LLAMACPP_OPENAI", "")]
    [InlineData("OPENAI", "")]
    [InlineData("OPENROUTER", "")]
    [InlineData("OLLAMA", "")]
    [InlineData("ANTHROPIC", "")]
    [InlineData("SIMULATOR", "/v1/")]
    public async Task Each_connection_type_races_its_protocol_and_reports_usage(string type, string suffix)
    {
        var connection = await ConnectionAsync(type, Sim() + suffix, new { api_key = "sk-sim-key-0123456789" });
        var car = await CarAsync(connection, $"{type} echo", "echo?ttft_ms=30&itl_ms=3");
        var suite = await _client.SuiteAsync($"{type} protocol", ("Echo", "every protocol says the same words", "contains:same words"));

        var (events, items) = await RaceAsync(suite, [car]);

        var item = items[$"{type} echo"];
        Assert.Equal("passed", item.GetProperty("status").GetString());
        Assert.Equal("every protocol says the same words", item.GetProperty("output").GetString());
        var metrics = item.GetProperty("metrics");
        Assert.Equal(6, metrics.GetProperty("output_tokens").GetInt32());
        Assert.False(metrics.GetProperty("output_tokens_estimated").GetBoolean(), "the server's usage was read");
        Assert.True(metrics.GetProperty("input_tokens").GetInt32() > 0);
        // Causality, not speed: no content can be seen before the Simulator's 30 ms, nor the last before the first.
        Assert.True(metrics.GetProperty("ttft_ms").GetDouble() >= 30);
        Assert.True(metrics.GetProperty("e2e_ms").GetDouble() >= metrics.GetProperty("ttft_ms").GetDouble());
        Assert.Single(events, e => e.Type == "item.first_token");
        if (type == "OLLAMA") Assert.Equal(6, item.GetProperty("server_timings").GetProperty("eval_count").GetInt32());
        if (type == "LLAMACPP_OPENAI") Assert.Equal(6, item.GetProperty("server_timings").GetProperty("predicted_n").GetInt32());
    }

    [Theory]
    [InlineData("OPENAI_COMPAT")]
    [InlineData("OLLAMA")]
    [InlineData("ANTHROPIC")]
    public async Task Every_fault_ends_its_item_with_a_clear_verdict_and_the_run_goes_on(string type)
    {
        var connection = await ConnectionAsync(type, Sim());
        var keyed = await ConnectionAsync(type, Sim(), new { api_key = "sk-sim-key-0123456789" });
        var strict = await ConnectionAsync(type, Sim(), new { max_retries = 0, timeout_s = 5, headers_timeout_s = 1, total_timeout_s = 2 });
        const string prompt = "one two three four five six seven eight nine ten";
        var cars = new (string Name, string Connection, string Model)[]
        {
            ("ok", connection, "echo?ttft_ms=5&itl_ms=2"),
            ("status500", connection, "echo?fault=status:500"),
            ("status429", connection, "echo?fault=status:429"),
            ("disconnect", connection, "echo?itl_ms=2&fault=disconnect_after:3"),
            ("malformed", connection, "echo?itl_ms=2&fault=malformed_after:2"),
            ("hang", connection, "echo?fault=hang"),
            ("nokey", connection, "echo?fault=require_key"),
            ("withkey", keyed, "echo?ttft_ms=5&fault=require_key"),
            ("badhost", connection, "echo?fault=bad_host"),
            ("noheaders", strict, "echo?fault=stall_headers"),
            ("overtime", strict, "echo?ttft_ms=5&itl_ms=400"),
        };
        var ids = new List<string>();
        foreach (var c in cars) ids.Add(await CarAsync(c.Connection, $"{type}-{c.Name}", c.Model));
        var suite = await _client.SuiteAsync($"{type} faults", ("Echo", prompt, null));

        var (events, items) = await RaceAsync(suite, ids);
        JsonElement Item(string name) => items[$"{type}-{name}"];
        string Error(string name) => Item(name).GetProperty("error").GetString() ?? "";
        List<StreamedEvent> Retries(string name) => [.. events.Where(e => e.Type == "item.retry"
            && e.ItemId == Item(name).GetProperty("id").GetString())];

        Assert.Equal("passed", Item("ok").GetProperty("status").GetString());
        Assert.Equal("passed", Item("withkey").GetProperty("status").GetString());
        foreach (var name in new[] { "status500", "status429", "disconnect", "malformed", "hang", "nokey", "badhost", "noheaders",
            "overtime" })
            Assert.Equal("error", Item(name).GetProperty("status").GetString());

        Assert.StartsWith("HTTP 500", Error("status500"));
        Assert.Single(Retries("status500"));                        // max_retries 1: one retry, then the error
        Assert.StartsWith("HTTP 429", Error("status429"));
        var retry429 = Assert.Single(Retries("status429"));
        Assert.Equal(1000, retry429.Data.GetProperty("delay_ms").GetDouble(), 0); // Retry-After: 1 honoured
        Assert.Contains("429", retry429.Data.GetProperty("reason").GetString());

        // Mid-stream failures keep what arrived and are not retried: a retry would restart the clock.
        Assert.Empty(Retries("disconnect"));
        Assert.Equal("one two three", Item("disconnect").GetProperty("output").GetString());
        Assert.Empty(Retries("malformed"));
        Assert.Contains("not JSON", Error("malformed"));
        Assert.Contains("tru", Error("malformed"));                   // the first bytes are quoted

        Assert.Equal("no first token within 2 s", Error("hang"));
        Assert.StartsWith("HTTP 401", Error("nokey"));
        Assert.Empty(Retries("nokey"));
        Assert.StartsWith("HTTP 403", Error("badhost"));
        Assert.Contains("Invalid host header", Error("badhost"));
        Assert.Equal("no response headers within 1 s", Error("noheaders"));
        Assert.Equal("the item took longer than its total limit of 2 s (total_timeout_s)", Error("overtime"));
        var partial = Item("overtime").GetProperty("output").GetString()!;
        Assert.True(prompt.StartsWith(partial) && partial.Length > 0 && partial.Length < prompt.Length,
            $"the output up to the limit is kept: '{partial}'");
        Assert.All(events.Where(e => e.Type == "item.error"),
            e => Assert.False(string.IsNullOrEmpty(e.Data.GetProperty("message").GetString())));
    }

    [Fact]
    public async Task Concurrency_is_held_across_runs_on_one_connection()
    {
        var connection = await ConnectionAsync("OPENAI_COMPAT", Sim(), new { max_concurrency = 1 });
        var a = await CarAsync(connection, "lane a", "echo?ttft_ms=100&itl_ms=1");
        var b = await CarAsync(connection, "lane b", "echo?ttft_ms=100&itl_ms=1");
        var suite = await _client.SuiteAsync("One at a time", ("Echo", "hold the slot", null));

        var runA = (await _client.PostAsync("/api/runs", new { suite_id = suite, car_ids = new[] { a } })).GetProperty("id").GetString()!;
        var runB = (await _client.PostAsync("/api/runs", new { suite_id = suite, car_ids = new[] { b } })).GetProperty("id").GetString()!;
        await _client.ReadStreamAsync(runA);
        await _client.ReadStreamAsync(runB);

        var itemA = (await _client.GetAsync($"/api/runs/{runA}/items"))[0];
        var itemB = (await _client.GetAsync($"/api/runs/{runB}/items"))[0];
        // As the Simulator saw them: the second request arrived only after the first one's last chunk was written.
        var truths = new List<(DateTime Arrived, double LastChunkMs)>();
        foreach (var item in new[] { itemA, itemB })
        {
            var id = item.GetProperty("metrics").GetProperty("server_request_id").GetString();
            var truth = JsonDocument.Parse(await fixture.App.Api.GetStringAsync(new Uri(fixture.App.SimBase,
                $"/sim/requests/{id}"))).RootElement;
            truths.Add((truth.GetProperty("arrivedUtc").GetDateTime(),
                truth.GetProperty("chunkWrittenMs").EnumerateArray().Last().GetDouble()));
        }
        truths.Sort();
        Assert.True(truths[1].Arrived >= truths[0].Arrived.AddMilliseconds(truths[0].LastChunkMs),
            $"one request at a time: the second arrived at {truths[1].Arrived:O}, the first's last chunk at " +
                $"{truths[0].Arrived.AddMilliseconds(truths[0].LastChunkMs):O}");
        Assert.True(new[] { itemA, itemB }.Max(i => i.GetProperty("metrics").GetProperty("queue_wait_ms").GetDouble()) > 0);
    }
}
