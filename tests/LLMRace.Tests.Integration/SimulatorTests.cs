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
}

/// <summary>The connection types as the Api registers them, for tests that parse a protocol directly.</summary>
internal static class BuiltIn
{
    private static readonly ConnectionTypeRegistry Types = new(
        new Microsoft.Extensions.DependencyInjection.ServiceCollection().AddBuiltInConnectionTypes()
            .Select(d => d.ImplementationInstance).OfType<ConnectionType>());

    public static IChatProvider ProviderFor(string type) => Types.ProviderFor(type);
}
