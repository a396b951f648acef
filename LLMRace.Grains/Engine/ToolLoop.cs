using LLMRace.Grains.Contracts;
using LLMRace.Grains.Providers;
using LLMRace.Grains.Suites;

namespace LLMRace.Grains.Engine;

/// <summary>
/// One item's tool loop: races a turn, answers each tool call with the test's mock (emitting the call and its
/// result), and races again with the exchange in the history, until the model calls no tool or the turns run out.
/// A test without tools gets one turn; calls to tools it never offered are recorded, not answered.
/// </summary>
public sealed class ToolLoop(RunEventSink sink, string itemId, IReadOnlyList<ToolDefinition> tools, int? maxToolTurns)
{
    /// <summary>What one turn of the model said: its text and the tool calls it made.</summary>
    public delegate Task<(string Text, IReadOnlyList<ToolCall> Calls)> Turn(IReadOnlyList<ToolExchange> history, CancellationToken ct);

    public List<ToolCall> Calls { get; } = [];

    public List<ToolResult> Results { get; } = [];

    public async Task RunAsync(Turn raceTurn, CancellationToken ct)
    {
        var maxTurns = tools.Count > 0 ? maxToolTurns ?? ToolDefinition.DefaultMaxTurns : 1;
        var history = new List<ToolExchange>();
        for (var turn = 1; turn <= maxTurns; turn++)
        {
            var (text, calls) = await raceTurn([.. history], ct);
            if (calls.Count == 0) return;
            var results = new List<ToolResult>();
            foreach (var call in calls)
            {
                Calls.Add(call);
                sink.Emit(EventTypes.ItemToolCall, itemId, new { turn, index = call.Index, id = call.Id, name = call.Name,
                    arguments = call.Arguments });
                if (tools.Count == 0) continue;
                var result = ToolAnswers.Answer(call, tools);
                results.Add(result);
                Results.Add(result);
                sink.Emit(EventTypes.ItemToolResult, itemId, new { turn, id = result.CallId, name = result.Name, content = result.Content,
                    is_error = result.IsError });
            }
            if (tools.Count == 0) return;
            history.Add(new ToolExchange(text, calls, results));
        }
    }
}
