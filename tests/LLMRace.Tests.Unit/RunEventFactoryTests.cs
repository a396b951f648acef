using System.Text.Json;
using LLMRace.Grains.Contracts;
using LLMRace.Grains.Engine;

namespace LLMRace.Tests.Unit;

/// <summary>Events are written into a buffer each thread keeps: nothing of one event may show in the next.</summary>
public sealed class RunEventFactoryTests
{
    [Fact]
    public void Each_event_is_whole_and_its_own_after_a_longer_or_a_failed_one()
    {
        var ts = new DateTime(2026, 12, 3, 0, 0, 0, DateTimeKind.Utc);
        var longText = new string('x', 100_000);
        var events = new List<RunEvent>
        {
            RunEventFactory.Create("run-1", 1, ts, EventTypes.ItemCompleted, "item-1", new { text = longText }),
            RunEventFactory.Create("run-1", 2, ts, EventTypes.ItemCompleted, "item-2", new { text = "short" }),
        };
        Assert.ThrowsAny<Exception>(() => RunEventFactory.Create("run-1", 3, ts, EventTypes.ItemCompleted, null, new Unwritable()));
        events.Add(RunEventFactory.Create("run-1", 4, ts, EventTypes.ItemCompleted, null, null));
        events.Add(RunEventFactory.Create("run-1", 5, ts, EventTypes.ItemCompleted, "item-5", new { text = "naïve \"quoted\"" }));

        var parsed = events.Select(e => JsonDocument.Parse(e.Json).RootElement).ToList();
        Assert.Equal([1, 2, 4, 5], parsed.Select(p => p.GetProperty("seq").GetInt64()));
        Assert.Equal(longText, parsed[0].GetProperty("data").GetProperty("text").GetString());
        Assert.Equal("short", parsed[1].GetProperty("data").GetProperty("text").GetString());
        Assert.Equal(JsonValueKind.Null, parsed[2].GetProperty("item_id").ValueKind);
        Assert.Empty(parsed[2].GetProperty("data").EnumerateObject());
        Assert.Contains("naïve \\\"quoted\\\"", events[3].Json);
    }

    private sealed class Unwritable
    {
        public string Text => throw new InvalidOperationException("no");
    }
}
