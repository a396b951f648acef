using System.Buffers;
using System.Text.Json;
using LLMRace.Grains.Contracts;
using LLMRace.Grains.Storage;

namespace LLMRace.Grains.Engine;

/// <summary>Builds an event's wire JSON: {run_id, seq, ts, type, item_id, data}.</summary>
public static class RunEventFactory
{
    public static RunEvent Create(string runId, long seq, DateTime ts, string type, string? itemId, object? data)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("run_id", runId);
            writer.WriteNumber("seq", seq);
            writer.WriteString("ts", Clock.Text(ts));
            writer.WriteString("type", type);
            if (itemId is null) writer.WriteNull("item_id"); else writer.WriteString("item_id", itemId);
            writer.WritePropertyName("data");
            if (data is null) writer.WriteStartObject(); else JsonSerializer.Serialize(writer, data, data.GetType(), RaceJson.Options);
            if (data is null) writer.WriteEndObject();
            writer.WriteEndObject();
        }
        return new RunEvent(runId, seq, ts, type, itemId, System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
    }
}
