using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LLMRace.Tests.Integration;

/// <summary>Generated malformed and adversarial input against every write endpoint: never a 5xx, never half-stored.</summary>
public sealed class HostileInputTests(ApiFixture fixture) : IClassFixture<ApiFixture>
{
    private readonly RaceClient _client = new(fixture.App.Api);

    private static JsonObject ValidSuite(int n) => new()
    {
        ["name"] = $"Fuzz {n}", ["category"] = "fuzz", ["description"] = "generated",
        ["tests"] = new JsonArray(new JsonObject
        {
            ["order_index"] = 1, ["name"] = "t", ["system_prompt"] = null, ["user_prompt"] = "hello",
            ["expected_constraints"] = "contains:hello", ["tools_schema_json"] = null,
        }),
    };

    /// <summary>One mutation of a valid suite, chosen by the seeded random; deterministic for a given seed.</summary>
    private static byte[] Mutate(Random random, int n)
    {
        var suite = ValidSuite(n);
        var test = suite["tests"]![0]!.AsObject();
        JsonNode Junk() => random.Next(6) switch
        {
            0 => 42, 1 => true, 2 => new JsonArray(1, "x"), 3 => new JsonObject { ["a"] = 1 }, 4 => JsonValue.Create(-0.5),
                _ => JsonValue.Create(""),
        };
        string[] suiteFields = ["name", "category", "description", "tests"];
        string[] testFields = ["order_index", "name", "system_prompt", "user_prompt", "expected_constraints", "tools_schema_json",
            "max_tool_turns"];
        switch (random.Next(14))
        {
            case 0: suite[suiteFields[random.Next(suiteFields.Length)]] = Junk(); break;
            case 1: test[testFields[random.Next(testFields.Length)]] = Junk(); break;
            case 2: test["user_prompt"] = new string('x', 100_001 + random.Next(1000)); break;
            case 3: suite["name"] = new string('n', 201 + random.Next(100)); break;
            case 4: suite[$"unknown_{random.Next(100)}"] = 1; break;
            case 5: test["expected_constraints"] = $"regex:{"([{"[random.Next(3)]}{random.Next(10)}"; break;
            case 6: test["expected_constraints"] = "regex:^(a+)+$\nmax_words:many"; break;
            case 7: test["tools_schema_json"] = random.Next(2) == 0
                ? "[{\"type\":\"function\",\"function\":{\"name\":\"x y\"}}]" : "{not json"; break;
            case 8:
                var deep = new StringBuilder();
                var depth = 40 + random.Next(200);
                deep.Append("{\"name\":\"deep\",\"tests\":").Append(new string('[', depth)).Append(new string(']', depth)).Append('}');
                return Encoding.UTF8.GetBytes(deep.ToString());
            case 9:
                var bytes = Encoding.UTF8.GetBytes(suite.ToJsonString());
                bytes[random.Next(bytes.Length)] = (byte)(0x80 + random.Next(0x40)); // a stray continuation byte: invalid UTF-8
                return bytes;
            case 10:
                var text = suite.ToJsonString();
                return Encoding.UTF8.GetBytes(text[..random.Next(text.Length)]);            // cut short
            case 11: suite["tests"] = new JsonArray([.. Enumerable.Range(0, 501).Select(i => (JsonNode)new JsonObject { ["name"] = $"t{i}",
                ["user_prompt"] = "x" })]); break;
            case 12: test["order_index"] = random.Next(2) == 0 ? JsonValue.Create(1.5) : JsonValue.Create(long.MaxValue); break;
            default: return [.. Enumerable.Range(0, random.Next(1, 200)).Select(_ => (byte)random.Next(256))]; // noise
        }
        return Encoding.UTF8.GetBytes(suite.ToJsonString());
    }

    [Fact]
    public async Task A_thousand_generated_suites_get_no_5xx_and_every_refusal_names_a_path_and_stores_nothing()
    {
        var random = new Random(20261128);
        var before = (await _client.GetAsync("/api/suites")).GetArrayLength();
        var created = 0;
        var refused = 0;
        for (var n = 0; n < 1000; n++)
        {
            var body = Mutate(random, n);
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new("application/json");
            using var response = await _client.Http.PostAsync("/api/suites/import", content);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True((int)response.StatusCode < 500, $"input {n} -> {(int)response.StatusCode}: {text}");
            if (response.StatusCode == HttpStatusCode.Created) { created++; continue; }
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var errors = JsonDocument.Parse(text).RootElement.GetProperty("errors");
            Assert.All(errors.EnumerateObject(), e => Assert.StartsWith("$", e.Name));
            Assert.NotEmpty(errors.EnumerateObject());
            refused++;
        }
        Assert.Equal(before + created, (await _client.GetAsync("/api/suites")).GetArrayLength());
        Assert.True(refused > 800, $"most generated inputs are bad ones ({refused} refused, {created} accepted)");
    }

    public static TheoryData<string, string> WriteEndpoints => new()
    {
        { "POST", "/api/connections" }, { "PUT", "/api/connections/conn_simulator" },
        { "POST", "/api/cars" }, { "PUT", "/api/cars/car_sprinter" },
        { "POST", "/api/runs" }, { "POST", "/api/suites" },
        { "POST", "/api/runs/{run}/judge" }, { "PUT", "/api/suites/{suite}" },
    };

    [Theory]
    [MemberData(nameof(WriteEndpoints))]
    public async Task Malformed_bodies_to_every_write_endpoint_are_400s_that_change_nothing(string method, string path)
    {
        var run = (await _client.GetAsync("/api/runs?limit=1")).EnumerateArray().Select(r => r.GetProperty("id").GetString())
            .FirstOrDefault() ?? "run_none";
        path = path.Replace("{run}", run).Replace("{suite}", (await _client.GetAsync("/api/suites"))[0].GetProperty("id").GetString());
        var snapshot = await Snapshot();
        string[] bodies =
        [
            "", "null", "[]", "42", "\"text\"", "{", "{\"name\":", "{\"name\": 5, \"type\": [], \"base_url\": {}}",
            "{\"name\":\"x\",\"connection_id\":{\"$ne\":1},\"model\":null}", "{\"suite_id\":[1],\"car_ids\":\"car_sprinter\"}",
            "{\"judge_car_id\": 7}", "{\"timeout_s\": \"NaN\", \"max_retries\": 1e99}", new string('{', 5000), "\u0000\u0001\u0002",
        ];
        foreach (var body in bodies)
        {
            using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent(body, Encoding.UTF8,
                "application/json") };
            using var response = await _client.Http.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == HttpStatusCode.BadRequest,
                $"{method} {path} with '{body[..Math.Min(body.Length, 40)]}' -> {(int)response.StatusCode}: {text}");
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }
        Assert.Equal(snapshot, await Snapshot());
    }

    [Fact]
    public async Task A_body_over_the_size_limit_is_refused_without_being_read_whole()
    {
        // With Expect: 100-continue the server answers from the declared length, before any of the body is sent.
        using var huge = new ByteArrayContent(new byte[11 * 1024 * 1024]);
        huge.Headers.ContentType = new("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/connections") { Content = huge };
        request.Headers.ExpectContinue = true;
        using var response = await _client.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);

        using var bigSuite = new ByteArrayContent(Encoding.UTF8.GetBytes("{\"name\":\"" + new string('x', 6 * 1024 * 1024) + "\"}"));
        bigSuite.Headers.ContentType = new("application/json");
        using var suite = await _client.Http.PostAsync("/api/suites", bigSuite);
        Assert.Equal(HttpStatusCode.BadRequest, suite.StatusCode);
        Assert.Contains("larger than 5 MiB", await suite.Content.ReadAsStringAsync());
    }

