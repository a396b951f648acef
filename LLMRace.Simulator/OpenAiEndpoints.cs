using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http.Features;

namespace LLMRace.Simulator;

/// <summary>The OpenAI wire protocol: /v1/models and /v1/chat/completions (SSE, usage chunk when asked).</summary>
public static class OpenAiEndpoints
{
    public static void MapOpenAi(this WebApplication app)
    {
        app.MapGet("/v1/models", () => Results.Json(new
        {
            @object = "list",
            data = SimBehaviour.Presets.Keys.Select(id => new { id, @object = "model", created = 1767225600, owned_by = "llmrace-simulator" }),
        }));
        app.MapPost("/v1/chat/completions", ChatCompletionsAsync);
    }

    private static async Task ChatCompletionsAsync(HttpContext http, TruthLog truth)
    {
        var arrived = Stopwatch.GetTimestamp();
        var arrivedUtc = DateTime.UtcNow;
        JsonObject? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync<JsonObject>(http.Request.Body, cancellationToken: http.RequestAborted);
        }
        catch (JsonException e)
        {
            await Error(http, 400, $"the request body is not valid JSON: {e.Message}", "invalid_request_error");
            return;
        }
        var model = body?["model"]?.GetValue<string>();
        if (body is null || string.IsNullOrWhiteSpace(model))
        {
            await Error(http, 400, "'model' is required", "invalid_request_error");
            return;
        }
        var behaviour = SimBehaviour.Parse(model, out var problem);
        if (problem is not null)
        {
            await Error(http, 404, problem, "model_not_found");
            return;
        }
        if (await Faults.RejectAsync(http, behaviour.Fault, Error)) return;

        var messages = body["messages"] as JsonArray ?? [];
        var texts = messages.Select(m => m?["content"]?.GetValueKind() == JsonValueKind.String ? m["content"]!.GetValue<string>() : "").ToList();
        var lastUser = messages.LastOrDefault(m => m?["role"]?.GetValue<string>() == "user")?["content"];
        var tokens = TextGenerator.Tokens(behaviour, lastUser?.GetValueKind() == JsonValueKind.String ? lastUser.GetValue<string>() : "");
        var stream = body["stream"]?.GetValueKind() == JsonValueKind.True;
        var includeUsage = body["stream_options"]?["include_usage"]?.GetValueKind() == JsonValueKind.True;
        var id = $"chatcmpl-sim{Guid.NewGuid():N}"[..32];
        var created = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var usage = new { prompt_tokens = TextGenerator.CountPromptTokens(texts), completion_tokens = tokens.Count, total_tokens = TextGenerator.CountPromptTokens(texts) + tokens.Count };
        http.Response.Headers["x-sim-request-id"] = id;
        var pacer = new ChunkPacer(behaviour, arrived);

        if (!stream)
        {
            for (var i = 0; i < tokens.Count; i++) await pacer.WaitForChunkAsync(i, http.RequestAborted);
            truth.Add(new RequestTruth(id, model, arrivedUtc, pacer.WrittenMs));
            await http.Response.WriteAsJsonAsync(new
            {
                id, @object = "chat.completion", created, model,
                choices = new[] { new { index = 0, message = new { role = "assistant", content = string.Concat(tokens) }, finish_reason = "stop" } },
                usage,
            });
            return;
        }

        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        await http.Response.Body.FlushAsync(http.RequestAborted);
        if (behaviour.Fault?.Kind == "hang")
        {
            await Task.Delay(Timeout.Infinite, http.RequestAborted).ContinueWith(_ => { });
            return;
        }

        object Chunk(object delta, string? finish) => new
        {
            id, @object = "chat.completion.chunk", created, model,
            choices = new[] { new { index = 0, delta, logprobs = (object?)null, finish_reason = finish } },
        };

        await Send(http, Chunk(new { role = "assistant", content = "" }, null));
        for (var i = 0; i < tokens.Count; i++)
        {
            await pacer.WaitForChunkAsync(i, http.RequestAborted);
            if (behaviour.Fault is { Kind: "disconnect_after" } d && i == d.Argument)
            {
                http.Abort();
                truth.Add(new RequestTruth(id, model, arrivedUtc, pacer.WrittenMs));
                return;
            }
            if (behaviour.Fault is { Kind: "malformed_after" } m && i == m.Argument)
            {
                await http.Response.WriteAsync("data: {\"choices\":[{\"delta\":{\"content\":\"tru\n\n", http.RequestAborted);
                await http.Response.Body.FlushAsync(http.RequestAborted);
                truth.Add(new RequestTruth(id, model, arrivedUtc, pacer.WrittenMs));
                return;
            }
            await Send(http, Chunk(new { content = tokens[i] }, null));
            pacer.Written();
        }
        await Send(http, Chunk(new { }, "stop"));
        if (includeUsage) await Send(http, new { id, @object = "chat.completion.chunk", created, model, choices = Array.Empty<object>(), usage });
        await http.Response.WriteAsync("data: [DONE]\n\n", http.RequestAborted);
        await http.Response.Body.FlushAsync(http.RequestAborted);
        truth.Add(new RequestTruth(id, model, arrivedUtc, pacer.WrittenMs));
    }

    private static async Task Send(HttpContext http, object chunk)
    {
        await http.Response.WriteAsync("data: " + JsonSerializer.Serialize(chunk) + "\n\n", http.RequestAborted);
        await http.Response.Body.FlushAsync(http.RequestAborted);
    }

    private static Task Error(HttpContext http, int status, string message, string type)
    {
        http.Response.StatusCode = status;
        return http.Response.WriteAsJsonAsync(new { error = new { message, type, param = (string?)null, code = status } });
    }
}
