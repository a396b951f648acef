using System.Text.Json;
using System.Text.Json.Nodes;
using LLMRace.Simulator.Protocols;

namespace LLMRace.Simulator;

/// <summary>The three wire protocols the Simulator speaks, and their model lists.</summary>
public static class SimEndpoints
{
    public static void MapSimulator(this WebApplication app)
    {
        // OpenAI (and OpenRouter's /api/v1 prefix).
        foreach (var root in new[] { "/v1", "/api/v1" })
        {
            app.MapGet($"{root}/models", ModelList((http, models) => http.Response.WriteAsJsonAsync(new
            {
                @object = "list",
                data = models.Select(id => new { id, @object = "model", created = 1767225600, owned_by = "llmrace-simulator",
                    type = "model", display_name = id }),
            })));
            app.MapPost($"{root}/chat/completions", (HttpContext http, TruthLog truth, SimGates gates) =>
                ChatAsync(http, truth, gates, body => SimRequest.FromOpenAiShape(body, streamByDefault: false),
                    r => new OpenAiWriter(r.Model) { IncludeUsage = r.IncludeUsage }));
        }

        // Anthropic.
        app.MapPost("/v1/messages", (HttpContext http, TruthLog truth, SimGates gates) =>
            ChatAsync(http, truth, gates, SimRequest.FromAnthropicShape, r => new AnthropicWriter(r.Model)));

        // Ollama.
        app.MapGet("/api/tags", ModelList((http, models) => http.Response.WriteAsJsonAsync(new
        {
            models = models.Select(name => new { name, model = name, modified_at = "2026-01-01T00:00:00Z", size = 0, digest = "sim",
                details = new { format = "sim", family = "llmrace" } }),
        })));
        app.MapPost("/api/chat", (HttpContext http, TruthLog truth, SimGates gates) =>
            ChatAsync(http, truth, gates, body => SimRequest.FromOpenAiShape(body, streamByDefault: true), r => new OllamaWriter(r.Model)));
    }

    private static Func<HttpContext, Task> ModelList(Func<HttpContext, IEnumerable<string>, Task> write) => async http =>
    {
        var fault = PathFaults.Of(http);
        if (fault?.Kind is "hang" or "stall_headers") { await SimStreamer.Hang(http); return; }
        if (await Faults.RejectAsync(http, fault, (h, status, message, _) =>
            {
                h.Response.StatusCode = status;
                return h.Response.WriteAsJsonAsync(new { error = new { message, code = status } });
            })) return;
        await write(http, SimBehaviour.Presets.Keys);
    };

    private static async Task ChatAsync(HttpContext http, TruthLog truth, SimGates gates, Func<JsonObject, SimRequest> read,
        Func<SimRequest, IProtocolWriter> writerFor)
    {
        var arrived = SimStreamer.Now();
        JsonObject? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<JsonObject>(http.Request.Body, cancellationToken: http.RequestAborted);
        }
        catch (JsonException e)
        {
            http.Response.StatusCode = 400;
            await http.Response.WriteAsJsonAsync(new { error = new { message = $"the request body is not valid JSON: {e.Message}",
                type = "invalid_request_error" } });
            return;
        }
        SimRequest request;
        try
        {
            request = read(body ?? []);
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            http.Response.StatusCode = 400;
            await http.Response.WriteAsJsonAsync(new { error = new { message = $"the request does not have the expected shape: {e.Message}",
                type = "invalid_request_error" } });
            return;
        }
        await SimStreamer.AnswerAsync(http, request, writerFor(request), truth, gates, arrived);
    }
}
