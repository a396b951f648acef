using System.Text.Json;

namespace LLMRace.Simulator.Protocols;

/// <summary>Ollama /api/chat: NDJSON lines; a tool call arrives whole; the done line carries the timings (ns).</summary>
public sealed class OllamaWriter(string model) : IProtocolWriter
{
    public string StreamContentType => "application/x-ndjson";

    public IReadOnlyList<string> Chunks(SimPlan plan) => plan.ToolCall is { } call ? [call.Arguments] : plan.Tokens;

    private static string Now() => DateTime.UtcNow.ToString("O");

    private static Task SendAsync(HttpContext http, object line) => Wire.WriteAsync(http, JsonSerializer.Serialize(line) + "\n");

    public Task StartAsync(HttpContext http, SimPlan plan) => http.Response.Body.FlushAsync(http.RequestAborted);

    public Task ChunkAsync(HttpContext http, SimPlan plan, int index, string chunk) => plan.ToolCall is { } call
        ? SendAsync(http, new
        {
            model, created_at = Now(),
            message = new { role = "assistant", content = "", tool_calls = new[] { new { function = new { name = call.Name,
                arguments = JsonDocument.Parse(call.Arguments).RootElement } } } },
            done = false,
        })
        : SendAsync(http, new { model, created_at = Now(), message = new { role = "assistant", content = chunk }, done = false });

    public Task EndAsync(HttpContext http, SimPlan plan, SimBehaviour behaviour) => SendAsync(http, Final(plan, behaviour,
        new { role = "assistant", content = "" }));

    public Task MalformedAsync(HttpContext http) => Wire.WriteAsync(http, "{\"model\":\"" + model + "\",\"message\":{\"content\":\"tru\n");

    public Task WholeAsync(HttpContext http, SimPlan plan, SimBehaviour behaviour) => http.Response.WriteAsJsonAsync(Final(plan, behaviour,
        plan.ToolCall is { } call
            ? new { role = "assistant", content = "", tool_calls = new[] { new { function = new { name = call.Name,
                arguments = JsonDocument.Parse(call.Arguments).RootElement } } } }
            : (object)new { role = "assistant", content = string.Concat(plan.Tokens) }));

    public Task ErrorAsync(HttpContext http, int status, string message, string type)
    {
        http.Response.StatusCode = status;
        return http.Response.WriteAsJsonAsync(new { error = message });
    }

    private object Final(SimPlan plan, SimBehaviour behaviour, object message)
    {
        const long ns = 1_000_000;
        var evalMs = (long)Math.Max(0, plan.Tokens.Count - 1) * behaviour.ItlMs;
        return new
        {
            model, created_at = Now(), message, done_reason = "stop", done = true,
            total_duration = (behaviour.TtftMs + evalMs) * ns,
            load_duration = 0L,
            prompt_eval_count = plan.PromptTokens,
            prompt_eval_duration = behaviour.TtftMs * ns,
            eval_count = plan.Tokens.Count,
            eval_duration = evalMs * ns,
        };
    }
}
