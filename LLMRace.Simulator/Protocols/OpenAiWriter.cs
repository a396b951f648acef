using System.Text.Json;

namespace LLMRace.Simulator.Protocols;

/// <summary>OpenAI chat completions: SSE chunks, a usage chunk when asked (with llama.cpp-style timings), [DONE].</summary>
public sealed class OpenAiWriter(string model) : IProtocolWriter
{
    private readonly string _id = $"chatcmpl-sim{Guid.NewGuid():N}"[..32];
    private readonly long _created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public string StreamContentType => "text/event-stream";

    private object Chunk(object delta, string? finish) => new
    {
        id = _id, @object = "chat.completion.chunk", created = _created, model,
        choices = new[] { new { index = 0, delta, logprobs = (object?)null, finish_reason = finish } },
    };

    private static Task SendAsync(HttpContext http, object chunk) => Wire.WriteAsync(http,
        "data: " + JsonSerializer.Serialize(chunk) + "\n\n");

    public Task StartAsync(HttpContext http, SimPlan plan) => SendAsync(http, Chunk(new { role = "assistant",
        content = plan.ToolCall is null ? "" : null }, null));

    public Task ChunkAsync(HttpContext http, SimPlan plan, int index, string chunk) => plan.ToolCall is { } call
        ? SendAsync(http, Chunk(new
        {
            tool_calls = new[]
            {
                index == 0
                    ? (object)new { index = 0, id = call.Id, type = "function", function = new { name = call.Name, arguments = chunk } }
                    : new { index = 0, function = new { arguments = chunk } },
            },
        }, null))
        : SendAsync(http, Chunk(new { content = chunk }, null));

    public async Task EndAsync(HttpContext http, SimPlan plan, SimBehaviour behaviour)
    {
        await SendAsync(http, Chunk(new { }, plan.ToolCall is null ? "stop" : "tool_calls"));
        if (IncludeUsage) await SendAsync(http, new { id = _id, @object = "chat.completion.chunk", created = _created, model,
            choices = Array.Empty<object>(), usage = Usage(plan), timings = Timings(plan, behaviour) });
        await Wire.WriteAsync(http, "data: [DONE]\n\n");
    }

    public bool IncludeUsage { get; init; }

    public Task MalformedAsync(HttpContext http) => Wire.WriteAsync(http, "data: {\"choices\":[{\"delta\":{\"content\":\"tru\n\n");

    public Task WholeAsync(HttpContext http, SimPlan plan, SimBehaviour behaviour) => http.Response.WriteAsJsonAsync(new
    {
        id = _id, @object = "chat.completion", created = _created, model,
        choices = new[]
        {
            new
            {
                index = 0,
                message = plan.ToolCall is { } call
                    ? (object)new { role = "assistant", content = (string?)null, tool_calls = new[] { new { id = call.Id, type = "function",
                        function = new { name = call.Name, arguments = call.Arguments } } } }
                    : new { role = "assistant", content = string.Concat(plan.Tokens) },
                finish_reason = plan.ToolCall is null ? "stop" : "tool_calls",
            },
        },
        usage = Usage(plan),
    });

    public Task ErrorAsync(HttpContext http, int status, string message, string type)
    {
        http.Response.StatusCode = status;
        return http.Response.WriteAsJsonAsync(new { error = new { message, type, param = (string?)null, code = status } });
    }

    private static object Usage(SimPlan plan) => new { prompt_tokens = plan.PromptTokens, completion_tokens = plan.Tokens.Count,
        total_tokens = plan.PromptTokens + plan.Tokens.Count };

    private static object Timings(SimPlan plan, SimBehaviour behaviour) => new
    {
        prompt_n = plan.PromptTokens,
        prompt_ms = (double)behaviour.TtftMs,
        predicted_n = plan.Tokens.Count,
        predicted_ms = (double)Math.Max(0, plan.Tokens.Count - 1) * behaviour.ItlMs,
    };
}
