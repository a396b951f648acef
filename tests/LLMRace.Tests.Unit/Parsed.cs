using System.Text;
using LLMRace.Grains.Engine;
using LLMRace.Grains.Providers;

namespace LLMRace.Tests.Unit;

/// <summary>Everything a provider's parser made of a recorded stream.</summary>
public sealed record Parsed(string Text, string Reasoning, IReadOnlyList<ToolCall> Tools, UsagePart? Usage, string? Finish,
    ServerTimingsPart? Timings, int ContentParts)
{
    public static async Task<Parsed> FromAsync(IChatProvider provider, byte[] bytes, int maxRead = int.MaxValue)
    {
        var text = new StringBuilder();
        var reasoning = new StringBuilder();
        var tools = new ToolCallAssembler();
        UsagePart? usage = null;
        string? finish = null;
        ServerTimingsPart? timings = null;
        var content = 0;
        await foreach (var part in provider.ParseStreamAsync(new TricklingStream(bytes, maxRead), CancellationToken.None))
        {
            if (part.IsContent) content++;
            switch (part)
            {
                case ContentPart { Kind: ContentKind.Text } c: text.Append(c.Text); break;
                case ContentPart c: reasoning.Append(c.Text); break;
                case ToolCallDeltaPart t: tools.Add(t); break;
                case UsagePart u: usage = new UsagePart(u.InputTokens ?? usage?.InputTokens, u.OutputTokens ?? usage?.OutputTokens); break;
                case FinishPart f: finish ??= f.Reason; break;
                case ServerTimingsPart s: timings = s; break;
            }
        }
        return new(text.ToString(), reasoning.ToString(), tools.Build(), usage, finish, timings, content);
    }

}
