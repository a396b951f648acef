using System.Buffers;
using System.Text;
using System.Text.Json;

namespace LLMRace.Grains.Providers;

/// <summary>
/// One server-sent event's JSON, parsed from the bytes the SSE parser hands over without making a string of them first:
/// under a load test's thousands of chunks a second those strings were a sixth of all the Api allocated, and each
/// collection they cost holds every request of the step back. Dispose it: the bytes are rented.
/// </summary>
public readonly struct EventJson : IDisposable
{
    private readonly byte[] _bytes;
    private readonly JsonDocument _doc;

    private EventJson(byte[] bytes, JsonDocument doc)
    {
        _bytes = bytes;
        _doc = doc;
    }

    public JsonElement Root => _doc.RootElement;

    /// <param name="what">What the event is called in the error if it is not JSON ("a chunk", "an event").</param>
    public static EventJson Parse(ReadOnlySpan<byte> data, string what)
    {
        var bytes = ArrayPool<byte>.Shared.Rent(data.Length);
        data.CopyTo(bytes);
        try
        {
            return new EventJson(bytes, JsonDocument.Parse(bytes.AsMemory(0, data.Length)));
        }
        catch (JsonException)
        {
            ArrayPool<byte>.Shared.Return(bytes);
            throw new ProviderStreamException($"the server sent {what} that is not JSON: {Excerpt.Of(Encoding.UTF8.GetString(data))}");
        }
    }

    public void Dispose()
    {
        _doc.Dispose();
        ArrayPool<byte>.Shared.Return(_bytes);
    }
}
