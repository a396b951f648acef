using LLMRace.Grains.Providers;

namespace LLMRace.Tests.Unit;

/// <summary>Ollama's NDJSON on lines real servers sent.</summary>
public class OllamaStreamParserTests
{
    private static Task<Parsed> ParseAsync(byte[] bytes, int maxRead = int.MaxValue) => Parsed.FromAsync(OllamaChatProvider.Instance, bytes,
        maxRead);

    [Fact]
    public async Task Chat_text_gives_the_tokens_the_usage_and_the_server_timings()
    {
        var p = await ParseAsync(Fixtures.Bytes("ollama-chat-text.ndjson"));

        Assert.StartsWith("Hello! How", p.Text);
        Assert.Equal(20, p.ContentParts);
        Assert.Equal(11, p.Usage!.InputTokens);
        Assert.Equal(20, p.Usage.OutputTokens);
        Assert.Equal("length", p.Finish);
        var timings = p.Timings!.Timings;
        Assert.Equal(11912402900, timings.GetProperty("total_duration").GetInt64());
        Assert.Equal(6824559200, timings.GetProperty("load_duration").GetInt64());
        Assert.Equal(3754262000, timings.GetProperty("eval_duration").GetInt64());
    }

    [Theory]
    [InlineData("ollama-chat-tools.ndjson", "get_weather", "{\"city\":\"Tokyo\"}")]
    [InlineData("ollama-chat-tools-single-chunk.ndjson", "TestPlugin-TestFunction", "{\"testInput\":\"fake-text\"}")]
    public async Task Tool_calls_arrive_whole_with_object_arguments(string fixture, string name, string arguments)
    {
        var p = await ParseAsync(Fixtures.Bytes(fixture));

        var call = Assert.Single(p.Tools);
        Assert.Equal(name, call.Name);
        Assert.Equal(arguments, call.Arguments);
        Assert.Equal("stop", p.Finish);
    }

    [Theory]
    [InlineData("ollama-chat-text.ndjson")]
    [InlineData("ollama-chat-final.ndjson")]
    [InlineData("ollama-chat-tools.ndjson")]
    public async Task Splitting_the_bytes_at_every_boundary_changes_nothing(string fixture)
    {
        var bytes = Fixtures.Bytes(fixture);
        var whole = await ParseAsync(bytes);
        foreach (var size in new[] { 1, 2, 5 })
        {
            var split = await ParseAsync(bytes, size);
            Assert.Equal(whole.Text, split.Text);
            Assert.Equal(whole.Tools, split.Tools);
            Assert.Equal(whole.Usage, split.Usage);
        }
    }

    [Fact]
    public async Task An_error_line_mid_stream_is_reported()
    {
        var e = await Assert.ThrowsAsync<ProviderStreamException>(
            () => ParseAsync(Fixtures.Bytes("ollama-generate-midstream-error.ndjson")));
        Assert.Contains("an error was encountered while running the model", e.Message);
    }

    [Fact]
    public void The_model_list_comes_from_api_tags() =>
        Assert.NotEmpty(OllamaChatProvider.Instance.ParseModelList(
            System.Text.Encoding.UTF8.GetString(Fixtures.Bytes("ollama-tags.json"))));

    [Theory]
    [InlineData("http://127.0.0.1:11434", "http://127.0.0.1:11434")]
    [InlineData("http://127.0.0.1:11434/", "http://127.0.0.1:11434")]
    [InlineData("http://127.0.0.1:11434/api", "http://127.0.0.1:11434")]
    [InlineData("http://127.0.0.1:11434/v1/", "http://127.0.0.1:11434")]
    public void Base_urls_are_taken_back_to_the_server_root(string baseUrl, string root) =>
        Assert.Equal(root, OllamaChatProvider.Root(new ProviderTarget("OLLAMA", baseUrl, null)));
}
