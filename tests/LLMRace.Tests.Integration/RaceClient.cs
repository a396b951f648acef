using System.Net.Http.Json;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LLMRace.Tests.Integration;

public sealed record StreamedEvent(long Seq, string EventType, string? SseId, JsonElement Json)
{
    public string Type => Json.GetProperty("type").GetString()!;
    public string? ItemId => Json.GetProperty("item_id").GetString();
    public JsonElement Data => Json.GetProperty("data");
}

/// <summary>What a user of the API does: create things, start runs, read their streams.</summary>
public sealed class RaceClient(HttpClient http)
{
    public HttpClient Http => http;

    public async Task<JsonElement> PostAsync(string path, object body)
    {
        using var response = await http.PostAsJsonAsync(path, body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"POST {path} -> {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public async Task<JsonElement> GetAsync(string path)
    {
        using var response = await http.GetAsync(path);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"GET {path} -> {(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    public async Task<string> SimulatorConnectionAsync() =>
        (await GetAsync("/api/connections")).EnumerateArray().First(c => c.GetProperty("type").GetString() == "SIMULATOR")
            .GetProperty("id").GetString()!;

    public async Task<string> CarAsync(string name, string model)
    {
        var car = await PostAsync("/api/cars", new { name, connection_id = await SimulatorConnectionAsync(), model });
        return car.GetProperty("id").GetString()!;
    }

    public async Task<string> SuiteAsync(string name, params (string Name, string Prompt, string? Constraints)[] tests)
    {
        var suite = await PostAsync("/api/suites", new
        {
            name,
            category = "test",
            description = "made by a test",
            tests = tests.Select((t, i) => new { order_index = i + 1, name = t.Name, system_prompt = (string?)null, user_prompt = t.Prompt,
                expected_constraints = t.Constraints, tools_schema_json = (string?)null }),
        });
        return suite.GetProperty("id").GetString()!;
    }

    public async Task<string> StartRunAsync(string suiteId, params string[] carIds) =>
        (await PostAsync("/api/runs", new { suite_id = suiteId, car_ids = carIds })).GetProperty("id").GetString()!;

    /// <summary>Starts a run and reads its stream to the end: the run has finished when this returns.</summary>
    public async Task<string> RaceToEndAsync(string suiteId, params string[] carIds)
    {
        var run = await StartRunAsync(suiteId, carIds);
        await ReadStreamAsync(run);
        return run;
    }

    /// <summary>Races one prompt with one car to the finish and returns the item's row.</summary>
    public async Task<JsonElement> RaceOneItemAsync(string model, string prompt, string? constraints, string? connectionId = null)
    {
        connectionId ??= await SimulatorConnectionAsync();
        var car = (await PostAsync("/api/cars", new { name = "bounded", connection_id = connectionId,
            model })).GetProperty("id").GetString()!;
        var suite = await SuiteAsync("Bounded", ("Bound", prompt, constraints));
        var run = await StartRunAsync(suite, car);
        var events = await ReadStreamAsync(run);
        Assert.Equal("run.completed", events[^1].Type);
        return (await GetAsync($"/api/runs/{run}/items"))[0];
    }

    /// <summary>Reads the run's SSE stream; stops at the terminal event, or when <paramref name="stopWhen"/> says so.</summary>
    public async Task<List<StreamedEvent>> ReadStreamAsync(string runId, long? lastEventId = null, Func<StreamedEvent,
        bool>? stopWhen = null, TimeSpan? limit = null)
    {
        using var cts = new CancellationTokenSource(limit ?? TimeSpan.FromMinutes(2));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/runs/{runId}/stream");
        if (lastEventId is { } id) request.Headers.Add("Last-Event-ID", id.ToString());
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cts.Token);
        response.EnsureSuccessStatusCode();
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        await using var body = await response.Content.ReadAsStreamAsync(cts.Token);
        var events = new List<StreamedEvent>();
        await foreach (var item in SseParser.Create(body).EnumerateAsync(cts.Token))
        {
            var json = JsonDocument.Parse(item.Data).RootElement.Clone();
            var e = new StreamedEvent(json.GetProperty("seq").GetInt64(), item.EventType, item.EventId, json);
            events.Add(e);
            if (stopWhen?.Invoke(e) == true) break;
        }
        return events;
    }
}
