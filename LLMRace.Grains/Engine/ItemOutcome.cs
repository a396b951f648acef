using System.Diagnostics;
using LLMRace.Grains.Checks;
using LLMRace.Grains.Results;
using LLMRace.Grains.Contracts;
using LLMRace.Grains.Measurement;
using LLMRace.Grains.Providers;
using LLMRace.Grains.Storage;
using LLMRace.Grains.Telemetry;

namespace LLMRace.Grains.Engine;

/// <summary>What an item streamed over its turns, and what it cost to get there.</summary>
/// <param name="Hint">For an error, what to fix in plain words (Verify Runtime's first hint for it).</param>
public sealed record RacedItem(IReadOnlyList<RaceTurn> Turns, IReadOnlyList<ToolCall> Calls, IReadOnlyList<ToolResult> Results, int Retries,
    long QueueWaitTicks, string? Hint = null);

/// <summary>
/// The end of an item: its metrics over its turns, its checks (within the checks' budget), the stored row, the
/// item.error and item.completed events, and the telemetry. The item's status comes out.
/// </summary>
public sealed class ItemOutcome(RaceEngine engine, RunEventSink sink, RunItemRow item, PreparedTest prepared, CarSnapshot car)
{
    public async Task<string> StoreAsync(RacedItem raced, string status, string? error, Activity? activity)
    {
        var turns = raced.Turns.Count > 0 ? raced.Turns : [new RaceTurn()];
        turns[0].Meter.QueueWait(raced.QueueWaitTicks);
        var metrics = TurnMetrics.Combine([.. turns.Select(t => new MeasuredTurn(t.Meter, t.OutputTokens, t.InputTokens))], raced.Retries)
            with { ServerRequestId = turns[0].ServerRequestId };
        var output = string.Concat(turns.Select(t => t.Text.ToString()));
        var reasoning = string.Concat(turns.Select(t => t.Reasoning.ToString()));
        IReadOnlyList<CheckResult> checks = [];
        var parsed = prepared.Constraints;
        if (error is null)
        {
            var subject = new CheckSubject(output, [.. raced.Calls.Select(t => t.Name)], metrics);
            checks = CheckEvaluator.EvaluateAll(parsed.Checks, subject, engine.Limits.ChecksBudget);
            status = checks.Any(c => c.Verdict != Verdicts.Pass) ? ItemStatus.Failed : ItemStatus.Passed;
        }
        else if (status == ItemStatus.Error)
        {
            sink.Emit(EventTypes.ItemError, item.Id, new { message = error, hint = raced.Hint, retries = raced.Retries });
        }

        var serverTimings = turns.Select(t => t.ServerTimings).LastOrDefault(t => t is not null);
        item.Status = status;
        item.Output = output;
        item.Reasoning = reasoning.Length > 0 ? reasoning : null;
        item.ToolCallsJson = raced.Calls.Count > 0
            ? RaceJson.Serialize(raced.Calls.Select(c => new { c.Index, c.Id, c.Name, c.Arguments,
                result = raced.Results.FirstOrDefault(r => r.CallId == ToolJson.CallId(c)) }))
            : null;
        item.Error = error;
        item.MetricsJson = RaceJson.Serialize(metrics);
        item.ChecksJson = RaceJson.Serialize(new ItemChecks(checks, parsed.Criteria));
        item.ServerTimingsJson = serverTimings?.GetRawText();
        item.Retries = raced.Retries;
        item.FinishedAt = engine.Time.NowText();
        await engine.Runs.CompleteItemAsync(item);

        sink.Emit(EventTypes.ItemCompleted, item.Id, new
        {
            status,
            error,
            finish_reason = turns[^1].FinishReason,
            output_chars = output.Length,
            metrics,
            checks,
            criteria = parsed.Criteria,
            server_timings = serverTimings,
        });
        RaceTelemetry.RecordItem(metrics, status, error, car.Model, car.Connection.Type, activity);
        return status;
    }
}
