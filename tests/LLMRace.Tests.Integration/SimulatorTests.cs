using System.Text;
using System.Text.Json.Nodes;
using LLMRace.Grains.Engine;
using LLMRace.Grains.Providers;

namespace LLMRace.Tests.Integration;

/// <summary>The Simulator's tool calls in each protocol, read back by LLMRace's own parsers.</summary>
[Collection(Browser.AppHostCollection.Name)]
public sealed class SimulatorTests(Browser.BrowserApp fixture)
{
    private static readonly JsonObject WeatherSchema = new()
    {
        ["type"] = "object",
        ["properties"] = new JsonObject { ["city"] = new JsonObject { ["type"] = "string" },
            ["days"] = new JsonObject { ["type"] = "integer" } },
        ["required"] = new JsonArray("city", "days"),
    };

    [Theory]
    [InlineData("OPENAI_COMPAT")]
    [InlineData("OLLAMA")]
    [InlineData("ANTHROPIC")]
    public async Task The_caller_model_streams_a_tool_call_that_the_parser_assembles(string type)
    {
        var (path, body) = type switch
        {
            "ANTHROPIC" => ("/v1/messages", new JsonObject
            {
                ["model"] = "caller", ["max_tokens"] = 64, ["stream"] = true,
                ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "weather?" }),
                ["tools"] = new JsonArray(new JsonObject { ["name"] = "get_weather", ["input_schema"] = WeatherSchema.DeepClone() }),
            }),
            _ => (type == "OLLAMA" ? "/api/chat" : "/v1/chat/completions", new JsonObject
            {
                ["model"] = "caller", ["stream"] = true,
                ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "weather?" }),
                ["tools"] = new JsonArray(new JsonObject { ["type"] = "function", ["function"] = new JsonObject { ["name"] = "get_weather",
                    ["parameters"] = WeatherSchema.DeepClone() } }),
            }),
        };
        using var http = new HttpClient { BaseAddress = fixture.App.SimBase };
        using var response = await http.PostAsync(path, new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        response.EnsureSuccessStatusCode();

        var tools = new ToolCallAssembler();
        string? finish = null;
        await foreach (var part in BuiltIn.ProviderFor(type).ParseStreamAsync(await response.Content.ReadAsStreamAsync(),
            CancellationToken.None))
        {
            if (part is ToolCallDeltaPart call) tools.Add(call);
            if (part is FinishPart f) finish = f.Reason;
        }

        var assembled = Assert.Single(tools.Build());
        Assert.Equal("get_weather", assembled.Name);
        Assert.Equal("""{"city":"Paris","days":1}""", assembled.Arguments);
        Assert.Contains(finish, new[] { "tool_calls", "tool_use", "stop" });
    }

    [Fact]
    public async Task A_gated_model_answers_nothing_until_its_gate_opens_and_then_its_whole_answer()
    {
        using var http = new HttpClient { BaseAddress = fixture.App.SimBase };
        var gate = $"g-{Guid.NewGuid():N}";
        var body = new JsonObject
        {
            ["model"] = $"echo?ttft_ms=0&itl_ms=0&gate={gate}",
            ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = "one two three" }),
        };
        var answer = http.PostAsync("/v1/chat/completions", new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"));
        // A request that arrives after the gated one and is answered in full: the gated one has been held meanwhile.
        using (var other = await http.PostAsync("/v1/chat/completions", new StringContent(
            """{"model":"instant","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json")))
            other.EnsureSuccessStatusCode();
        Assert.False(answer.IsCompleted);

        Assert.Equal(System.Net.HttpStatusCode.NoContent, (await http.PostAsync($"/sim/gates/{gate}", null)).StatusCode);
        using var response = await answer;
        var text = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["choices"]![0]!["message"]!["content"]!.GetValue<string>();
        Assert.Equal("one two three", text.Trim());
        // An open gate stays open.
        using var again = await http.PostAsync("/v1/chat/completions", new StringContent(body.ToJsonString(), Encoding.UTF8,
            "application/json"));
        again.EnsureSuccessStatusCode();
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, (await http.PostAsync($"/sim/gates/{new string('g', 65)}", null)).StatusCode);
    }
}

/// <summary>The connection types as the Api registers them, for tests that parse a protocol directly.</summary>
internal static class BuiltIn
{
    private static readonly ConnectionTypeRegistry Types = new(ConnectionTypes.BuiltIn);

    public static IChatProvider ProviderFor(string type) => Types.ProviderFor(type);
}
