using System.Diagnostics;
using System.Text;
using System.Text.Json;
using LLMRace.Grains.Checks;
using LLMRace.Grains.Contracts;
using LLMRace.Grains.Providers;
using LLMRace.Grains.Results;
using LLMRace.Grains.Storage;
using Microsoft.Extensions.Logging;

namespace LLMRace.Grains.Engine;

/// <summary>
/// The LLM judge: a chosen car grades each finished item's output against the test's free-text criteria and an
/// optional rubric (score 0-10, pass or fail, rationale). A reply that is not the expected JSON is recorded as a
/// judge error for that item. Grades are stored and streamed on the run's log (judge.started, item.judged, judge.completed).
/// </summary>
public sealed class JudgeRunner(RaceEngine engine, RunRow run, CarSnapshot judge, string? rubric)
{
    public const string SystemPrompt =
        "You are an impartial judge grading an AI model's answer against criteria. Reply with only a JSON object, no prose: " +
        "{\"score\": <number from 0 to 10>, \"verdict\": \"pass\" or \"fail\", \"rationale\": \"<one or two sentences>\"}.";

    private readonly ILogger _logger = engine.CreateLogger<JudgeRunner>();

    public async Task RunAsync()
    {
        var snapshot = RaceJson.Deserialize<RunSnapshot>(run.SnapshotJson)!;
        var tests = snapshot.Suite.Tests.ToDictionary(t => t.Id);
        var sink = new RunEventSink(run.Id, await engine.Events.LastSeqAsync(run.Id), engine.Events, engine.Publisher, engine.Time,
            _logger);
        var items = (await engine.Runs.GetItemsAsync(run.Id)).Where(i => i.Status is ItemStatus.Passed or ItemStatus.Failed).ToList();
        var graded = 0;
        var errors = 0;
        try
        {
            sink.Emit(EventTypes.JudgeStarted, null, new { judge_car_id = judge.Id, judge_car_name = judge.Name, model = judge.Model,
                items = items.Count, rubric });
            foreach (var item in items)
            {
                var test = tests[item.TestId];
                var grade = await GradeAsync(test, item.Output ?? "");
                await engine.Runs.SaveJudgeAsync(item.Id, RaceJson.Serialize(grade));
                if (grade.Error is null) graded++; else errors++;
                sink.Emit(EventTypes.ItemJudged, item.Id, grade);
            }
            await engine.Runs.SetJudgingAsync(run.Id, false);
            sink.Emit(EventTypes.JudgeCompleted, null, new { graded, errors });
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Judging run {RunId} failed", run.Id);
            await engine.Runs.SetJudgingAsync(run.Id, false);
            sink.Emit(EventTypes.JudgeFailed, null, new { error = e.Message, graded, errors });
        }
        finally
        {
            await sink.FlushAndCompleteAsync();
        }
    }

    private async Task<JudgeGrade> GradeAsync(TestSnapshot test, string output)
    {
        var criteria = ConstraintParser.Parse(test.ExpectedConstraints).Criteria;
        var prompt = new StringBuilder();
        prompt.AppendLine("The task given to the model:");
        if (!string.IsNullOrWhiteSpace(test.SystemPrompt)) prompt.AppendLine($"[system] {test.SystemPrompt}");
        prompt.AppendLine($"[user] {test.UserPrompt}").AppendLine();
        prompt.AppendLine("Criteria:");
        foreach (var c in criteria.DefaultIfEmpty("The answer does what the task asks, correctly and clearly."))
            prompt.AppendLine($"- {c}");
        if (!string.IsNullOrWhiteSpace(rubric)) prompt.AppendLine().AppendLine($"Rubric: {rubric}");
        prompt.AppendLine().AppendLine("The model's answer, between <<< and >>>:").AppendLine("<<<").AppendLine(output).AppendLine(">>>");

        try
        {
            var reply = await CompleteAsync(new ChatRequest(judge.Model, SystemPrompt, prompt.ToString(), judge.Params));
            return Parse(reply, judge.Id, engine.Time.NowText());
        }
        catch (Exception e)
        {
            var why = e is OperationCanceledException
                ? $"no complete reply within {judge.Connection.TotalTimeout.TotalSeconds:0.#} s" : e.Message;
            return new JudgeGrade(null, null, null, judge.Id, $"the judge's request failed: {why}", engine.Time.NowText());
        }
    }

    /// <summary>The judge's whole reply text, streamed through the races' client (with no retries: a judge's request is not
    /// measured).</summary>
    private async Task<string> CompleteAsync(ChatRequest request)
    {
        var provider = engine.ConnectionTypes.ProviderFor(judge.Connection.Type);
        var target = await engine.TargetOfAsync(judge.Connection);
        using var limit = new CancellationTokenSource(judge.Connection.TotalTimeout);
        using var slot = await engine.Limiter.AcquireAsync(judge.Connection.Id, judge.Connection.MaxConcurrency, limit.Token);
        var reply = new ReplyText(engine.Limits.MaxOutputChars);
        await engine.CreateStreamClient().StreamAsync(provider, target, request, judge.Connection with { MaxRetries = 0 }, reply,
            limit.Token);
        await Task.Yield(); // off the socket engine's thread before the grade is parsed and stored (see ItemRunner)
        return reply.ToString();
    }

    /// <summary>The text of a reply, up to the output limit.</summary>
    private sealed class ReplyText(int maxChars) : IStreamObserver
    {
        private readonly StringBuilder _text = new();

        public void Sending(long timestamp) => _text.Clear();

        public void Sent(long timestamp, bool kernel) { }
        public void Headers(long timestamp, HttpResponseMessage response) { }
        public void Retrying(int attempt, TimeSpan delay, Exception? reason) { }

        public void Part(StreamPart part, Timing.ChunkTime time)
        {
            if (part is not ContentPart { Kind: ContentKind.Text } content) return;
            if (_text.Length + content.Text.Length > maxChars)
                throw new ProviderStreamException($"the judge's reply passed the limit of {maxChars:N0} characters");
            _text.Append(content.Text);
        }

        public override string ToString() => _text.ToString();
    }

    /// <summary>Reads {score, verdict, rationale} from a reply, tolerating a ```json fence around it.</summary>
    public static JudgeGrade Parse(string reply, string judgeCarId, string now)
    {
        JudgeGrade Bad(string why) => new(null, null, null, judgeCarId,
            $"the judge's reply is not the expected JSON ({why}): {Excerpt.Of(reply, 160)}", now);
        var start = reply.IndexOf('{');
        var end = reply.LastIndexOf('}');
        if (start < 0 || end <= start) return Bad("no JSON object");
        try
        {
            using var doc = JsonDocument.Parse(reply[start..(end + 1)]);
            var root = doc.RootElement;
            if (!root.TryGetProperty("score", out var s) || s.ValueKind != JsonValueKind.Number || s.GetDouble() is < 0 or > 10)
                return Bad("score must be a number from 0 to 10");
            var verdict = root.TryGetProperty("verdict",
                out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()!.Trim().ToLowerInvariant() : null;
            if (verdict is not ("pass" or "fail")) return Bad("verdict must be \"pass\" or \"fail\"");
            var rationale = root.TryGetProperty("rationale", out var r) && r.ValueKind == JsonValueKind.String ? r.GetString() : null;
            return new JudgeGrade(Math.Round(s.GetDouble(), 2), verdict, rationale, judgeCarId, null, now);
        }
        catch (JsonException)
        {
            return Bad("it does not parse");
        }
    }
}
