using System.Text.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;

namespace LLMRace.Tests.Integration;

/// <summary>The race hub: join a run with the last seq seen, receive every later event once.</summary>
[Collection(Browser.AppHostCollection.Name)]
public sealed class SignalRTests(Browser.BrowserApp fixture)
{
    private readonly RaceClient _client = new(fixture.App.Api);

    private async Task<HubConnection> ConnectAsync()
    {
        var hub = new HubConnectionBuilder().WithUrl(new Uri(fixture.App.ApiBase, "/hubs/race")).Build();
        await hub.StartAsync();
        return hub;
    }

    private static async Task<List<JsonElement>> JoinAsync(HubConnection hub, string runId, long afterSeq, Func<JsonElement,
        bool>? stopWhen = null)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var events = new List<JsonElement>();
        await foreach (var e in hub.StreamAsync<JsonElement>("Join", runId, afterSeq, cts.Token))
        {
            events.Add(e);
            if (stopWhen?.Invoke(e) == true) break;
        }
        return events;
    }

    [Fact]
    public async Task A_client_that_rejoins_mid_run_with_its_last_seq_gets_the_rest_once_in_order()
    {
        var suite = await _client.SuiteAsync("Hub race",
            ("One", string.Join(' ', Enumerable.Range(1, 40).Select(i => $"a{i}")), null),
            ("Two", string.Join(' ', Enumerable.Range(1, 40).Select(i => $"b{i}")), null));
        var car = await _client.CarAsync("Hub car", "echo?ttft_ms=20&itl_ms=10");
        var runId = await _client.StartRunAsync(suite, car);

        await using var first = await ConnectAsync();
        var before = await JoinAsync(first, runId, 0, e => e.GetProperty("seq").GetInt64() >= 25);
        await first.StopAsync();

        await using var second = await ConnectAsync();
        var after = await JoinAsync(second, runId, before[^1].GetProperty("seq").GetInt64());

        var all = before.Concat(after).ToList();
        Assert.Equal(Enumerable.Range(1, all.Count).Select(i => (long)i), all.Select(e => e.GetProperty("seq").GetInt64()));
        Assert.Equal("run.completed", all[^1].GetProperty("type").GetString());
        var sse = await _client.ReadStreamAsync(runId);
        // The same events as the SSE stream: equal once both are written by one serializer.
        Assert.Equal(sse.Select(e => JsonSerializer.Serialize(e.Json)), all.Select(e => JsonSerializer.Serialize(e)));
    }

    [Fact]
    public async Task Joining_an_unknown_run_is_an_error_naming_it()
    {
        await using var hub = await ConnectAsync();
        var e = await Assert.ThrowsAsync<HubException>(() => JoinAsync(hub, "run_ghost", 0));
        Assert.Contains("run 'run_ghost' does not exist", e.Message);
    }
}