    /// <summary>Text that is not Unicode (lone surrogates, as JSON escapes) and control characters that are.</summary>
    private static readonly string[] HostileText = ["\\ud800", "a\\udc00b", "x\\ud83d", "\\ud800\\ud800", "\\u0000", "a\\u0001b",
        "\\u001b[2J", "\\u007f\\u0085"];

    /// <summary>Every write endpoint with a valid body and the JSON paths of its strings (property names included, as "{key}").</summary>
    private async Task<List<(string Method, string Path, JsonObject Body, string[] Fields)>> WritesAsync()
    {
        var connection = await _client.SimulatorConnectionAsync();
        var car = await _client.CarAsync("Hostile text", "instant?tokens=2");
        var suite = await _client.SuiteAsync("Hostile text", ("t", "hello", null));
        var run = await _client.RaceToEndAsync(suite, car);
        JsonObject Connection() => new() { ["name"] = "c", ["type"] = "OPENAI_COMPAT", ["base_url"] = "http://127.0.0.1:9",
            ["api_key"] = "sk-0123456789ab", ["api_key_env_var"] = "OPENAI_API_KEY" };
        var spare = (await _client.PostAsync("/api/connections", Connection())).GetProperty("id").GetString()!;
        JsonObject Car() => new() { ["name"] = "c", ["connection_id"] = connection, ["model"] = "m",
            ["params"] = new JsonObject { ["stop"] = "x", ["temperature"] = 0.5 } };
        JsonObject Suite() => new()
        {
            ["name"] = "s", ["category"] = "c", ["description"] = "d",
            ["tests"] = new JsonArray(new JsonObject
            {
                ["name"] = "t", ["system_prompt"] = "s", ["user_prompt"] = "u", ["expected_constraints"] = "contains:u",
                ["tools_schema_json"] = "[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"description\":\"HOSTILE\"}}]",
            }),
        };
        string[] connectionFields = ["name", "type", "base_url", "api_key", "api_key_env_var", "{key}"];
        string[] suiteFields = ["name", "category", "description", "tests[0].name", "tests[0].system_prompt", "tests[0].user_prompt",
            "tests[0].expected_constraints", "{key}"];
        return
        [
            ("POST", "/api/connections", Connection(), connectionFields),
            ("PUT", $"/api/connections/{spare}", Connection(), connectionFields),
            ("POST", "/api/cars", Car(), ["name", "connection_id", "model", "params.stop", "{key}"]),
            ("PUT", $"/api/cars/{car}", Car(), ["name", "connection_id", "model", "params.stop", "{key}"]),
            ("POST", "/api/runs", new JsonObject { ["suite_id"] = suite, ["car_ids"] = new JsonArray(car) }, ["suite_id", "car_ids[0]",
                "{key}"]),
            ("POST", $"/api/runs/{run}/judge", new JsonObject { ["judge_car_id"] = car, ["rubric"] = "r" }, ["judge_car_id", "rubric",
                "{key}"]),
            ("POST", "/api/suites", Suite(), [.. suiteFields, "tests[0].tools_schema_json"]),
            ("PUT", $"/api/suites/{suite}", Suite(), [.. suiteFields, "tests[0].tools_schema_json"]),
        ];
    }

