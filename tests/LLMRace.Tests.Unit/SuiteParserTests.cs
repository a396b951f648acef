using LLMRace.Grains.Suites;

namespace LLMRace.Tests.Unit;

public class SuiteParserTests
{
    [Fact]
    public void The_original_suite_shape_parses()
    {
        var suite = SuiteParser.Parse("""
            {"name":"My Regression Suite","category":"custom","description":"Daily regression checks","tests":[
              {"order_index":1,"name":"Output format","system_prompt":"You are precise.",
               "user_prompt":"Return a JSON object with fields id and status.","expected_constraints":"Must be valid JSON.",
               "tools_schema_json":null}]}
            """, out var problems);

        Assert.Empty(problems);
        var test = Assert.Single(suite!.Tests);
        Assert.Equal("Output format", test.Name);
    }

    [Fact]
    public void Every_problem_is_reported_with_its_json_path()
    {
        var suite = SuiteParser.Parse("""
            {"name":"","tests":[{"order_index":"one","name":"a","user_prompt":5,"expected_constraints":"regex:("},
              {"name":"b","user_prompt":"hi","colour":"red"}]}
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

public class ToolSchemaTests
{
    private static IReadOnlyList<SuiteProblem> Problems(string tools)
    {
        var json = System.Text.Json.JsonSerializer.Serialize(
            new { name = "t", tests = new[] { new { name = "a", user_prompt = "hi", tools_schema_json = tools } } });
        SuiteParser.Parse(json, out var problems);
        return problems;
    }

    [Fact]
    public void A_function_tool_with_a_schema_and_a_mock_is_accepted()
    {
        Assert.Empty(Problems("""
            [{"type":"function","function":{"name":"get_weather",
              "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}},"mock":{"temp_c":21}}]
            """));
    }

    [Theory]
    [InlineData("""{"type":"function"}""", "$.tests[0].tools_schema_json", "must be an array of tools")]
    [InlineData("""[{"type":"function","function":{"name":"has space"}}]""", "$.tests[0].tools_schema_json[0].function.name",
        "letters, digits")]
    [InlineData("""[{"type":"retrieval","function":{"name":"x"}}]""", "$.tests[0].tools_schema_json[0].type", "must be \"function\"")]
    [InlineData("""[{"type":"function","function":{"name":"x","parameters":{"type":"nonsense"}}}]""",
        "$.tests[0].tools_schema_json[0].function.parameters", "JSON Schema")]
    [InlineData("""[{"type":"function","function":{"name":"x","parameters":"string"}}]""",
        "$.tests[0].tools_schema_json[0].function.parameters", "must be a JSON Schema object")]
    [InlineData("""[{"type":"function","function":{"name":"x"}},{"type":"function","function":{"name":"x"}}]""",
        "$.tests[0].tools_schema_json[1].function.name", "defined twice")]
    [InlineData("""[{"type":"function","function":{"name":"x"},"colour":1}]""", "$.tests[0].tools_schema_json[0].colour", "unknown field")]
    [InlineData("""[not json""", "$.tests[0].tools_schema_json", "not valid JSON")]
    public void Bad_tools_are_reported_at_their_path(string tools, string path, string message)
    {
        var problem = Assert.Single(Problems(tools));
        Assert.Equal(path, problem.Path);
        Assert.Contains(message, problem.Message);
    }
}
