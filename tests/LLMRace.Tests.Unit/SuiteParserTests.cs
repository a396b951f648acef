using LLMRace.Grains.Suites;

namespace LLMRace.Tests.Unit;

public class SuiteParserTests
{
    [Fact]
    public void The_original_suite_shape_parses()
    {
        var suite = SuiteParser.Parse("""
            {"name":"My Regression Suite","category":"custom","description":"Daily regression checks","tests":[
              {"order_index":1,"name":"Output format","system_prompt":"You are precise.","user_prompt":"Return a JSON object with fields id and status.","expected_constraints":"Must be valid JSON.","tools_schema_json":null}]}
            """, out var problems);

        Assert.Empty(problems);
        var test = Assert.Single(suite!.Tests);
        Assert.Equal("Output format", test.Name);
    }

    [Fact]
    public void Every_problem_is_reported_with_its_json_path()
    {
        var suite = SuiteParser.Parse("""
            {"name":"","tests":[{"order_index":"one","name":"a","user_prompt":5,"expected_constraints":"regex:("},{"name":"b","user_prompt":"hi","colour":"red"}]}
            """, out var problems);

        Assert.Null(suite);
        var paths = problems.Select(p => p.Path).ToList();
        Assert.Contains("$.name", paths);
        Assert.Contains("$.tests[0].order_index", paths);
        Assert.Contains("$.tests[0].user_prompt", paths);
        Assert.Contains("$.tests[0].expected_constraints", paths);
        Assert.Contains("$.tests[1].colour", paths);
    }

    [Fact]
    public void Malformed_json_names_the_line()
    {
        Assert.Null(SuiteParser.Parse("{\n  \"name\": \"x\",\n  \"tests\": [,]\n}", out var problems));
        var problem = Assert.Single(problems);
        Assert.Equal("$", problem.Path);
        Assert.Contains("line 3", problem.Message);
    }
}
