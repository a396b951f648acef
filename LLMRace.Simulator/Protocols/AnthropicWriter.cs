using System.Text.Json;

namespace LLMRace.Simulator.Protocols;

/// <summary>Anthropic /v1/messages: named SSE events from message_start to message_stop.</summary>
public sealed class AnthropicWriter(string model) : IProtocolWriter
{
    private readonly string _id = $"msg_sim{Guid.NewGuid():N}"[..28];

    public string StreamContentType => "text/event-stream";

    private static Task EventAsync(HttpContext http, string type, object data) =>
        Wire.WriteAsync(http, $"event: {type}\ndata: {JsonSerializer.Serialize(data)}\n\n");

    public async Task StartAsync(HttpContext http, SimPlan plan)
    {
        await EventAsync(http, "message_start", new
        {
            type = "message_start",
            message = new { id = _id, type = "message", role = "assistant", model, content = Array.Empty<object>(),
                stop_reason = (string?)null, stop_sequence = (string?)null, usage = new { input_tokens = plan.PromptTokens,
                output_tokens = 1 } },
        });
        await EventAsync(http, "content_block_start", new
        {
            type = "content_block_start", index = 0,
            content_block = plan.ToolCall is { } call ? (object)new { type = "tool_use", id = call.Id, name = call.Name,
                input = new { } } : new { type = "text", text = "" },
        });
        await EventAsync(http, "ping", new { type = "ping" });
    }

    public Task ChunkAsync(HttpContext http, SimPlan plan, int index, string chunk) => EventAsync(http, "content_block_delta", new
    {
        type = "content_block_delta", index = 0,
        delta = plan.ToolCall is null ? (object)new { type = "text_delta", text = chunk } : new { type = "input_json_delta",
            partial_json = chunk },
    });

    public async Task EndAsync(HttpContext http, SimPlan plan, SimBehaviour behaviour)
    {
        await EventAsync(http, "content_block_stop", new { type = "content_block_stop", index = 0 });
        await EventAsync(http, "message_delta", new
        {
            type = "message_delta",
            delta = new { stop_reason = plan.ToolCall is null ? "end_turn" : "tool_use", stop_sequence = (string?)null },
            usage = new { output_tokens = plan.Tokens.Count },
        });
        await EventAsync(http, "message_stop", new { type = "message_stop" });
    }

    public Task MalformedAsync(HttpContext http) => Wire.WriteAsync(http,
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"text\":\"tru\n\n");

    public Task WholeAsync(HttpContext http, SimPlan plan, SimBehaviour behaviour) => http.Response.WriteAsJsonAsync(new
    {
        id = _id, type = "message", role = "assistant", model,
        content = plan.ToolCall is { } call
            ? new object[] { new { type = "tool_use", id = call.Id, name = call.Name,
                input = JsonDocument.Parse(call.Arguments).RootElement } }
            : [new { type = "text", text = string.Concat(plan.Tokens) }],
        stop_reason = plan.ToolCall is null ? "end_turn" : "tool_use",
        usage = new { input_tokens = plan.PromptTokens, output_tokens = plan.Tokens.Count },
    });

    public Task ErrorAsync(HttpContext http, int status, string message, string type)
    {
        http.Response.StatusCode = status;
        return http.Response.WriteAsJsonAsync(new { type = "error", error = new { type, message } });
    }
}
