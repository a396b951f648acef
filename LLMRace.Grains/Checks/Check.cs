namespace LLMRace.Grains.Checks;

/// <summary>One deterministic check parsed from a test's expected_constraints.</summary>
public sealed record Check(string Keyword, string Argument, int Line)
{
    public override string ToString() =>
        Argument.Length == 0 && CheckCatalog.Find(Keyword)?.Argument == CheckArgument.None ? Keyword : $"{Keyword}:{Argument}";
}

/// <summary>
/// The constraints of one test: checks to run, free-text criteria for the judge, problems found (import errors), and
/// warnings (text that looks like a check but is kept as a criterion).
/// </summary>
public sealed record ParsedConstraints(IReadOnlyList<Check> Checks, IReadOnlyList<string> Criteria, IReadOnlyList<string> Errors,
    IReadOnlyList<string> Warnings);

public static class Verdicts
{
    public const string Pass = "pass";
    public const string Fail = "fail";
    public const string Error = "error";
}

public sealed record CheckResult(string Check, string Verdict, string Reason);
