using LLMRace.Grains.Providers;

namespace LLMRace.Grains.Engine;

public sealed record ToolCall(int Index, string? Id, string Name, string Arguments);

/// <summary>Joins streamed tool-call fragments (by index) into whole calls.</summary>
public sealed class ToolCallAssembler
{
    private readonly SortedDictionary<int, (string? Id, string? Name, System.Text.StringBuilder Args)> _calls = [];

    public void Add(ToolCallDeltaPart part)
    {
        if (!_calls.TryGetValue(part.Index, out var call)) call = (null, null, new());
        call.Id ??= part.Id;
        call.Name ??= part.Name;
        call.Args.Append(part.ArgumentsFragment);
        _calls[part.Index] = call;
    }

    public IReadOnlyList<ToolCall> Build() =>
        [.. _calls.Select(c => new ToolCall(c.Key, c.Value.Id, c.Value.Name ?? "", c.Value.Args.ToString()))];
}
