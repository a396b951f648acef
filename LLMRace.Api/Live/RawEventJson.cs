using System.Text.Json;
using System.Text.Json.Serialization;

namespace LLMRace.Api.Live;

/// <summary>
/// An event's wire JSON as the hub sends it: written as it is, so a run watched by many clients is not parsed
/// and re-serialised once per client and event.
/// </summary>
[JsonConverter(typeof(RawEventJsonConverter))]
public sealed record RawEventJson(string Json);

public sealed class RawEventJsonConverter : JsonConverter<RawEventJson>
{
    public override RawEventJson Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        using var doc = JsonDocument.ParseValue(ref reader);
        return new RawEventJson(doc.RootElement.GetRawText());
    }

    // The JSON was made by RunEventFactory's writer and is valid by construction.
    public override void Write(Utf8JsonWriter writer, RawEventJson value, JsonSerializerOptions options) =>
        writer.WriteRawValue(value.Json, skipInputValidation: true);
}
