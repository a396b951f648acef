using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace LLMRace.Tests.Integration;

/// <summary>Suites through the API: exact round trips, every problem at once, tools raced in each protocol.</summary>
public sealed class SuiteTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private readonly RaceClient _client = new(fixture.App.Api);

    private async Task<HttpResponseMessage> PostRawAsync(string path, string body) =>
        await _client.Http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

    /// <summary>The original's suite shape with its ';' lists and a Python named group, as a user of it would import it.</summary>
    public const string OriginalSuite = """
        {"name":"Original checks","category":"custom","description":"from the original","tests":[
          {"order_index":1,"name":"Dated","user_prompt":"Say 2024-2024 then stop.",
           "expected_constraints":"regex:(?P<year>\\d{4})-(?P=year); max_words:3; Must be friendly"},
          {"order_index":2,"name":"Shouting","user_prompt":"Return JSON.","expected_constraints":"Contains:JSON;colour: red"}]}
        """;

    [Fact]
    public async Task The_originals_semicolons_and_python_regexes_import_unchanged_and_look_alikes_are_warned_of()
    {
        using var created = await PostRawAsync("/api/suites/import", OriginalSuite);
        var text = await created.Content.ReadAsStringAsync();
        Assert.True(created.StatusCode == HttpStatusCode.Created, text);
        var tests = JsonDocument.Parse(text).RootElement.GetProperty("tests");

        Assert.Equal(["regex:(?<year>\\d{4})-\\k<year>", "max_words:3"], tests[0].GetProperty("checks").EnumerateArray()
            .Select(c => c.GetString()));
        Assert.Equal(["Must be friendly"], tests[0].GetProperty("criteria").EnumerateArray().Select(c => c.GetString()));
        Assert.Empty(tests[0].GetProperty("warnings").EnumerateArray());
        Assert.Empty(tests[1].GetProperty("checks").EnumerateArray());
        var warnings = tests[1].GetProperty("warnings").EnumerateArray().Select(w => w.GetString()!).ToList();
        Assert.Equal(2, warnings.Count);
        Assert.Contains("keywords are lower case: contains:", warnings[0]);
        Assert.Contains("'colour:' is not a check keyword", warnings[1]);

        // Raced: the translated pattern passes on the Simulator's echo of the prompt.
        var car = await _client.CarAsync("Original echo", "echo?itl_ms=1");
        var run = await _client.RaceToEndAsync(JsonDocument.Parse(text).RootElement.GetProperty("id").GetString()!, car);
        var dated = (await _client.GetAsync($"/api/runs/{run}/items")).EnumerateArray().First(i => i.GetProperty("test_name")
            .GetString() == "Dated");
        Assert.Equal("pass", dated.GetProperty("checks").GetProperty("checks")[0].GetProperty("verdict").GetString());
    }

    [Fact]
    public async Task Editing_a_suite_keeps_its_tests_ids_so_a_baseline_still_matches_item_by_item()
    {
        static string Suite(string firstPrompt, string firstName = "Alpha", string? firstId = null, bool third = false) =>
            JsonSerializer.Serialize(new
            {
                name = "Stable ids",
                tests = new object[]
                {
                    firstId is null
                        ? new { order_index = 1, name = firstName, user_prompt = firstPrompt, expected_constraints = "contains:one" }
                        : new { id = firstId, order_index = 1, name = firstName, user_prompt = firstPrompt,
                            expected_constraints = "contains:one" },
                    new { order_index = 2, name = "Beta", user_prompt = "two", expected_constraints = "contains:two" },
                }.Concat(third ? [new { order_index = 3, name = "Gamma", user_prompt = "three", expected_constraints = "contains:three" }]
                    : []).ToArray(),
            });
        async Task<List<string>> IdsAsync(string suite) => [.. (await _client.GetAsync($"/api/suites/{suite}")).GetProperty("tests")
            .EnumerateArray().Select(t => t.GetProperty("id").GetString()!)];
        async Task PutAsync(string suite, string json)
        {
            using var put = await _client.Http.PutAsync($"/api/suites/{suite}", new StringContent(json, Encoding.UTF8, "application/json"));
            Assert.True(put.IsSuccessStatusCode, await put.Content.ReadAsStringAsync());
        }

        using var created = await PostRawAsync("/api/suites/import", Suite("one"));
        var suite = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
        var before = await IdsAsync(suite);
        var car = await _client.CarAsync("Stable echo", "echo?itl_ms=1");
        var baseline = await _client.RaceToEndAsync(suite, car);
        await _client.PostAsync($"/api/runs/{baseline}/baseline", new { });

        // A prompt edited and a test added: the two tests keep their ids, the new one gets its own.
        await PutAsync(suite, Suite("one, edited", third: true));
        var after = await IdsAsync(suite);
        Assert.Equal(before, after.Take(2));
        Assert.DoesNotContain(after[2], before);
        var run = await _client.RaceToEndAsync(suite, car);
        var compared = await _client.GetAsync($"/api/runs/{run}/compare");
        Assert.Equal(["same", "same", "new"], compared.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("change")
            .GetString()));

        // Renamed with its id named, it is still the same test; renamed without, a new one.
        await PutAsync(suite, Suite("one", firstName: "Alpha renamed", firstId: before[0]));
        Assert.Equal(before, await IdsAsync(suite));
        await PutAsync(suite, Suite("one", firstName: "Alpha again"));
        Assert.NotEqual(before[0], (await IdsAsync(suite))[0]);
        Assert.Equal(before[1], (await IdsAsync(suite))[1]);
    }

    [Fact]
    public async Task Export_gives_back_the_imported_bytes()
    {
        // Odd spacing, key order, unicode and escapes: all kept.
        const string source = "{\n  \"name\": \"Round trip ✓\",   \"category\": \"custom\",\n\t\"description\": \"keeps \\u00e9 and " +
            "spacing\",\n  \"tests\": [ {\"order_index\": 2, \"name\": \"b\", \"user_prompt\": \"B\", \"system_prompt\": null, " +
                "\"expected_constraints\": \"contains:B\", \"tools_schema_json\": null},\n {\"order_index\": 1, \"name\": \"a\", " +
                    "\"user_prompt\": \"A\"} ]\n}\n";
        using var created = await PostRawAsync("/api/suites/import", source);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();

        var exported = await _client.Http.GetByteArrayAsync($"/api/suites/{id}/export");
        Assert.Equal(Encoding.UTF8.GetBytes(source), exported);

        using var again = await PostRawAsync("/api/suites/import", Encoding.UTF8.GetString(exported));
        var againId = (await again.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString();
        Assert.Equal(exported, await _client.Http.GetByteArrayAsync($"/api/suites/{againId}/export"));

        var view = await _client.GetAsync($"/api/suites/{id}");
        Assert.Equal(["a", "b"], view.GetProperty("tests").EnumerateArray().Select(t => t.GetProperty("name").GetString()));
        Assert.Equal("contains:B", view.GetProperty("tests")[1].GetProperty("checks")[0].GetString());
    }

    [Fact]
    public async Task A_bad_suite_reports_every_problem_with_its_path_and_stores_nothing()
    {
        var before = (await _client.GetAsync("/api/suites")).GetArrayLength();
        const string bad = """
            {"name": 7, "tests": [
              {"name": "ok", "user_prompt": "hi", "expected_constraints": "regex:(unclosed"},
              {"name": "tools", "user_prompt": "hi", "tools_schema_json": "[{\"type\":\"function\",\"function\":{\"name\":\"bad name\"}}]"},
              {"user_prompt": ["not", "a", "string"], "surprise": true}
            ]}
            """;

        using var response = await PostRawAsync("/api/suites", bad);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        var errors = problem.GetProperty("errors");
        foreach (var path in new[] { "$.name", "$.tests[0].expected_constraints", "$.tests[1].tools_schema_json[0].function.name",
            "$.tests[2].name", "$.tests[2].user_prompt", "$.tests[2].surprise" })
            Assert.True(errors.TryGetProperty(path, out _), $"{path} is reported: {errors}");
        Assert.Contains("line 1: regex '(unclosed' does not compile", errors.GetProperty("$.tests[0].expected_constraints")[0].GetString());
        Assert.Contains("nothing was saved", problem.GetProperty("detail").GetString());
        Assert.Equal(before, (await _client.GetAsync("/api/suites")).GetArrayLength());
    }

    [Theory]
    [InlineData("{\"name\": \"x\", \"tests\": [", "$", "not valid JSON")]
    [InlineData("[]", "$", "a suite is a JSON object")]
    [InlineData("", "$", "the body is empty")]
    public async Task Malformed_documents_are_refused_with_a_reason(string body, string path, string message)
    {
        using var response = await PostRawAsync("/api/suites/import", body);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var errors = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("errors");
        Assert.Contains(message, errors.GetProperty(path)[0].GetString());
    }

    [Fact]
    public async Task A_suite_over_the_test_limit_is_refused()
    {
        var json = JsonSerializer.Serialize(new { name = "huge", tests = Enumerable.Range(0, 10_001).Select(i => new { name = $"t{i}",
            user_prompt = "x" }) });
        using var response = await PostRawAsync("/api/suites", json);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("at most 10000", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Put_replaces_a_suite_and_a_bad_put_changes_nothing()
    {
        var id = await _client.SuiteAsync("Before", ("one", "1", null));
        using var bad = await _client.Http.PutAsync($"/api/suites/{id}", new StringContent("{\"name\":\"\"}", Encoding.UTF8,
            "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Equal("Before", (await _client.GetAsync($"/api/suites/{id}")).GetProperty("name").GetString());

        using var good = await _client.Http.PutAsync($"/api/suites/{id}",
            new StringContent("{\"name\":\"After\",\"tests\":[{\"name\":\"two\",\"user_prompt\":\"2\"}]}", Encoding.UTF8,
            "application/json"));
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        var view = await _client.GetAsync($"/api/suites/{id}");
        Assert.Equal("After", view.GetProperty("name").GetString());
        Assert.Equal("two", Assert.Single(view.GetProperty("tests").EnumerateArray()).GetProperty("name").GetString());
    }

    private const string WeatherTools = """
        [{"type":"function","function":{"name":"get_weather","description":"Current weather",
            "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}},
            "mock":{"city":"Paris","temp_c":21}},
         {"type":"function","function":{"name":"book_table",
            "parameters":{"type":"object","properties":{"guests":{"type":"integer","minimum":100}},"required":["guests"]}},
            "mock":"booked"}]
        """;

    private async Task<string> ToolSuiteAsync(string name) => (await _client.PostAsync("/api/suites", new
    {
        name,
        tests = new object[]
        {
            new { order_index = 1, name = "Weather", user_prompt = "Weather in Paris?",
                expected_constraints = "tool_called:get_weather\ncontains:21", tools_schema_json = WeatherTools },
            new { order_index = 2, name = "Limited", user_prompt = "Weather again?", expected_constraints = "tool_called:get_weather",
                tools_schema_json = WeatherTools, max_tool_turns = 1 },
        },
    })).GetProperty("id").GetString()!;

    [Theory]
    [InlineData("OPENAI_COMPAT")]
    [InlineData("OLLAMA")]
    [InlineData("ANTHROPIC")]
    public async Task The_tool_loop_answers_calls_with_mocks_and_errors_in_each_protocol(string type)
    {
        var connection = (await _client.PostAsync("/api/connections", new { name = $"{type} tools", type,
            base_url = fixture.App.SimBase.ToString(), max_concurrency = 4 })).GetProperty("id").GetString()!;
        async Task<string> Car(string name, string model) => (await _client.PostAsync("/api/cars", new { name, connection_id = connection,
            model })).GetProperty("id").GetString()!;
        var good = await Car($"{type} caller", "caller?ttft_ms=5&itl_ms=1");
        var unknown = await Car($"{type} teleporter", "caller?ttft_ms=5&itl_ms=1&call=teleport");
        var badArgs = await Car($"{type} booker", "caller?ttft_ms=5&itl_ms=1&call=book_table");
        var suite = await ToolSuiteAsync($"{type} tool loop");

        var run = (await _client.PostAsync("/api/runs", new { suite_id = suite, car_ids = new[] { good, unknown,
            badArgs } })).GetProperty("id").GetString()!;
        var events = await _client.ReadStreamAsync(run);
        var items = (await _client.GetAsync($"/api/runs/{run}/items")).EnumerateArray().ToList();
        JsonElement Item(string test,
            string car) => items.Single(i => i.GetProperty("test_name").GetString() == test
                && i.GetProperty("car_name").GetString() == $"{type} {car}");
        List<JsonElement> Events(JsonElement item, string eventType) =>
            [.. events.Where(e => e.Type == eventType && e.ItemId == item.GetProperty("id").GetString()).Select(e => e.Data)];

        // The caller calls get_weather, gets the mock, and answers with it on the second turn.
        var weather = Item("Weather", "caller");
        Assert.Equal("passed", weather.GetProperty("status").GetString());
        Assert.Contains("\"temp_c\":21", weather.GetProperty("output").GetString());
        Assert.Equal(2, weather.GetProperty("metrics").GetProperty("turns").GetInt32());
        var call = Assert.Single(Events(weather, "item.tool_call"));
        Assert.Equal("get_weather", call.GetProperty("name").GetString());
        Assert.Equal("{\"city\":\"Paris\"}", call.GetProperty("arguments").GetString());
        var result = Assert.Single(Events(weather, "item.tool_result"));
        Assert.False(result.GetProperty("is_error").GetBoolean());
        Assert.Equal("{\"city\":\"Paris\",\"temp_c\":21}", result.GetProperty("content").GetString());
        Assert.Single(Events(weather, "item.first_token"));

        // A call to a tool the test does not have, and arguments that break the schema, are answered with errors.
        var teleport = Assert.Single(Events(Item("Weather", "teleporter"), "item.tool_result"));
        Assert.True(teleport.GetProperty("is_error").GetBoolean());
        Assert.Contains("unknown tool 'teleport'", teleport.GetProperty("content").GetString());
        var booking = Assert.Single(Events(Item("Weather", "booker"), "item.tool_result"));
        Assert.True(booking.GetProperty("is_error").GetBoolean());
        Assert.Contains("do not match the tool's parameters", booking.GetProperty("content").GetString());
        Assert.Contains("/guests", booking.GetProperty("content").GetString());
        Assert.Equal("failed", Item("Weather", "teleporter").GetProperty("status").GetString());

        // With one turn allowed, the call is answered but the conversation does not continue.
        var limited = Item("Limited", "caller");
        Assert.Equal(1, limited.GetProperty("metrics").GetProperty("turns").GetInt32());
        Assert.Equal("passed", limited.GetProperty("status").GetString());
        Assert.Equal("", limited.GetProperty("output").GetString());
        Assert.Equal("get_weather", limited.GetProperty("tool_calls")[0].GetProperty("name").GetString());
    }

    [Fact]
    public async Task The_example_suites_race_the_simulator_with_known_outcomes()
    {
        var suites = (await _client.GetAsync("/api/suites")).EnumerateArray().ToDictionary(s => s.GetProperty("name").GetString()!,
            s => s.GetProperty("id").GetString()!);
        async Task<Dictionary<(string Test, string Car), string>> Race(string suite, params string[] cars)
        {
            var run = await _client.StartRunAsync(suites[suite], cars);
            Assert.Equal("run.completed", (await _client.ReadStreamAsync(run))[^1].Type);
            return (await _client.GetAsync($"/api/runs/{run}/items")).EnumerateArray()
                .ToDictionary(i => (i.GetProperty("test_name").GetString()!, i.GetProperty("car_name").GetString()!),
                    i => i.GetProperty("status").GetString()!);
        }

        var warmup = await Race("Arcade Warm-up", "car_sprinter");
        Assert.All(warmup.Values, s => Assert.Equal("passed", s));

        var json = await Race("JSON Output Format", "car_sprinter");
        Assert.Equal("passed", json[("Status object", "Sprinter")]);
        Assert.Equal("failed", json[("List of laps", "Sprinter")]);   // the Simulator answers an object, not an array
        Assert.Equal("passed", json[("No prose around it", "Sprinter")]);

        var tools = await Race("Tool Calling", "car_sprinter", "car_caller");
        Assert.Equal("passed", tools[("Weather lookup", "Caller")]);
        Assert.Equal("failed", tools[("Weather lookup", "Sprinter")]);  // it never calls the tool
        Assert.Equal("passed", tools[("No tool needed", "Sprinter")]);

        var instructions = await Race("Instruction Following", "car_sprinter");
        Assert.Equal("passed", instructions[("Short and capitalised", "Sprinter")]);
        Assert.Equal("failed", instructions[("Long enough", "Sprinter")]);   // 48 words, not 50
        Assert.Equal("passed", instructions[("Keyword discipline", "Sprinter")]); // its words hold "track", and no banana
    }
}
