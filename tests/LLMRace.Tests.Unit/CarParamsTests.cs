using System.Text.Json.Nodes;
using LLMRace.Grains.Providers;

namespace LLMRace.Tests.Unit;

/// <summary>Every parameter the Garage edits reaches each provider under the name that provider takes.</summary>
public class CarParamsTests
{
    private static readonly JsonObject Params = new()
    {
        ["temperature"] = 0.3, ["top_p"] = 0.9, ["max_tokens"] = 64, ["seed"] = 7, ["stop"] = new JsonArray("END", "###"),
        ["frequency_penalty"] = 0.5,
    };

    private static async Task<JsonObject> BodyAsync(IChatProvider provider, string type)
    {
        using var request = provider.BuildStreamingRequest(new ProviderTarget(type, "http://127.0.0.1:1", null),
            new ChatRequest("m", null, "hi", (JsonObject)Params.DeepClone()));
        return JsonNode.Parse(await request.Content!.ReadAsStringAsync())!.AsObject();
    }

    [Fact]
    public async Task OpenAI_compatible_servers_get_them_as_named()
    {
        var body = await BodyAsync(OpenAiChatProvider.Instance, ConnectionTypes.OpenAiCompat);
        foreach (var (name, value) in Params) Assert.Equal(value!.ToJsonString(), body[name]!.ToJsonString());
    }

    [Fact]
    public async Task Ollama_gets_them_as_options_with_max_tokens_as_num_predict()
    {
        var options = (await BodyAsync(OllamaChatProvider.Instance, ConnectionTypes.Ollama))["options"]!.AsObject();
        Assert.Equal(64, options["num_predict"]!.GetValue<int>());
        Assert.Equal("""["END","###"]""", options["stop"]!.ToJsonString());
        Assert.Equal(7, options["seed"]!.GetValue<int>());
        Assert.Equal(0.3, options["temperature"]!.GetValue<double>());
    }

    [Fact]
    public async Task Anthropic_gets_stop_as_stop_sequences_and_nothing_it_would_refuse()
    {
        var body = await BodyAsync(AnthropicChatProvider.Instance, ConnectionTypes.Anthropic);
        Assert.Equal("""["END","###"]""", body["stop_sequences"]!.ToJsonString());
        Assert.Equal(64, body["max_tokens"]!.GetValue<int>());
        Assert.Equal(0.9, body["top_p"]!.GetValue<double>());
        Assert.False(body.ContainsKey("stop"));
        Assert.False(body.ContainsKey("seed"));
    }
}
