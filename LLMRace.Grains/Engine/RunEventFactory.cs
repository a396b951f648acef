using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization;
using LLMRace.Grains.Contracts;
using LLMRace.Grains.Storage;

namespace LLMRace.Grains.Engine;

/// <summary>Builds an event's wire JSON: {run_id, seq, ts, type, item_id, data}.</summary>
public static class RunEventFactory
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = RaceJson.Options.Encoder };

    // Each thread writes its events into one buffer of its own, kept between events: a new one grown from 256 bytes for
    // each of a load test's thousands of request summaries a second was a tenth of all the Api allocated.
    [ThreadStatic] private static ArrayBufferWriter<byte>? _buffer;
    [ThreadStatic] private static Utf8JsonWriter? _writer;
    private const int KeptBufferBytes = 64 * 1024;

    public static RunEvent Create(string runId, long seq, DateTime ts, string type, string? itemId, object? data)
    {
        var buffer = _buffer ??= new ArrayBufferWriter<byte>(4096);
        buffer.ResetWrittenCount();
        // The writer's encoder, not the serializer options', decides the escaping: the same as every other JSON of
        // LLMRace (a quote stays \", non-ASCII text stays as it is, not \uXXXX at three times the bytes).
        var writer = _writer ??= new Utf8JsonWriter(buffer, WriterOptions);
        writer.Reset(buffer);
        try
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
            writer.Flush();
            return new RunEvent(runId, seq, ts, type, itemId, System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan));
        }
        finally
        {
            // One large event (a long answer's delta) does not keep its buffer for the thread's life.
            if (buffer.Capacity > KeptBufferBytes) (_buffer, _writer) = (null, null);
        }
    }

    /// <summary>
    /// An <c>item.delta</c>: <c>{kind, text, t_ms: [..], len: [..]}</c>, one or more chunks of one item; chunk i is
    /// <c>len[i]</c> UTF-16 code units of <c>text</c>, read <c>t_ms[i]</c> ms after the item's t0.
    /// </summary>
    public static RunEvent CreateDelta(string runId, long seq, DateTime ts, string itemId, string kind, string text,
        IReadOnlyList<double> tMs, IReadOnlyList<int> lengths) =>
        Create(runId, seq, ts, EventTypes.ItemDelta, itemId, new DeltaData(kind, text, tMs, lengths));

    private sealed record DeltaData(
        [property: JsonPropertyName("kind")] string Kind,
        [property: JsonPropertyName("text")] string Text,
        [property: JsonPropertyName("t_ms")] IReadOnlyList<double> TMs,
        [property: JsonPropertyName("len")] IReadOnlyList<int> Len);
}
