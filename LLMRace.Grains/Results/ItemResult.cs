using LLMRace.Grains.Checks;
using LLMRace.Grains.Contracts;
using LLMRace.Grains.Measurement;
using LLMRace.Grains.Storage;

namespace LLMRace.Grains.Results;

/// <summary>A stored item read back for aggregation: its status, metrics, verdicts and judge grade.</summary>
public sealed record ItemResult(RunItemRow Row, ItemMetrics? Metrics, IReadOnlyList<CheckResult> Checks, JudgeGrade? Judge,
    ManualGrade? Manual = null)
{
    public bool Passed => Row.Status == ItemStatus.Passed;
    public bool Failed => Row.Status == ItemStatus.Failed;
    public bool Errored => Row.Status == ItemStatus.Error;
    public bool Finished => Passed || Failed || Errored;

    /// <summary>The key that matches an item across runs of the same suite.</summary>
    public (string TestId, string CarId, int Repeat) Key => (Row.TestId, Row.CarId, Row.RepeatIndex);

    public static ItemResult From(RunItemRow row)
    {
        var metrics = row.MetricsJson is null ? null : RaceJson.Deserialize<ItemMetrics>(row.MetricsJson);
        var checks = (row.ChecksJson is null ? null : RaceJson.Deserialize<ItemChecks>(row.ChecksJson))?.Checks ?? [];
        var judge = row.JudgeJson is null ? null : RaceJson.Deserialize<JudgeGrade>(row.JudgeJson);
        var manual = row.ManualGradeJson is null ? null : RaceJson.Deserialize<ManualGrade>(row.ManualGradeJson);
        return new ItemResult(row, metrics, checks, judge, manual);
    }
}

/// <summary>A person's grade of one output (the original's manual judge), kept apart from the LLM judge's.</summary>
[GenerateSerializer, Immutable]
public sealed record ManualGrade([property: Id(0)] double Score, [property: Id(1)] string Verdict, [property: Id(2)] string? Note,
    [property: Id(3)] string GradedAt = "")
{
    public const int MaxNoteChars = 4000;
}

/// <summary>A judge's grade of one output: score 0-10, pass or fail, and why; or the error that kept it from grading.</summary>
public sealed record JudgeGrade(double? Score, string? Verdict, string? Rationale, string JudgeCarId, string? Error, string GradedAt);
