using System.Text.Json;
using System.Text.Json.Nodes;

namespace LLMRace.Simulator;

public sealed record SimToolCall(string Id, string Name, string Arguments);

/// <summary>What the Simulator will answer: tokens of text, or a tool call whose arguments stream in fragments.</summary>
public sealed record SimPlan(IReadOnlyList<string> Tokens, SimToolCall? ToolCall, int PromptTokens)
{
    /// <summary>How many content chunks the answer streams as.</summary>
    public int ChunkCount => ToolCall is null ? Tokens.Count : Tokens.Count;

    public static SimPlan For(SimBehaviour behaviour, SimRequest request)
    {
        var promptTokens = TextGenerator.CountPromptTokens(request.Messages.Select(m => m.Text));
        if (behaviour.Reply is { } reply) return new SimPlan(TextGenerator.Split(reply), null, promptTokens);
        if (behaviour.Preset == "caller")
        {
            if (request.PendingToolResult is { } result)
                return new SimPlan(TextGenerator.Split($"The tool answered: {result.Text}"), null, promptTokens);
            if (request.Tools.Count > 0)
            {
                var tool = behaviour.CallTool is { } named ? request.Tools.FirstOrDefault(t => t.Name == named) ?? new SimTool(named,
                    null) : request.Tools[0];
                var arguments = ArgumentsFor(tool.Parameters).ToJsonString();
                // The arguments stream in a few fragments, as real servers send them.
                var fragments = Enumerable.Range(0, (arguments.Length + 5) / 6).Select(i => arguments.Substring(i * 6, Math.Min(6,
                    arguments.Length - i * 6))).ToList();
                return new SimPlan(fragments, new SimToolCall($"call_sim{Math.Abs(tool.Name.GetHashCode() % 100000)}", tool.Name,
                    arguments), promptTokens);
            }
        }
        return new SimPlan(TextGenerator.Tokens(behaviour, request.LastUserText), null, promptTokens);
    }

    /// <summary>Arguments that satisfy a JSON Schema's required properties, with plain values of each type.</summary>
    private static JsonObject ArgumentsFor(JsonObject? schema)
    {
        var args = new JsonObject();
        if (schema?["properties"] is not JsonObject properties) return args;
        var required = (schema["required"] as JsonArray)?.Select(r => r?.GetValue<string>()).ToHashSet()
            ?? [.. properties.Select(p => p.Key)];
        foreach (var (name, property) in properties)
        {
            if (!required.Contains(name)) continue;
            args[name] = (property?["enum"] as JsonArray)?.FirstOrDefault()?.DeepClone()
                ?? (property?["type"]?.GetValueKind() == JsonValueKind.String ? property["type"]!.GetValue<string>() : "string") switch
            {
                "number" => 1.5,
                "integer" => 1,
                "boolean" => true,
                "array" => new JsonArray(),
                "object" => new JsonObject(),
                _ => JsonValue.Create("Paris"),
            };
        }
        return args;
    }
}
