using System.Text;
using LLMRace.Grains.Engine;
using LLMRace.Grains.Providers;

namespace LLMRace.Tests.Unit;

/// <summary>The OpenAI-compatible parser on streams real servers sent, byte for byte.</summary>
public class OpenAiStreamParserTests
{
    private static Task<Parsed> ParseAsync(byte[] bytes, int maxRead = int.MaxValue) => Parsed.FromAsync(OpenAiChatProvider.Instance, bytes,
        maxRead);

    [Fact]
    public async Task Openai_text_stream_gives_the_text_and_the_usage_chunk()
    {
        var p = await ParseAsync(Fixtures.Bytes("openai-chat-text.sse"));

        Assert.Equal(30, p.ContentParts); // the role chunk's empty content is not a token
        Assert.StartsWith("I'm", p.Text);
        Assert.EndsWith(".", p.Text);
        Assert.Equal(14, p.Usage!.InputTokens);
        Assert.Equal(30, p.Usage.OutputTokens);
        Assert.Equal("stop", p.Finish);
    }

    [Theory]
    [InlineData("openai-chat-text.sse")]
    [InlineData("openai-chat-tools-parallel.sse")]
    [InlineData("llamacpp-server-chat-usage-timings.sse")]
    [InlineData("openrouter-chat-text-usage.sse")]
    [InlineData("azure-gpt-oss-chat-reasoning-content.sse")]
    public async Task Splitting_the_bytes_at_every_boundary_changes_nothing(string fixture)
    {
        var bytes = Fixtures.Bytes(fixture);
        var whole = await ParseAsync(bytes);
        foreach (var size in new[] { 1, 2, 3, 7 })
        {
            var split = await ParseAsync(bytes, size);
            Assert.Equal(whole.Text, split.Text);
            Assert.Equal(whole.Reasoning, split.Reasoning);
            Assert.Equal(whole.Tools, split.Tools);
            Assert.Equal(whole.Usage, split.Usage);
            Assert.Equal(whole.ContentParts, split.ContentParts);
        }
    }

    [Fact]
    public async Task Crlf_line_endings_and_data_without_a_space_parse_the_same()
    {
        var lf = Fixtures.Bytes("openai-chat-text.sse");
        var crlf = Encoding.UTF8.GetBytes(Encoding.UTF8.GetString(lf).Replace("\n", "\r\n").Replace("data: ", "data:"));

        Assert.Equal((await ParseAsync(lf)).Text, (await ParseAsync(crlf, 5)).Text);
    }

    [Fact]
    public async Task Parallel_tool_calls_are_assembled_from_their_fragments()
    {
        var p = await ParseAsync(Fixtures.Bytes("openai-chat-tools-parallel.sse"));

        Assert.Equal(2, p.Tools.Count);
        Assert.All(p.Tools, t => Assert.False(string.IsNullOrEmpty(t.Name)));
        Assert.All(p.Tools, t => System.Text.Json.JsonDocument.Parse(t.Arguments).Dispose());
        Assert.Equal("tool_calls", p.Finish);
    }

    [Fact]
    public async Task Llamacpp_timings_are_kept_as_server_timings()
    {
        var p = await ParseAsync(Fixtures.Bytes("llamacpp-server-chat-usage-timings.sse"));

        Assert.NotNull(p.Timings);
        Assert.Equal(24, p.Timings!.Timings.GetProperty("predicted_n").GetInt32());
        Assert.Equal(24, p.Usage!.OutputTokens);
        Assert.Equal("length", p.Finish);
    }

    [Fact]
    public async Task Reasoning_content_is_read_apart_from_the_answer()
    {
        var p = await ParseAsync(Fixtures.Bytes("azure-gpt-oss-chat-reasoning-content.sse"));

        Assert.NotEmpty(p.Reasoning);
        Assert.NotEmpty(p.Text);
    }

    [Fact]
    public async Task Openrouter_processing_comments_are_ignored()
    {
        var p = await ParseAsync(Fixtures.Bytes("openrouter-chat-text-usage.sse"));

        Assert.NotEmpty(p.Text);
        Assert.DoesNotContain("OPENROUTER", p.Text);
        Assert.NotNull(p.Usage);
    }

    [Theory]
    [InlineData("openai-chat-midstream-error.sse", "server had an error")]
    [InlineData("openrouter-chat-midstream-error.sse", "")]
    public async Task An_error_inside_a_200_stream_is_reported(string fixture, string expected)
    {
        var e = await Assert.ThrowsAsync<ProviderStreamException>(() => ParseAsync(Fixtures.Bytes(fixture)));
        Assert.Contains("mid-stream", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public async Task A_chunk_that_is_not_json_is_reported_with_its_first_bytes()
    {
        var e = await Assert.ThrowsAsync<ProviderStreamException>(
            () => ParseAsync("data: {\"choices\":[{\"delta\":{\"content\":\"tru\n\n"u8.ToArray()));
        Assert.Contains("not JSON", e.Message);
        Assert.Contains("{\"choices\"", e.Message);
    }

    [Theory]
    [InlineData("http://127.0.0.1:1337", "OPENAI_COMPAT", "http://127.0.0.1:1337/v1")]
    [InlineData("http://127.0.0.1:1337/v1/", "OPENAI_COMPAT", "http://127.0.0.1:1337/v1")]
    [InlineData("https://api.openai.com", "OPENAI", "https://api.openai.com/v1")]
    [InlineData("https://openrouter.ai", "OPENROUTER", "https://openrouter.ai/api/v1")]
    [InlineData("https://openrouter.ai/api/v1/", "OPENROUTER", "https://openrouter.ai/api/v1")]
    public void Base_urls_work_with_or_without_the_v1_prefix(string baseUrl, string type, string root) =>
        Assert.Equal(root, OpenAiChatProvider.ApiRoot(new ProviderTarget(type, baseUrl, null)));
}