    [Fact]
    public async Task Lone_surrogates_and_control_characters_in_every_string_of_every_write_endpoint_never_get_a_5xx()
    {
        var writes = await WritesAsync();
        var refusedNamingThePath = 0;
        foreach (var (method, path, body, fields) in writes)
        {
            foreach (var field in fields)
            {
                foreach (var text in HostileText)
                {
                    var json = Inject(body, field, text);
                    using var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = new StringContent(json,
                        Encoding.UTF8, "application/json") };
                    using var response = await _client.Http.SendAsync(request);
                    var answer = await response.Content.ReadAsStringAsync();
                    Assert.True((int)response.StatusCode < 500,
                        $"{method} {path} with {text} in {field} -> {(int)response.StatusCode}: {answer}");
                    if (text.Contains("\\ud8", StringComparison.Ordinal) || text.Contains("\\udc", StringComparison.Ordinal))
                    {
                        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
                        var named = JsonDocument.Parse(answer).RootElement.GetProperty("errors").EnumerateObject().Single().Name;
                        Assert.Contains(field == "{key}" ? "(a property name)" : field.Split('.')[^1].Split('[')[0], named);
                        refusedNamingThePath++;
                    }
                }
            }
        }
        Assert.True(refusedNamingThePath > 100);

        // Whatever was accepted is served and exported without a fault.
        foreach (var list in new[] { "/api/connections", "/api/cars", "/api/suites", "/api/runs?limit=500" })
            Assert.Equal(HttpStatusCode.OK, (await _client.Http.GetAsync(list)).StatusCode);
        foreach (var suite in (await _client.GetAsync("/api/suites")).EnumerateArray())
        {
            Assert.Equal(HttpStatusCode.OK, (await _client.Http.GetAsync($"/api/suites/{suite.GetProperty("id").GetString()}")).StatusCode);
            Assert.Equal(HttpStatusCode.OK,
                (await _client.Http.GetAsync($"/api/suites/{suite.GetProperty("id").GetString()}/export")).StatusCode);
        }
    }

    /// <summary>The body as JSON text with <paramref name="rawEscape"/> (JSON escape text) put in one string, or in a property name for
    /// "{key}".</summary>
    private static string Inject(JsonObject body, string field, string rawEscape)
    {
        const string Marker = "HOSTILE_TEXT_MARKER";
        var copy = body.DeepClone().AsObject();
        if (field == "{key}") copy[Marker] = "x";
        else
        {
            JsonNode node = copy;
            var steps = field.Replace("[", ".[").Split('.');
            for (var i = 0; i < steps.Length - 1; i++) node = steps[i].StartsWith('[')
                ? node[int.Parse(steps[i][1..^1])]! : node[steps[i]]!;
            var last = steps[^1];
            if (last.StartsWith('[')) node[int.Parse(last[1..^1])] = Marker;
            else if (field.EndsWith("tools_schema_json",
                StringComparison.Ordinal)) node[last] = node[last]!.GetValue<string>().Replace("HOSTILE", Marker);
            else node[last] = Marker;
        }
        // In tools_schema_json the marker sits in JSON inside a JSON string: its escape must be escaped once more.
        var escape = field.EndsWith("tools_schema_json", StringComparison.Ordinal) ? rawEscape.Replace("\\", "\\\\") : rawEscape;
        return copy.ToJsonString().Replace(Marker, escape);
    }

    private async Task<string> Snapshot() => string.Join("\n",
        await _client.Http.GetStringAsync("/api/connections"), await _client.Http.GetStringAsync("/api/cars"),
        await _client.Http.GetStringAsync("/api/suites"), (await _client.GetAsync("/api/runs?limit=500")).GetArrayLength());
}
