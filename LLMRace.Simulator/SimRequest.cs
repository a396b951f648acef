using System.Text.Json;
using System.Text.Json.Nodes;

namespace LLMRace.Simulator;

public sealed record SimMessage(string Role, string Text);

public sealed record SimTool(string Name, JsonObject? Parameters);

/// <summary>A chat request, whichever protocol it came in: what the Simulator needs to plan its answer.</summary>
public sealed record SimRequest(string Model, IReadOnlyList<SimMessage> Messages, IReadOnlyList<SimTool> Tools, bool Stream,
    bool IncludeUsage)
{
    public string LastUserText => Messages.LastOrDefault(m => m.Role == "user")?.Text ?? "";

    /// <summary>A tool result the model has not answered yet: a tool message after the last user message.</summary>
    public SimMessage? PendingToolResult
    {
        get
        {
            var lastUser = Messages.ToList().FindLastIndex(m => m.Role == "user");
            return Messages.Skip(lastUser + 1).LastOrDefault(m => m.Role == "tool");
        }
    }

    public static string Text(JsonNode? content) => content switch
    {
        null => "",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        // Content as blocks (OpenAI parts, Anthropic blocks): the text of each, and tool results' content.
        JsonArray parts => string.Concat(parts.Select(p => p?["text"] is { } t ? Text(t) : p?["content"] is { } c ? Text(c) : "")),
        _ => "",
    };

    /// <summary>OpenAI and Ollama: messages with role and content; tools as [{type:function, function:{name, parameters}}].</summary>
    public static SimRequest FromOpenAiShape(JsonObject body, bool streamByDefault)
    {
        var messages = (body["messages"] as JsonArray ?? [])
            .Select(m => new SimMessage(m?["role"]?.GetValue<string>() ?? "user", Text(m?["content"])))
            .ToList();
        var tools = (body["tools"] as JsonArray ?? [])
            .Select(t => t?["function"] is JsonObject fn ? new SimTool(fn["name"]?.GetValue<string>() ?? "tool",
                fn["parameters"] as JsonObject) : null)
            .OfType<SimTool>().ToList();
        var stream = body["stream"] is { } s ? s.GetValueKind() == JsonValueKind.True : streamByDefault;
        var usage = body["stream_options"]?["include_usage"]?.GetValueKind() == JsonValueKind.True;
        return new(body["model"]?.GetValue<string>() ?? "", messages, tools, stream, usage);
    }

    /// <summary>Anthropic: system apart, messages whose content may be blocks (tool_result blocks count as tool messages).</summary>
    public static SimRequest FromAnthropicShape(JsonObject body)
    {
        var messages = new List<SimMessage>();
        foreach (var m in body["messages"] as JsonArray ?? [])
        {
            var role = m?["role"]?.GetValue<string>() ?? "user";
            if (m?["content"] is JsonArray blocks && blocks.Any(b => b?["type"]?.GetValue<string>() == "tool_result"))
                messages.Add(new SimMessage("tool", Text(blocks)));
            else
                messages.Add(new SimMessage(role, Text(m?["content"])));
        }
        var tools = (body["tools"] as JsonArray ?? [])
            .Select(t => t is JsonObject o ? new SimTool(o["name"]?.GetValue<string>() ?? "tool", o["input_schema"] as JsonObject) : null)
            .OfType<SimTool>().ToList();
        return new(body["model"]?.GetValue<string>() ?? "", messages, tools, body["stream"]?.GetValueKind() == JsonValueKind.True, true);
    }
}
