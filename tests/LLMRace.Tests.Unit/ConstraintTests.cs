using LLMRace.Grains.Checks;
using LLMRace.Grains.Measurement;

namespace LLMRace.Tests.Unit;

public class ConstraintTests
{
    [Fact]
    public void Semicolons_separate_parts_as_the_original_says_but_inside_a_regex_only_before_a_keyword()
    {
        var parsed = ConstraintParser.Parse("regex:a;b\nmax_words:10;contains:x\nMust be polite; and short\nmax_words:3; Must be friendly");

        Assert.Equal(["regex:a;b", "max_words:10", "contains:x", "max_words:3"], parsed.Checks.Select(c => c.ToString()));
        Assert.Equal(["Must be polite", "and short", "Must be friendly"], parsed.Criteria);
        Assert.Empty(parsed.Errors);
        Assert.Empty(parsed.Warnings);
    }

    [Fact]
    public void A_text_argument_is_the_text_after_the_colon_without_surrounding_spaces_and_a_pattern_keeps_every_character()
    {
        var parsed = ConstraintParser.Parse("contains: Paris \nregex: ^a ");

        Assert.Equal("Paris", parsed.Checks[0].Argument);
        Assert.Equal(" ^a", parsed.Checks[1].Argument);
    }

    [Theory]
    [InlineData("(?P<year>\\d{4})-(?P=year)", "(?<year>\\d{4})-\\k<year>", "2024-2024", true)]
    [InlineData("(?P<a>(?P<b>x))(?P=b)", "(?<a>(?<b>x))\\k<b>", "xx", true)]
    [InlineData("\\(?P<a>", "\\(?P<a>", "(?P<a>", true)]
    public void Python_named_groups_the_original_accepted_are_translated_to_dot_net(string python, string dotNet, string output, bool matches)
    {
        var parsed = ConstraintParser.Parse($"regex:{python}");

        Assert.Empty(parsed.Errors);
        Assert.Equal(dotNet, parsed.Checks.Single().Argument);
        var subject = new CheckSubject(output, [], new LLMRace.Grains.Measurement.ItemMetrics());
        Assert.Equal(matches ? Verdicts.Pass : Verdicts.Fail, CheckEvaluator.EvaluateAll(parsed.Checks, subject, TimeSpan.FromSeconds(1))[0]
            .Verdict);
    }

    [Fact]
    public void A_keyword_in_the_wrong_case_or_an_unknown_prefix_is_a_warning_and_stays_a_criterion()
    {
        var parsed = ConstraintParser.Parse("Contains:JSON\ncolour: red; See https://example.com");

        Assert.Empty(parsed.Checks);
        Assert.Equal(["Contains:JSON", "colour: red", "See https://example.com"], parsed.Criteria);
        Assert.Equal(2, parsed.Warnings.Count);
        Assert.Equal("line 1: 'Contains:' is not a check (keywords are lower case: contains:); it is kept as a judge criterion",
            parsed.Warnings[0]);
        Assert.StartsWith("line 2: 'colour:' is not a check keyword (contains, icontains", parsed.Warnings[1]);
    }

    [Fact]
    public void Bad_regexes_and_numbers_are_errors_naming_the_line()
    {
        var parsed = ConstraintParser.Parse("contains:ok\nregex:(unclosed\nmax_words:many");

        Assert.Equal(2, parsed.Errors.Count);
        Assert.StartsWith("line 2: regex '(unclosed' does not compile", parsed.Errors[0]);
        Assert.Equal("line 3: max_words needs a number, got 'many'", parsed.Errors[1]);
    }

    [Theory]
    [InlineData("contains:Neon", "neon lights", "fail")]
    [InlineData("icontains:NEON", "neon lights", "pass")]
    [InlineData("not_contains:ERROR", "all good", "pass")]
    [InlineData("max_words:2", "one two three", "fail")]
    [InlineData("regex:^\\d+$", "12345", "pass")]
    [InlineData("is_json", "{\"id\": 1}", "pass")]
    [InlineData("is_json", "not json", "fail")]
    public void Checks_give_a_verdict(string constraint, string output, string verdict)
    {
        var check = Assert.Single(ConstraintParser.Parse(constraint).Checks);
        var result = CheckEvaluator.Evaluate(check, new CheckSubject(output, [], new ItemMetrics()));
        Assert.Equal(verdict, result.Verdict);
    }

    [Fact]
    public void A_failed_word_limit_says_by_how_much()
    {
        var check = Assert.Single(ConstraintParser.Parse("max_words:2").Checks);
        var result = CheckEvaluator.Evaluate(check, new CheckSubject("a b c d", [], new ItemMetrics()));
        Assert.Equal("expected at most 2 words, got 4", result.Reason);
    }

    [Fact]
    public void A_regex_that_backtracks_forever_is_stopped_as_a_check_error()
    {
        var check = Assert.Single(ConstraintParser.Parse("regex:^(a+)+$").Checks);
        var result = CheckEvaluator.Evaluate(check, new CheckSubject(new string('a', 40) + "!", [], new ItemMetrics()));
        Assert.Equal(Verdicts.Error, result.Verdict);
        Assert.Contains("stopped", result.Reason);
    }
}

/// <summary>The documented semantics of each check, with the hard cases.</summary>
public class CheckSemanticsTests
{
    private static CheckResult Run(string constraint, string output, ItemMetrics? metrics = null, params string[] toolsCalled)
    {
        var parsed = ConstraintParser.Parse(constraint);
        Assert.Empty(parsed.Errors);
        return CheckEvaluator.Evaluate(Assert.Single(parsed.Checks), new CheckSubject(output, toolsCalled, metrics ?? new ItemMetrics()));
    }

