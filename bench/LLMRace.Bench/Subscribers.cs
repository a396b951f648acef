using System.Text.Json;
using Microsoft.AspNetCore.SignalR.Client;

namespace LLMRace.Bench;

/// <summary>What one live subscriber of a run received.</summary>
public sealed class Received(string transport)
{
    public string Transport => transport;
    public List<long> Seqs { get; } = [];
    /// <summary>Per chunk: ms from its read off the provider (the event's ts plus the chunk's offset) to its arrival here.</summary>
    public List<double> Lags { get; } = [];
    public int Chunks { get; private set; }
    /// <summary>When the first and the last chunk were read off the provider (the event's ts plus the chunk's offset).</summary>
    public DateTime? FirstRead { get; private set; }
    public DateTime? LastRead { get; private set; }

    /// <summary>The rate at which the Api took the chunks this subscriber received from the providers.</summary>
    public double ChunksPerSecond => FirstRead is { } f && LastRead is { } l && l > f ? Chunks / (l - f).TotalSeconds : 0;
    public int Lost => Seqs.Count == 0 ? 0 : (int)(Seqs.Max() - Seqs.Distinct().Count());
    public int Duplicated => Seqs.Count - Seqs.Distinct().Count();

    /// <summary>Takes one event; true when it ends the run.</summary>
    public bool Take(JsonElement e, DateTime now)
    {
        Seqs.Add(e.GetProperty("seq").GetInt64());
        var type = e.GetProperty("type").GetString();
        if (type == "item.delta")
        {
            var ts = e.GetProperty("ts").GetDateTime().ToUniversalTime();
            var times = e.GetProperty("data").GetProperty("t_ms");
            var t0 = times[0].GetDouble();
            foreach (var t in times.EnumerateArray())
            {
                var read = ts.AddMilliseconds(t.GetDouble() - t0);
                Lags.Add((now - read).TotalMilliseconds);
                if (FirstRead is null || read < FirstRead) FirstRead = read;
                if (LastRead is null || read > LastRead) LastRead = read;
                Chunks++;
            }
        }
        return type is "run.completed" or "run.failed" or "run.cancelled";
    }

    public static async Task<Received> SseAsync(HttpClient http, string runId)
    {
        var received = new Received("sse");
        using var stream = await http.GetStreamAsync($"/api/runs/{runId}/stream");
        using var reader = new StreamReader(stream);
        while (await reader.ReadLineAsync() is { } line)
        {
            if (!line.StartsWith("data: ")) continue;
            var now = DateTime.UtcNow;
            using var doc = JsonDocument.Parse(line.AsMemory(6));
            if (received.Take(doc.RootElement, now)) break;
        }
        return received;
    }

    public static async Task<Received> SignalRAsync(Uri api, string runId)
    {
        var received = new Received("signalr");
        await using var hub = new HubConnectionBuilder().WithUrl(new Uri(api, "/hubs/race")).Build();
        await hub.StartAsync();
        await foreach (var e in hub.StreamAsync<JsonElement>("Join", runId, 0L))
            if (received.Take(e, DateTime.UtcNow)) break;
        return received;
    }
}
