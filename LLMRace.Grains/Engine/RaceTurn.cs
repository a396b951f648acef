using System.Text;
using System.Text.Json;
using LLMRace.Grains.Measurement;

namespace LLMRace.Grains.Engine;

/// <summary>One request of an item (a tool-calling item makes one per turn) and what it streamed.</summary>
public sealed class RaceTurn
{
    public StreamMeter Meter { get; } = new();
    public StringBuilder Text { get; } = new();
    public StringBuilder Reasoning { get; } = new();
    public ToolCallAssembler ToolCalls { get; } = new();
    public int? InputTokens { get; set; }
    public int? OutputTokens { get; set; }
    public string? FinishReason { get; set; }
    public JsonElement? ServerTimings { get; set; }
    public string? ServerRequestId { get; set; }
}
