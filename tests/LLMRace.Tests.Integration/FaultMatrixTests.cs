using System.Text.Json;

namespace LLMRace.Tests.Integration;

/// <summary>Every protocol against every fault, one test per cell: the run completes and the item ends with a clear verdict.</summary>
public sealed class FaultMatrixTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private readonly RaceClient _client = new(fixture.App.Api);

    public static TheoryData<string, string> Cells()
    {
        var cells = new TheoryData<string, string>();
        foreach (var protocol in new[] { "OPENAI_COMPAT", "OLLAMA", "ANTHROPIC" })
            foreach (var fault in new[] { "status:401", "status:403", "status:429", "status:500", "status:503", "bad_host", "require_key",
                "disconnect_after:3", "malformed_after:2", "hang", "refused" })
                cells.Add(protocol, fault);
        return cells;
    }

    [Theory]
    [MemberData(nameof(Cells))]
    public async Task The_run_completes_and_the_item_ends_with_a_verdict(string protocol, string fault)
    {
        // A refused connection: a port nothing listens on. Every other fault: the Simulator, told by the model name.
        var baseUrl = fault == "refused" ? "http://127.0.0.1:9" : fixture.App.SimBase.ToString();
        var connection = (await _client.PostAsync("/api/connections", new { name = $"{protocol} {fault}", type = protocol,
            base_url = baseUrl, max_retries = 1, timeout_s = 2 })).GetProperty("id").GetString()!;
        var model = fault == "refused" ? "echo" : $"echo?ttft_ms=5&itl_ms=20&fault={fault}";
        var car = (await _client.PostAsync("/api/cars", new { name = $"{protocol} {fault}", connection_id = connection,
            model })).GetProperty("id").GetString()!;
        var suite = await _client.SuiteAsync($"Fault {protocol} {fault}", ("Echo", "one two three four five six", null));

        var run = await _client.StartRunAsync(suite, car);
        var events = await _client.ReadStreamAsync(run);

        Assert.Equal("run.completed", events[^1].Type);
        var item = (await _client.GetAsync($"/api/runs/{run}/items"))[0];
        Assert.Equal("error", item.GetProperty("status").GetString());
        var error = item.GetProperty("error").GetString()!;
        var retries = events.Where(e => e.Type == "item.retry").Select(e => e.Data).ToList();
        var firstToken = events.Any(e => e.Type == "item.first_token");

        switch (fault)
        {
            case "status:401" or "require_key":
                Assert.StartsWith("HTTP 401", error);
                Assert.Empty(retries);                                   // not worth retrying
                break;
            case "status:403" or "bad_host":
                Assert.StartsWith("HTTP 403", error);
                Assert.Empty(retries);
                break;
            case "status:429":
                Assert.StartsWith("HTTP 429", error);
                Assert.Equal(1000, Assert.Single(retries).GetProperty("delay_ms").GetDouble(), 0); // Retry-After: 1
                break;
            case "status:500" or "status:503":
                Assert.StartsWith($"HTTP {fault[7..]}", error);
                Assert.Single(retries);                                  // max_retries 1
                break;
            case "disconnect_after:3":
                Assert.True(firstToken);
                Assert.Empty(retries);                                   // never after the first token
                Assert.Equal("one two three", item.GetProperty("output").GetString());
                break;
            case "malformed_after:2":
                Assert.True(firstToken);
                Assert.Empty(retries);
                Assert.Contains("tru", error);                           // the bad bytes are quoted
                break;
            case "hang":
                Assert.Equal("no first token within 2 s", error);       // the configured limit, per attempt
                Assert.Single(retries);
                var took = DateTime.Parse(item.GetProperty("finished_at").GetString()!)
                    - DateTime.Parse(item.GetProperty("started_at").GetString()!);
                Assert.True(took.TotalSeconds >= 4, $"two attempts of 2 s each took {took.TotalSeconds:0.0} s");
                break;
            case "refused":
                Assert.StartsWith("cannot reach the server", error);
                Assert.Single(retries);
                break;
        }
        Assert.All(retries, r => Assert.False(string.IsNullOrEmpty(r.GetProperty("reason").GetString())));
    }
}
