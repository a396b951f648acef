using LLMRace.Grains.Checks;

namespace LLMRace.Grains.Results;

/// <summary>An item's check verdicts and the free-text criteria the judge grades: the item's stored checks, as served.</summary>
public sealed record ItemChecks(IReadOnlyList<CheckResult> Checks, IReadOnlyList<string> Criteria);
