using System.Text;
using LLMRace.Grains.Checks;
using LLMRace.Grains.Measurement;
using LLMRace.Grains.Providers;
using LLMRace.Grains.Results;
using LLMRace.Grains.Validation;

namespace LLMRace.Tests.Unit;

/// <summary>The bounds that keep hostile suites and servers from costing unbounded work: each shown to hold on its own.</summary>
public class BoundedInputTests
{
    [Fact]
    public void Parsing_semicolon_separated_constraints_is_linear_in_their_length()
    {
        // Before, each ';' copied the rest of the line: a 2 MB suite took 34 s, and this line allocated gigabytes.
        var line = string.Concat(Enumerable.Repeat("a;", 100_000));
        var before = GC.GetAllocatedBytesForCurrentThread();

        var parsed = ConstraintParser.Parse(line);

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(100_000, parsed.Criteria.Count);
        Assert.True(allocated < 50L * line.Length, $"{allocated:N0} bytes allocated to parse {line.Length:N0} characters");
    }

    [Fact]
    public void A_semicolon_after_a_regex_is_linear_too_and_splits_only_before_a_keyword()
    {
        var pattern = string.Concat(Enumerable.Repeat("a;", 5_000));
        var parsed = ConstraintParser.Parse($"regex:{pattern}; is_json\ncontains:b; is_json; max_words:3");

        Assert.Equal([$"regex:{pattern}", "is_json", "contains:b", "is_json", "max_words:3"], parsed.Checks.Select(c => c.ToString()));
    }

    [Fact]
    public void More_checks_than_the_cap_is_an_import_error()
    {
        Assert.Empty(ConstraintParser.Parse(string.Join('\n', Enumerable.Repeat("contains:a", 100))).Errors);
        Assert.Contains("at most 100", Assert.Single(ConstraintParser.Parse(string.Join('\n', Enumerable.Repeat("contains:a",
            101))).Errors));
    }

    [Fact]
    public void Checks_left_when_the_budget_is_spent_are_errors_and_the_rest_are_run()
    {
        var checks = ConstraintParser.Parse("contains:x\nregex:x\nequals:x").Checks;
        var subject = new CheckSubject("x", [], new ItemMetrics());

        var none = CheckEvaluator.EvaluateAll(checks, subject, TimeSpan.Zero);
        var all = CheckEvaluator.EvaluateAll(checks, subject, TimeSpan.FromMinutes(1));

        Assert.All(none, c => Assert.StartsWith("not run: this item's checks had used their budget of 0 ms", c.Reason));
        Assert.All(all, c => Assert.Equal(Verdicts.Pass, c.Verdict));
    }

    [Theory]
    [InlineData("{\"$ref\":\"#/$defs/missing\"}", "points nowhere")]
    [InlineData("{\"properties\":{\"a\":{\"$ref\":\"other.json\"}}}", "points outside the schema")]
    [InlineData("{\"$dynamicRef\":\"#nowhere\"}", "points nowhere")]
    [InlineData("{\"type\":\"string\",\"description\":\"\\ud800\"}", "lone surrogate")]
    public void A_schema_that_is_not_whole_in_itself_is_refused(string schema, string why)
    {
        Assert.Null(JsonSchemas.Compile(schema, out var error));
        Assert.Contains(why, error);
    }

    [Theory]
    [InlineData("{\"$defs\":{\"s\":{\"type\":\"string\"}},\"$ref\":\"#/$defs/s\"}")]
    [InlineData("{\"$defs\":{\"s\":{\"$anchor\":\"str\",\"type\":\"string\"}},\"$ref\":\"#str\"}")]
    [InlineData("{\"items\":{\"$ref\":\"#\"}}")]
    public void References_inside_the_schema_are_kept(string schema) => Assert.NotNull(JsonSchemas.Compile(schema, out _));

    [Theory]
    [InlineData("{\"a\":\"\\ud800\"}", "$.a")]
    [InlineData("{\"a\":[1,{\"b\":\"x\"},\"\\udc00\"]}", "$.a[2]")]
    [InlineData("{\"a\":[{\"b\":\"ok\"},{\"c\":[\"\\ud83dx\"]}]}", "$.a[1].c[0]")]
    [InlineData("{\"a\":{\"\\ud800\":1}}", "$.a.(a property name)")]
    public void A_lone_surrogate_is_found_with_its_path(string json, string path) => Assert.Equal(path,
        JsonUnicode.FirstInvalidString(json));

    [Theory]
    [InlineData("{\"a\":\"\\ud83d\\ude00 \\u0001\"}")]
    [InlineData("{\"a\":")]
    [InlineData("not json")]
    public void Whole_text_and_broken_json_are_left_to_the_reader(string json) => Assert.Null(JsonUnicode.FirstInvalidString(json));

    [Fact]
    public void Xml_exports_write_what_xml_cannot_hold_as_visible_escapes()
    {
        Assert.Equal("a\\u0001b\\u001B[2J \\uD800 😀 é", RunExports.XmlText("a\u0001b\u001b[2J \ud800 😀 é"));
        Assert.Equal("plain text\n", RunExports.XmlText("plain text\n"));
    }

    [Fact]
    public async Task A_stream_line_longer_than_the_bound_ends_the_read_wherever_the_reads_fall()
    {
        var fine = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(new string('x', 99) + "\n", 50)));
        Assert.Equal(fine.Length, await DrainAsync(fine, maxLine: 100, readSize: 7));
        Assert.Equal(fine.Length, await DrainAsync(fine, maxLine: 100, readSize: 4096));

        var longLine = Encoding.UTF8.GetBytes("short\n" + new string('y', 101) + "\nshort\n");
        foreach (var readSize in new[] { 1, 7, 100, 4096 })
        {
            var e = await Assert.ThrowsAsync<ProviderStreamException>(() => DrainAsync(longLine, maxLine: 100, readSize));
            Assert.Contains("stream line longer than", e.Message);
        }
    }

    private static async Task<int> DrainAsync(byte[] bytes, int maxLine, int readSize)
    {
        await using var stream = new LineLimitedStream(new MemoryStream(bytes), maxLine);
        var buffer = new byte[readSize];
        int read, total = 0;
        while ((read = await stream.ReadAsync(buffer)) > 0) total += read;
        return total;
    }

    [Fact]
    public async Task An_error_body_is_read_only_up_to_the_bound()
    {
        using var huge = new StreamContent(new MemoryStream(new byte[10_000_000]));

        var prefix = await BoundedBody.ReadPrefixAsync(huge, 65_536, CancellationToken.None);

        Assert.Equal(65_536, prefix.Length);
        using var list = new StringContent("{\"data\":[]}");
        Assert.Equal("{\"data\":[]}", await BoundedBody.ReadAllAsync(list, 100, "model list", CancellationToken.None));
        using var tooLong = new StringContent(new string('z', 101));
        await Assert.ThrowsAsync<ProviderStreamException>(() => BoundedBody.ReadAllAsync(tooLong, 100, "model list",
            CancellationToken.None));
    }
}
