using Microsoft.AspNetCore.Http.HttpResults;

namespace LLMRace.Api.Infrastructure;

/// <summary>RFC 7807 answers that name what is wrong.</summary>
public static class Problems
{
    public static ProblemHttpResult NotFound(string what, string id) =>
        TypedResults.Problem(statusCode: 404, title: $"{Capitalize(what)} not found", detail: $"{what} '{id}' does not exist");

    public static ValidationProblem Invalid(Dictionary<string, List<string>> errors, string? detail = null) =>
        TypedResults.ValidationProblem(errors.ToDictionary(e => e.Key, e => e.Value.ToArray()),
            detail: detail ?? string.Join("; ", errors.SelectMany(e => e.Value.Select(m => $"{e.Key}: {m}"))),
            title: "The request is not valid");

    public static ValidationProblem Invalid(string field, string message) => Invalid(new() { [field] = [message] });

    public static ProblemHttpResult Conflict(string detail) => TypedResults.Problem(statusCode: 409, title: "Conflict", detail: detail);

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}

/// <summary>Collects validation errors by field.</summary>
public sealed class Errors
{
    public Dictionary<string, List<string>> ByField { get; } = [];

    public bool Any => ByField.Count > 0;

    public void Add(string field, string message)
    {
        if (!ByField.TryGetValue(field, out var list)) ByField[field] = list = [];
        list.Add(message);
    }

    public string? Require(string field, string? value, int maxLength)
    {
        if (string.IsNullOrWhiteSpace(value)) { Add(field, "required"); return null; }
        if (value.Length > maxLength) { Add(field, $"is {value.Length} characters long; the limit is {maxLength}"); return null; }
        return value.Trim();
    }

    public T Range<T>(string field, T? value, T fallback, T min, T max) where T : struct, IComparable<T>
    {
        if (value is null) return fallback;
        if (value.Value.CompareTo(min) < 0 || value.Value.CompareTo(max) > 0) Add(field, $"must be between {min} and {max}, got {value}");
        return value.Value;
    }
}
