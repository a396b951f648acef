using LLMRace.Grains.Checks;
using LLMRace.Grains.Measurement;

namespace LLMRace.Tests.Unit;

public class ConstraintTests
{
    [Fact]
    public void Semicolons_split_only_before_a_known_keyword()
    {
        var parsed = ConstraintParser.Parse("regex:a;b\nmax_words:10;contains:x\nMust be polite; and short");

        Assert.Equal(["regex:a;b", "max_words:10", "contains:x"], parsed.Checks.Select(c => c.ToString()));
        Assert.Equal(["Must be polite; and short"], parsed.Criteria);
        Assert.Empty(parsed.Errors);
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