    [Theory]
    // contains: ordinal, case-sensitive
    [InlineData("contains:Café", "Le Café de Paris", "pass")]
    [InlineData("contains:café", "Le CAFÉ de Paris", "fail")]
    [InlineData("contains:🏁", "finish 🏁 line", "pass")]
    [InlineData("contains:赛车", "我喜欢赛车", "pass")]
    [InlineData("contains:a.b", "aXb", "fail")]                  // no regex meaning
    [InlineData("contains:  padded", "x  padded", "pass")]        // the argument is taken as written, spaces included
    [InlineData("contains:x", "", "fail")]                        // empty output
    // icontains: Unicode-aware, culture-invariant case folding
    [InlineData("icontains:café", "LE CAFÉ", "pass")]
    [InlineData("icontains:ΣΟΦΙΑ", "σοφια", "pass")]
    [InlineData("icontains:straße", "STRASSE", "fail")]            // case folding, not expansion: ß is not ss
    [InlineData("icontains:istanbul", "İSTANBUL", "fail")]         // invariant culture: dotted İ is not i (no Turkish rules)
    [InlineData("icontains:ISTANBUL", "istanbul", "pass")]
    [InlineData("icontains:e", "É", "fail")]                       // accents matter: only case is ignored
    // not_contains
    [InlineData("not_contains:ERROR", "all good", "pass")]
    [InlineData("not_contains:error", "ERROR", "pass")]            // case-sensitive
    // equals / starts_with / ends_with: compared to the trimmed output
    [InlineData("equals:42", "  42\n", "pass")]
    [InlineData("equals:42", "42.", "fail")]
    [InlineData("starts_with:{", "\n {\"a\":1}", "pass")]
    [InlineData("ends_with:}", "{\"a\":1}  \n", "pass")]
    // regex: .NET, matches anywhere; ^ and $ are the whole output unless (?m)
    [InlineData("regex:^two$", "one\ntwo\nthree", "fail")]
    [InlineData("regex:(?m)^two$", "one\ntwo\nthree", "pass")]
    [InlineData("regex:\\d{3}-\\d{4}", "call 555-1234 now", "pass")]
    [InlineData("regex:a;b", "xa;by", "pass")]                    // ';' inside a pattern stays in it
    [InlineData("regex:[.]", "no dots here", "fail")]
    // word counts: whitespace-separated
    [InlineData("max_words:3", "one  two\tthree\n", "pass")]
    [InlineData("max_words:0", "", "pass")]
    [InlineData("min_words:2", "単語", "fail")]                   // CJK without spaces is one word
    [InlineData("min_words:1", "   ", "fail")]
    // JSON
    [InlineData("is_json", " [1, 2] ", "pass")]
    [InlineData("is_json", "```json\n{}\n```", "fail")]
    [InlineData("json_schema:{\"type\":\"object\",\"required\":[\"id\"]}", "{\"id\":1}", "pass")]
    [InlineData("json_schema:{\"type\":\"object\",\"required\":[\"id\"]}", "{\"name\":\"x\"}", "fail")]
    [InlineData("json_schema:{\"type\":\"array\"}", "not json", "fail")]
    public void Checks_follow_their_documented_semantics(string constraint, string output, string verdict) =>
        Assert.Equal(verdict, Run(constraint, output).Verdict);

    [Fact]
    public void Latency_checks_read_the_measurements()
    {
        var metrics = new ItemMetrics { TtftMs = 120, E2eMs = 900, DecodeTokensPerS = 40 };
        Assert.Equal("pass", Run("max_ttft_ms:150", "", metrics).Verdict);
        Assert.Equal("expected TTFT at most 100 ms, got 120 ms", Run("max_ttft_ms:100", "", metrics).Reason);
        Assert.Equal("fail", Run("max_latency_ms:800", "", metrics).Verdict);
        Assert.Equal("expected decode speed at least 50 tokens/s, got 40 tokens/s", Run("min_tokens_per_s:50", "", metrics).Reason);
        Assert.Equal("no TTFT was measured (no content arrived)", Run("max_ttft_ms:100", "").Reason);
    }

    [Fact]
    public void Tool_checks_read_the_calls_made()
    {
        Assert.Equal("pass", Run("tool_called:get_weather", "", null, "get_weather").Verdict);
        Assert.Equal("no tool was called, expected 'get_weather'", Run("tool_called:get_weather", "").Reason);
        Assert.Equal("'get_weather' was not called (called: get_time)", Run("tool_called:get_weather", "", null, "get_time").Reason);
        Assert.Equal("pass", Run("no_tool_call", "").Verdict);
        Assert.Equal("fail", Run("no_tool_call", "", null, "x").Verdict);
    }

    [Fact]
    public void A_failed_schema_says_where()
    {
        var result = Run("json_schema:{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"number\"}}}", "{\"id\":\"seven\"}");
        Assert.Equal("fail", result.Verdict);
        Assert.Contains("/id", result.Reason);
    }

    [Theory]
    [InlineData("json_schema:{not json", "json_schema is not valid JSON")]
    [InlineData("json_schema:[1,2]", "a JSON Schema is an object")]
    [InlineData("min_words:", "min_words needs a number")]
    [InlineData("tool_called:", "tool_called needs a tool name")]
    [InlineData("regex:[", "regex '[' does not compile")]
    public void Bad_arguments_are_import_errors(string constraint, string message) =>
        Assert.Contains(message, Assert.Single(ConstraintParser.Parse(constraint).Errors));

    [Fact]
    public void Catastrophic_patterns_are_stopped_by_the_match_timeout_on_long_outputs()
    {
        var result = Run("regex:(x+x+)+y", new string('x', 5_000));
        Assert.Equal(Verdicts.Error, result.Verdict);
        Assert.Contains("was stopped", result.Reason);
    }
}
