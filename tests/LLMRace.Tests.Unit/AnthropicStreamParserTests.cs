using LLMRace.Grains.Providers;

namespace LLMRace.Tests.Unit;

/// <summary>Anthropic's Messages event stream, as its servers sent it.</summary>
public class AnthropicStreamParserTests
{
    private static Task<Parsed> ParseAsync(byte[] bytes, int maxRead = int.MaxValue) => Parsed.FromAsync(AnthropicChatProvider.Instance,
        bytes, maxRead);

    [Fact]
    public async Task Text_stream_gives_the_text_with_input_and_output_usage()
    {
        var p = await ParseAsync(Fixtures.Bytes("anthropic-messages-text.sse"));

        Assert.Contains("°", p.Text); // a UTF-8 character survives
        Assert.NotNull(p.Usage!.InputTokens);
        Assert.NotNull(p.Usage.OutputTokens);
        Assert.Equal("end_turn", p.Finish);
    }

    [Fact]
    public async Task Text_then_tool_use_assembles_the_call_from_input_json_deltas()
    {
        var p = await ParseAsync(Fixtures.Bytes("anthropic-messages-text-tool-use.sse"));

        Assert.Equal("I'll check the current weather in Paris for you.", p.Text);
        var call = Assert.Single(p.Tools);
        Assert.Equal("get_weather", call.Name);
        Assert.Equal("toolu_01NRLabsLyVHZPKxbKvkfSMn", call.Id);
        Assert.Equal("{\"location\": \"Paris\"}", call.Arguments);
        Assert.Equal(377, p.Usage!.InputTokens);
        Assert.Equal(65, p.Usage.OutputTokens);
        Assert.Equal("tool_use", p.Finish);
    }

    [Fact]
    public async Task Thinking_is_read_as_reasoning_apart_from_the_answer()
    {
        var p = await ParseAsync(Fixtures.Bytes("anthropic-messages-thinking.sse"));

        Assert.StartsWith("This is a clever", p.Reasoning);
        Assert.NotEmpty(p.Text);
        Assert.DoesNotContain("This is a clever", p.Text);
    }

    [Theory]
    [InlineData("anthropic-messages-text.sse")]
    [InlineData("anthropic-messages-tool-use.sse")]
    [InlineData("anthropic-messages-json-output.sse")]
    [InlineData("anthropic-messages-thinking.sse")]
    [InlineData("anthropic-messages-text-short.sse")]
    public async Task Splitting_the_bytes_at_every_boundary_changes_nothing(string fixture)
    {
        var bytes = Fixtures.Bytes(fixture);
        var whole = await ParseAsync(bytes);
        Assert.True(whole.ContentParts > 0);
        foreach (var size in new[] { 1, 3, 7 })
        {
            var split = await ParseAsync(bytes, size);
            Assert.Equal(whole.Text, split.Text);
            Assert.Equal(whole.Reasoning, split.Reasoning);
            Assert.Equal(whole.Tools, split.Tools);
            Assert.Equal(whole.Usage, split.Usage);
        }
    }

    [Fact]
    public async Task An_error_event_is_reported_with_its_type()
    {
        var e = await Assert.ThrowsAsync<ProviderStreamException>(
            () => ParseAsync(Fixtures.Bytes("anthropic-messages-error-overloaded.sse")));
        Assert.Contains("overloaded_error: Overloaded", e.Message);
    }
}
