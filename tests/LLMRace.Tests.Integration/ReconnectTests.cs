using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;

namespace LLMRace.Tests.Integration;

/// <summary>Clients that drop and come back a hundred times during a long run assemble exactly the stored log.</summary>
[Collection(Browser.AppHostCollection.Name)]
public sealed class ReconnectTests(Browser.BrowserApp fixture)
{
    private readonly RaceClient _client = new(fixture.App.Api);

    [Fact]
    public async Task A_hundred_random_disconnects_of_sse_and_signalr_clients_lose_and_repeat_nothing()
    {
        var prompt = string.Join(' ', Enumerable.Range(1, 150).Select(i => $"w{i}"));
        var suite = await _client.SuiteAsync("Marathon reconnects", [.. Enumerable.Range(1, 8).Select(i => ($"Leg {i}", prompt,
            (string?)null))]);
        var a = await _client.CarAsync("Reconnect A", "echo?ttft_ms=5&itl_ms=4");
        var b = await _client.CarAsync("Reconnect B", "echo?ttft_ms=5&itl_ms=6");
        var runId = (await _client.PostAsync("/api/runs", new { suite_id = suite, car_ids = new[] { a, b },
            settings = new { concurrency = 2 } })).GetProperty("id").GetString()!;

        var sse = Task.Run(async () =>
        {
            var random = new Random(1);
            var received = new List<string>();
            long? last = null;
            for (var drops = 0; ; drops++)
            {
                var take = drops < 50 ? random.Next(1, 25) : int.MaxValue;
                var part = await _client.ReadStreamAsync(runId, last, stopWhen: e => --take <= 0);
                received.AddRange(part.Select(e => e.Json.GetRawText()));
                if (part.Count > 0) last = part[^1].Seq;
                if (part.Count > 0 && part[^1].Type == "run.completed") return (received, drops);
            }
        });

        var signalR = Task.Run(async () =>
        {
            var random = new Random(2);
            var received = new List<string>();
            long last = 0;
            for (var drops = 0; ; drops++)
            {
                await using var hub = new HubConnectionBuilder().WithUrl(new Uri(fixture.App.ApiBase, "/hubs/race")).Build();
                await hub.StartAsync();
                var take = drops < 50 ? random.Next(1, 25) : int.MaxValue;
                using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
                await foreach (var e in hub.StreamAsync<JsonElement>("Join", runId, last, cts.Token))
                {
                    received.Add(JsonSerializer.Serialize(e));
                    last = e.GetProperty("seq").GetInt64();
                    if (e.GetProperty("type").GetString() == "run.completed") return (received, drops);
                    if (--take <= 0) break;
                }
            }
        });

        var (sseEvents, sseDrops) = await sse;
        var (hubEvents, hubDrops) = await signalR;
        var stored = await _client.ReadStreamAsync(runId);

        Assert.True(sseDrops + hubDrops >= 100, $"{sseDrops} SSE and {hubDrops} SignalR reconnects");
        // Deltas that arrive while a batch commits share one event, so the event count varies with load; the chunks
        // (each keeps its own t_ms) do not: 2 cars × 8 legs × 150 words.
        var chunks = stored.Where(e => e.Type == "item.delta").Sum(e => e.Data.GetProperty("t_ms").GetArrayLength());
        Assert.True(chunks >= 2400, $"a long run: {chunks} chunks in {stored.Count} events");
        Assert.Equal(stored.Select(e => e.Json.GetRawText()), sseEvents);
        Assert.Equal(stored.Select(e => JsonSerializer.Serialize(e.Json)), hubEvents);
    }
}
